"""gazeheat.session: building, validating and loading session files."""

import base64
import hashlib
import json
import random
import re
from pathlib import Path

import pytest

import gazeheat.constants as C
from gazeheat.errors import FormatError, InputError
from gazeheat.fixations import as_fixations, detect_fixations
from gazeheat.png import encode_png
from gazeheat.session import (
    GazeSample,
    dump_session,
    json_depth,
    load_session,
    make_session,
    make_stimulus_image,
    session_fixations,
    session_px_per_deg,
    session_settings,
    stimulus_image_bytes,
    stimulus_key,
    validate_session,
)
from gazeheat.settings import fixation_params, validate_settings

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


# --- optional fields, stimulus identity, hostile input (multi-participant analysis) ---

_PNG = encode_png(3, 2, bytes(range(24)))
# Letters people put in names: accents, CJK, RTL, emoji (astral), quotes, commas,
# newlines, a lone surrogate (JS strings can hold one), spreadsheet formula starts.
_NAME_CHARS = ("abcXYZ 019éßøÆ名前テスト한국어שלוםمرحبا😀🧪\u200d\u00a0\"',;\n\t\\/=+-@"
               "\ud800\u0000")


def _random_name(rng, limit):
    return "".join(rng.choice(_NAME_CHARS) for _ in range(rng.randint(0, limit)))


def _random_session(rng):
    samples = [s.to_dict() for s in _random_samples(rng, rng.randint(0, 200))]
    session = make_session(samples, rng.choice([1280, 1920.5, 375]), rng.choice([720, 1080, 812.25]),
                           None, CREATED, "0.2.0")
    optional = {
        "participant": lambda: rng.choice([None, _random_name(rng, C.SESSION_MAX_PARTICIPANT_CHARS)]),
        "recording_id": lambda: _random_name(rng, C.SESSION_MAX_RECORDING_ID_CHARS),
        "stimulus": lambda: {"kind": rng.choice(["image", "blank", "grid", "screen"]),
                             "name": _random_name(rng, 40), "width_px": rng.randint(1, 4000),
                             "height_px": rng.randint(1, 3000), "rect_x_px": rng.uniform(-50, 50),
                             "rect_y_px": rng.uniform(-50, 50), "rect_w_px": rng.uniform(1, 2000),
                             "rect_h_px": rng.uniform(1, 1500)},
        "stimulus_image": lambda: make_stimulus_image(_PNG, "image/png"),
        "px_per_deg": lambda: rng.uniform(5, 80),
        "settings": lambda: {"fixation_method": rng.choice(["ivt", "idt"])},
        "validation": lambda: rng.choice([None, {"accuracy_deg": rng.uniform(0, 6), "grade": "good",
                                                 "targets": []}]),
        "fixations": lambda: [{"start_ms": 10.0 * i, "end_ms": 10.0 * i + 5, "duration_ms": 5.0,
                               "x": rng.uniform(0, 100), "y": rng.uniform(0, 100),
                               "dispersion_deg": rng.uniform(0, 3), "n_samples": rng.randint(1, 9)}
                              for i in range(rng.randint(0, 20))],
        "calibration": lambda: {"model": "poly2-ridge", "coef": [rng.gauss(0, 1) for _ in range(6)]},
    }
    for key, make in optional.items():
        if rng.random() < 0.5:
            session[key] = make()
    return validate_session(session)


@pytest.mark.parametrize("seed", range(40))
def test_random_sessions_survive_dump_and_load_exactly(seed):
    rng = random.Random(1000 + seed)
    session = _random_session(rng)
    text = dump_session(session)
    assert load_session(text) == session
    assert load_session(text.encode("utf-8")) == session
    assert dump_session(load_session(text)) == text


@pytest.mark.parametrize("seed", range(40))
def test_truncated_files_are_rejected_with_format_error(seed):
    rng = random.Random(2000 + seed)
    data = dump_session(_random_session(rng)).encode("utf-8")
    for cut in sorted({0, 1, len(data) - 1, *(rng.randrange(len(data)) for _ in range(25))}):
        with pytest.raises(FormatError):
            load_session(data[:cut])
        with pytest.raises(FormatError):
            load_session(data[:cut].decode("utf-8", "ignore"))


@pytest.mark.parametrize("seed", range(20))
def test_damaged_files_load_or_raise_format_error_only(seed):
    """Random byte edits: a file either still validates or fails with FormatError."""
    rng = random.Random(3000 + seed)
    data = bytearray(dump_session(_random_session(rng)).encode("utf-8"))
    for _ in range(30):
        damaged = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(damaged))
            alphabet = b'{}[]",:0123456789.eE-+ntfalsrue\\\x00\xff' + bytes([rng.randrange(256)])
            damaged[i] = rng.choice(alphabet)
        try:
            load_session(bytes(damaged))
        except FormatError:
            pass


def _valid():
    return make_session([{"t_ms": 0.0, "x": 1.0, "y": 2.0}], 800, 600, None, CREATED, "0.2.0")


_HUGE = "A" * 1_000_000


@pytest.mark.parametrize("key, value, message", [
    ("participant", 42, "participant must be a string"),
    ("participant", "x" * (C.SESSION_MAX_PARTICIPANT_CHARS + 1), "participant is too long"),
    ("recording_id", ["a"], "recording_id must be a string"),
    ("recording_id", "r" * (C.SESSION_MAX_RECORDING_ID_CHARS + 1), "recording_id is too long"),
    ("app_version", _HUGE, "app_version is too long"),
    ("created", _HUGE, "created must be an ISO 8601"),
    ("format", _HUGE, "format must be"),
    ("px_per_deg", "40", "px_per_deg must be a number > 0"),
    ("px_per_deg", -3, "px_per_deg must be a number > 0"),
    ("px_per_deg", True, "px_per_deg must be a number > 0"),
    ("settings", [], "settings must be an object"),
    ("source", "replay", "source must be an object"),
    ("calibration_summary", 3, "calibration_summary must be an object"),
    ("validation", [1.0], "validation must be an object"),
    ("validation", {"accuracy_deg": "1.2"}, "validation.accuracy_deg must be a number"),
    ("validation", {"accuracy_deg": -1}, "validation.accuracy_deg must be a number"),
    ("validation", {"accuracy_deg": 1.0, "grade": 5}, "validation.grade must be a string"),
    ("stimulus", [], "stimulus must be an object"),
    ("stimulus", {"kind": "image"}, "stimulus is missing"),
    ("stimulus", {"kind": "video", "width_px": 1, "height_px": 1, "rect_x_px": 0, "rect_y_px": 0,
                  "rect_w_px": 1, "rect_h_px": 1}, "stimulus kind must be one of"),
    ("stimulus", {"kind": "image", "name": _HUGE, "width_px": 1, "height_px": 1, "rect_x_px": 0,
                  "rect_y_px": 0, "rect_w_px": 1, "rect_h_px": 1}, "stimulus name is too long"),
    ("stimulus", {"kind": "image", "width_px": 0.5, "height_px": 1, "rect_x_px": 0,
                  "rect_y_px": 0, "rect_w_px": 1, "rect_h_px": 1}, "width_px"),
    ("stimulus_image", "data:image/png;base64,AAAA", "stimulus_image must be an object"),
    ("fixations", {}, "fixations must be a list"),
    ("fixations", [{"start_ms": _HUGE}], "fixations[0]"),
    ("samples", [{"t_ms": _HUGE, "x": None, "y": None}], "samples[0].t_ms must be a finite number"),
    ("samples", [{"t_ms": 0, "x": [_HUGE], "y": 1}], "samples[0].x must be a number or null, got a list"),
    ("viewport", {"width": 10 ** 400, "height": 1}, "number too large"),
])
def test_wrong_types_and_long_strings_are_rejected_with_short_messages(key, value, message):
    session = _valid()
    session[key] = value
    with pytest.raises(FormatError) as info:
        validate_session(session)
    assert message in str(info.value)
    assert len(str(info.value)) < 400  # a hostile value is never echoed in full
    if key != "viewport":  # JSON cannot carry that int (see the next test)
        with pytest.raises(FormatError, match=re.escape(message)):
            load_session(json.dumps(session))


def test_hostile_json_numbers_and_nesting():
    base = dump_session(_valid())
    with pytest.raises(FormatError, match="digits"):
        load_session(base.replace('"width":800', '"width":' + "9" * 5000))
    with pytest.raises(FormatError, match="digits"):
        load_session(base.replace('"x":1.0', '"x":' + "1" * 400))
    with pytest.raises(FormatError, match="x must be a number or null, got inf"):
        load_session(base.replace('"x":1.0', '"x":1e999'))
    with pytest.raises(FormatError, match="not allowed"):
        load_session(base.replace('"x":1.0', '"x":NaN'))
    with pytest.raises(FormatError, match="nested too deeply"):
        load_session(base[:-1] + ',"calibration":' + "[" * 200_000 + "]" * 200_000 + "}")
    # Duplicated keys are fine: the last one wins, as in JavaScript.
    assert load_session(base[:-1] + ',"participant":"a","participant":"b"}')["participant"] == "b"


def test_stimulus_image_checks(monkeypatch):
    image = make_stimulus_image(_PNG, "image/png")
    assert image["sha256"] == hashlib.sha256(_PNG).hexdigest()
    assert base64.b64decode(image["data_base64"]) == _PNG
    session = {**_valid(), "stimulus_image": image}
    assert stimulus_image_bytes(load_session(dump_session(session))) == ("image/png", _PNG)
    assert stimulus_image_bytes(_valid()) is None
    upper = {**image, "sha256": image["sha256"].upper()}
    validate_session({**session, "stimulus_image": upper})
    bad = {
        "media_type must be one of": {**image, "media_type": "image/svg+xml"},
        "not valid base64": {**image, "data_base64": image["data_base64"][:-2] + "!!"},
        "must be 64 hex digits": {**image, "sha256": "abc"},
        "does not match": {**image, "sha256": "0" * 64},
        "not a image/jpeg picture": {**image, "media_type": "image/jpeg"},
        "data_base64 must be a string": {**image, "data_base64": None},
    }
    for message, value in bad.items():
        with pytest.raises(FormatError, match=re.escape(message)):
            validate_session({**session, "stimulus_image": value})
    jpeg = b"\xff\xd8\xff\xe0" + bytes(100)
    assert make_stimulus_image(jpeg, "image/jpeg")["media_type"] == "image/jpeg"
    webp = b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(20)
    make_stimulus_image(webp, "image/webp")
    with pytest.raises(FormatError, match="not a image/webp"):
        make_stimulus_image(b"RIFF\x10\x00\x00\x00WAVE" + bytes(20), "image/webp")
    monkeypatch.setattr(C, "SESSION_MAX_IMAGE_BYTES", 10)
    with pytest.raises(FormatError, match="too large"):
        validate_session(session)
    with pytest.raises(FormatError, match="too large"):
        make_stimulus_image(_PNG, "image/png")


def test_stimulus_key():
    session = _valid()
    assert stimulus_key(session) == "viewport:800x600"
    session["viewport"] = {"width": 1280.4, "height": 719.6}
    assert stimulus_key(session) == "viewport:1280x720"
    session["stimulus"] = {"kind": "image", "name": "shop.png", "width_px": 1600, "height_px": 900,
                           "rect_x_px": 10, "rect_y_px": 5, "rect_w_px": 1200, "rect_h_px": 675}
    assert stimulus_key(session) == "image:shop.png:1600x900"
    session["stimulus_image"] = make_stimulus_image(_PNG, "image/png")
    assert stimulus_key(session) == "sha256:" + hashlib.sha256(_PNG).hexdigest()
    with pytest.raises(FormatError):
        stimulus_key([])


def test_a_picture_kept_apart_is_named_by_its_hash():
    """The dashboard keeps pictures apart from sessions: stimulus_sha256 gives the same
    key as embedding the picture, and must agree with it when both are present."""
    digest = hashlib.sha256(_PNG).hexdigest()
    embedded = _valid()
    embedded["stimulus_image"] = make_stimulus_image(_PNG, "image/png")
    apart = _valid()
    apart["stimulus_sha256"] = digest.upper()
    assert validate_session(apart) is apart
    assert stimulus_key(apart) == stimulus_key(embedded) == "sha256:" + digest
    embedded["stimulus_sha256"] = digest
    validate_session(embedded)
    embedded["stimulus_sha256"] = "0" * 64
    with pytest.raises(FormatError, match="does not match"):
        validate_session(embedded)
    for bad in ("abc", 42, "g" * 64):
        apart["stimulus_sha256"] = bad
        with pytest.raises(FormatError, match="stimulus_sha256 must be 64 hex digits"):
            validate_session(apart)


def test_session_fixations_settings_and_scale():
    rng = random.Random(5)
    samples, t = [], 0.0
    for k in range(6):
        cx, cy = rng.uniform(100, 1100), rng.uniform(100, 600)
        for _ in range(15):
            samples.append({"t_ms": t, "x": cx + rng.gauss(0, 3), "y": cy + rng.gauss(0, 3)})
            t += 33.3
    session = make_session(samples, 1280, 720, None, CREATED)
    assert session_px_per_deg(session) == C.DEFAULT_PX_PER_DEG
    assert session_settings(session) == validate_settings({})
    expected = detect_fixations(samples, px_per_deg=C.DEFAULT_PX_PER_DEG,
                                **fixation_params(validate_settings({})))
    assert session_fixations(session) == expected and len(expected) == 6
    session["px_per_deg"] = 25.0
    session["settings"] = {"fixation_method": "idt"}
    expected = detect_fixations(samples, px_per_deg=25.0,
                                **fixation_params(validate_settings({"fixation_method": "idt"})))
    assert session_fixations(session) == expected
    session["fixations"] = [f.to_dict() for f in expected[:2]]
    assert as_fixations(session_fixations(session)) == expected[:2]
    session["settings"] = {"fixation_method": "magic"}
    del session["fixations"]
    with pytest.raises(InputError, match="magic"):
        session_fixations(session)


def test_documented_schema_accepts_the_optional_fields(jsonschema):
    docs = Path(__file__).resolve().parents[1] / "docs"
    schema = json.loads((docs / "session.schema.json").read_text())
    rng = random.Random(9)
    for _ in range(10):
        jsonschema.validate(_random_session(rng), schema)
    session = {**_valid(), "participant": "P01", "recording_id": "rec-1",
               "stimulus_image": make_stimulus_image(_PNG, "image/png")}
    jsonschema.validate(session, schema)
    for broken in ({**session, "participant": 3}, {**session, "recording_id": "r" * 101},
                   {**session, "stimulus_image": {**session["stimulus_image"], "media_type": "image/gif"}},
                   {**session, "stimulus_image": {**session["stimulus_image"], "sha256": "xyz"}}):
        try:
            jsonschema.validate(broken, schema)
        except jsonschema.ValidationError:
            pass
        else:
            raise AssertionError(f"schema accepted {broken}")


def _depth(obj):
    if isinstance(obj, list):
        return 1 + max((_depth(x) for x in obj), default=0)
    if isinstance(obj, dict):
        return 1 + max((_depth(x) for x in obj.values()), default=0)
    return 0


@pytest.mark.parametrize("seed", range(5))
def test_json_depth_matches_the_parsed_structure(seed):
    """Brackets inside strings (escaped quotes and backslashes around them) never count."""
    rng = random.Random(4000 + seed)
    chars = 'ab[]{}"\\\n/é😀\ud800'

    def text():
        return "".join(rng.choice(chars) for _ in range(rng.randint(0, 8)))

    def nest(k):
        if k == 0:
            return rng.choice([1, text(), None, [], {}])
        branch = rng.randrange(3)  # choose first: only the chosen branch is built
        if branch == 0:
            return [nest(k - 1), nest(k - 1)]
        if branch == 1:
            return {text(): nest(k - 1), "b": [nest(k - 1)]}
        return []

    for _ in range(300):
        obj = nest(rng.randint(0, 9))
        for ascii_only in (True, False):
            dumped = json.dumps(obj, ensure_ascii=ascii_only)
            assert json_depth(dumped) == _depth(obj), dumped
    assert json_depth(b"[" * 5000 + b"]" * 5000) == 5000


def test_deep_nesting_is_refused_before_parsing():
    # ~20,000 levels overflow the WebAssembly stack in Pyodide (a fatal error, not a
    # RecursionError), so depth is checked before json.loads runs.
    base = dump_session(_valid())
    for depth in (C.JSON_MAX_DEPTH, 20_000):
        deep = base[:-1] + ',"calibration":{"a":' + "[" * depth + "]" * depth + "}}"
        with pytest.raises(FormatError, match="nested too deeply"):
            load_session(deep)
    shallow = C.JSON_MAX_DEPTH - 2  # + the session object and calibration
    ok = base[:-1] + ',"calibration":{"a":' + "[" * shallow + "]" * shallow + "}}"
    assert load_session(ok)["calibration"]["a"] == json.loads("[" * shallow + "]" * shallow)
