"""gazeheat.session: building, validating and loading session files."""

import json
import random
from pathlib import Path

import pytest

import gazeheat.constants as C
from gazeheat.errors import FormatError, InputError
from gazeheat.session import GazeSample, dump_session, load_session, make_session, validate_session

CREATED = "2025-01-31T12:00:00.000Z"


def test_golden_valid_session(data_dir, load_json):
    text = (data_dir / "session_valid.json").read_text(encoding="utf-8")
    session = load_session(text)
    assert session == load_json("session_valid.json")
    assert load_session(text.encode("utf-8")) == session
    assert load_session(b"\xef\xbb\xbf" + text.encode("utf-8")) == session  # BOM


def _invalid_cases():
    # Read at collection time (parametrize), so not through the load_json fixture.
    with open(Path(__file__).parent / "data" / "session_invalid.json", encoding="utf-8") as f:
        return json.load(f)


@pytest.mark.parametrize("case", _invalid_cases(), ids=lambda c: c["name"])
def test_golden_invalid_sessions(case):
    with pytest.raises(FormatError) as info:
        load_session(case["text"])
    assert case["error"] in str(info.value)


def _random_samples(rng, n):
    t, out = 0.0, []
    for _ in range(n):
        t += rng.choice([0.0, rng.uniform(1, 50)])
        if rng.random() < 0.2:
            out.append(GazeSample(t, None, None))
        else:
            out.append(GazeSample(t, rng.uniform(-100, 2000), rng.uniform(-100, 1200)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_export_validate_round_trip(seed):
    rng = random.Random(seed)
    samples = _random_samples(rng, rng.randint(0, 300))
    calibration = {"model": "poly2-ridge", "rms_px": rng.uniform(0, 50)} if seed % 2 else None
    session = make_session(samples, 1280, 720, calibration, CREATED, "0.1.0")
    assert validate_session(session) is session
    again = load_session(dump_session(session))
    assert again == session
    assert [GazeSample.from_dict(s) for s in again["samples"]] == samples
    assert again["viewport"] == {"width": 1280, "height": 720}
    assert again["calibration"] == calibration


def test_make_session_fields_and_default_time():
    session = make_session([{"t_ms": 1, "x": 2, "y": 3}], 800, 600)
    assert session["format"] == "gazeheat.session" and session["version"] == 1
    assert session["created"].endswith("+00:00")
    assert session["samples"] == [{"t_ms": 1, "x": 2, "y": 3}]


def test_make_session_rejects_bad_data():
    with pytest.raises(FormatError, match=r"samples\[1\].t_ms \(5.0\) is less than"):
        make_session([GazeSample(10.0, 1.0, 1.0), GazeSample(5.0, 1.0, 1.0)], 800, 600, None, CREATED)
    with pytest.raises(FormatError, match="viewport.height"):
        make_session([], 800, -1, None, CREATED)
    with pytest.raises(FormatError, match="created"):
        make_session([], 800, 600, None, "31/01/2025")


def test_too_many_samples(monkeypatch):
    monkeypatch.setattr(C, "MAX_SESSION_SAMPLES", 3)
    with pytest.raises(FormatError, match="too many samples: 4 .limit 3."):
        make_session([GazeSample(float(i), None, None) for i in range(4)], 10, 10, None, CREATED)


def test_file_size_limit(monkeypatch):
    text = dump_session(make_session([], 10, 10, None, CREATED))
    monkeypatch.setattr(C, "MAX_SESSION_BYTES", 20)
    with pytest.raises(FormatError, match="too large"):
        load_session(text.encode())
    with pytest.raises(FormatError, match="too large"):
        load_session(text)


def test_load_session_rejects_non_text_and_bad_utf8():
    with pytest.raises(FormatError, match="text or bytes"):
        load_session(123)
    with pytest.raises(FormatError, match="UTF-8"):
        load_session(b"\xff\xfe{}")


def test_dump_refuses_non_finite():
    session = make_session([], 10, 10, None, CREATED)
    session["samples"].append({"t_ms": 0.0, "x": float("nan"), "y": 1.0})
    with pytest.raises(FormatError, match=r"samples\[0\].x"):
        dump_session(session)


def test_gaze_sample_round_trip_and_validation():
    s = GazeSample(12.5, 100.0, 200.0)
    assert GazeSample.from_dict(s.to_dict()) == s
    assert GazeSample.from_dict({"t_ms": 1, "x": None, "y": None}) == GazeSample(1.0, None, None)
    with pytest.raises(InputError, match="both"):
        GazeSample.from_dict({"t_ms": 1, "x": 1.0, "y": None})
    with pytest.raises(InputError, match="t_ms"):
        GazeSample.from_dict({"t_ms": float("inf"), "x": None, "y": None})
    with pytest.raises(InputError):
        GazeSample.from_dict({"t_ms": 1})


def test_unknown_fields_are_kept():
    session = make_session([], 10, 10, None, CREATED)
    session["notes"] = "added by a later version"
    assert load_session(json.dumps(session))["notes"] == "added by a later version"


def test_documented_schema_accepts_what_make_session_writes(jsonschema):
    import json
    from pathlib import Path

    from gazeheat.session import make_session, validate_session

    docs = Path(__file__).resolve().parents[1] / "docs"
    schema = json.loads((docs / "session.schema.json").read_text())
    session = make_session([{"t_ms": 0.0, "x": 1.5, "y": 2.5}, {"t_ms": 33.3, "x": None, "y": None}],
                           1280, 720, None, "2026-11-21T09:30:00.000+00:00", "0.1.0")
    jsonschema.validate(session, schema)
    validate_session(session)
    for broken in ({**session, "version": 2}, {**session, "samples": [{"t_ms": 0, "x": "a", "y": 1}]}):
        try:
            jsonschema.validate(broken, schema)
        except jsonschema.ValidationError:
            pass
        else:
            raise AssertionError(f"schema accepted {broken}")
