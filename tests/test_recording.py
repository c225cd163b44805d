"""gazeheat.recording: recording.json v1 is checked rule by rule; hostile names refused."""
import json

import pytest

from gazeheat.errors import FormatError
from gazeheat.recording import load_recording

GOOD = {"format": "gazeheat.recording", "version": 1, "video": "video.webm",
        "viewport": {"width": 1280, "height": 720},
        "targets": [{"phase": "calibration", "x": 128, "y": 72, "start_ms": 1700, "end_ms": 3500},
                    {"phase": "validation", "x": 384, "y": 216, "start_ms": 4000, "end_ms": 5800}],
        "synthetic": {"seed": 1}}


def with_(**changes):
    return json.dumps({**GOOD, **changes})


def test_a_good_recording_loads():
    rec = load_recording(json.dumps(GOOD))
    assert rec.video == "video.webm" and (rec.viewport_w_px, rec.viewport_h_px) == (1280, 720)
    assert [t.phase for t in rec.targets] == ["calibration", "validation"]
    assert rec.target_at(2000)[0] == 0 and rec.target_at(3600) is None
    assert rec.of_phase("validation")[0][1].x == 384


@pytest.mark.parametrize("name", ["../video.webm", "/etc/passwd", "a\\b.webm", "C:video.webm",
                                  ".", "..", "vid\x00eo.webm", "", None, 3])
def test_hostile_or_bad_video_names_are_refused(name):
    with pytest.raises(FormatError, match="video"):
        load_recording(with_(video=name))


@pytest.mark.parametrize("text, words", [
    (with_(format="other"), "format"),
    (with_(version=2), "unsupported version"),
    (with_(viewport={"width": 0, "height": 720}), "viewport"),
    (with_(targets=[{**GOOD["targets"][0], "phase": "free"}]), "phase"),
    (with_(targets=[{**GOOD["targets"][0], "x": 5000}]), "outside"),
    (with_(targets=[{**GOOD["targets"][0], "end_ms": 1000}]), "end_ms"),
    (with_(targets=[GOOD["targets"][1], GOOD["targets"][0]]), "time order"),
    (with_(targets=[{**GOOD["targets"][0], "y": "72"}]), "finite number"),
    ('{"format": "gazeheat.recording", "version": NaN}', "not valid JSON"),
    (b"\xff\xfe", "UTF-8"),
    ("[1, 2", "not valid JSON"),
    ("x" * (1 << 21), "too large"),
])
def test_broken_recordings_are_refused_with_the_field_named(text, words):
    with pytest.raises(FormatError, match=words):
        load_recording(text)


def test_documented_schema_agrees(jsonschema):
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "recording.schema.json").read_text())
    jsonschema.validate(GOOD, schema)


def test_a_page_recording_zips_into_a_readable_directory(tmp_path):
    import zipfile

    from gazeheat.recording import make_recording, recording_zip

    recording = make_recording("webcam.webm", 1280, 720, GOOD["targets"])
    data = recording_zip(recording, b"\x1aE\xdf\xa3fake-webm")
    path = tmp_path / "rec.zip"
    path.write_bytes(data)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["recording.json", "webcam.webm"]
        assert load_recording(z.read("recording.json")).video == "webcam.webm"
        assert z.read("webcam.webm").startswith(b"\x1aE\xdf\xa3")
    with pytest.raises(FormatError):
        make_recording("../up.webm", 1280, 720, [])


# --- the pursuit phase (smooth-pursuit calibration pass) ----------------------------------

PATH = [{"t_ms": 3600 + 50 * k, "x": 640 + 10 * k, "y": 360 - 5 * k} for k in range(21)]  # to 4600
PURSUIT = {"phase": "pursuit", "x": 645, "y": 357.5, "start_ms": 3625, "end_ms": 4600, "path": PATH}
WITH_PURSUIT = {**GOOD, "targets": [GOOD["targets"][0], PURSUIT,
                                    {**GOOD["targets"][1], "start_ms": 5000, "end_ms": 6800}]}


def with_pursuit(**changes):
    targets = [GOOD["targets"][0], {**PURSUIT, **changes}]
    return json.dumps({**GOOD, "targets": targets})


def test_a_recording_with_a_pursuit_target_loads_and_interpolates():
    rec = load_recording(json.dumps(WITH_PURSUIT))
    assert [t.phase for t in rec.targets] == ["calibration", "pursuit", "validation"]
    pursuit = rec.targets[1]
    assert rec.target_at(4000) == (1, pursuit) and rec.of_phase("pursuit") == [(1, pursuit)]
    assert len(pursuit.path) == 21 and pursuit.path[0] == (3600.0, 640.0, 360.0)
    # Linear interpolation between points, held at the ends; still targets stay put.
    assert pursuit.position_at(3625) == pytest.approx((645.0, 357.5))
    assert pursuit.position_at(4000) == pytest.approx((720.0, 320.0))
    assert pursuit.position_at(4001) == pytest.approx((720.2, 319.9))
    assert pursuit.position_at(3000) == (640.0, 360.0) and pursuit.position_at(9000) == (840.0, 260.0)
    assert rec.targets[0].position_at(2000) == (128.0, 72.0) and rec.targets[0].path == ()
    # to_dict gives the path back (and only for pursuit targets).
    assert pursuit.to_dict() == {**PURSUIT, "path": [{k: float(v) for k, v in p.items()} for p in PATH]}
    assert "path" not in rec.targets[0].to_dict()


def test_calibration_targets_are_numbered_as_gazeheat_calibrates():
    rec = load_recording(json.dumps(WITH_PURSUIT))
    from gazeheat import constants as C
    first = C.PURSUIT_FIRST_INDEX
    assert rec.calibration_dots() == [(0, GOOD["targets"][0]["start_ms"])]
    assert rec.calibration_target_at(GOOD["targets"][0]["start_ms"]) == (0, 128.0, 72.0)
    # Pursuit segments every PURSUIT_SEGMENT_MS from start_ms, where the dot was
    # PURSUIT_LAG_MS before the frame (the eyes trail it).
    pursuit = rec.targets[1]
    assert rec.calibration_target_at(3625) == pytest.approx((first, *pursuit.position_at(3625 - C.PURSUIT_LAG_MS)))
    later = 3625 + C.PURSUIT_SEGMENT_MS + 10
    assert rec.calibration_target_at(later) == pytest.approx((first + 1, *pursuit.position_at(later - C.PURSUIT_LAG_MS)))
    assert rec.calibration_target_at(5500) is None  # validation
    assert rec.calibration_target_at(3610) is None  # between targets


def test_many_dots_are_numbered_by_rank_below_the_pursuit_numbers():
    from gazeheat.constants import PURSUIT_FIRST_INDEX
    dots = [{"phase": "validation", "x": 10, "y": 10, "start_ms": 10 * k, "end_ms": 10 * k + 5}
            for k in range(PURSUIT_FIRST_INDEX)]
    dots.append({"phase": "calibration", "x": 20, "y": 20, "start_ms": 20000, "end_ms": 20005})
    rec = load_recording(json.dumps({**GOOD, "targets": dots}))
    assert rec.calibration_dots() == [(0, 20000.0)] and rec.calibration_target_at(20001)[0] == 0
    too_many = [{"phase": "calibration", "x": 20, "y": 20, "start_ms": 10 * k, "end_ms": 10 * k + 5}
                for k in range(PURSUIT_FIRST_INDEX + 1)]
    rec = load_recording(json.dumps({**GOOD, "targets": too_many}))
    with pytest.raises(FormatError, match="can be told from pursuit segments"):
        rec.calibration_target_at(1)


def test_a_pursuit_path_may_miss_its_ends_by_rounding_only():
    assert load_recording(with_pursuit(start_ms=3599.5, end_ms=4600.9)).targets[1].path[0][0] == 3600
    with pytest.raises(FormatError, match=r"targets\[1\].path must cover"):
        load_recording(with_pursuit(start_ms=3590))
    with pytest.raises(FormatError, match=r"targets\[1\].path must cover"):
        load_recording(with_pursuit(end_ms=4700))


def _point(k, **changes):
    return [{**p, **changes} if i == k else p for i, p in enumerate(PATH)]


@pytest.mark.parametrize("changes, words", [
    ({"path": None}, r"targets\[1\].path must be a list of at least 2 points"),
    ({"path": PATH[:1]}, "at least 2 points"),
    ({"path": "3600,640,360"}, "at least 2 points"),
    ({"path": [{"t_ms": 3600 + k * 0.01, "x": 1, "y": 1} for k in range(10_001)]}, "too many points"),
    ({"path": _point(3, t_ms=None)}, r"targets\[1\].path\[3\].t_ms must be a finite number"),
    ({"path": _point(3, x="700")}, r"path\[3\].x must be a finite number"),
    ({"path": _point(4, y=float("inf"))}, "not valid JSON"),
    ({"path": _point(5, x=1281)}, r"path\[5\] \(1281.0, 335.0\) lies outside"),
    ({"path": _point(5, y=-0.5)}, "outside"),
    ({"path": _point(6, t_ms=3650)}, r"path\[6\].t_ms must be > the previous"),
    ({"path": _point(6, t_ms=4000)}, r"path\[7\].t_ms must be > the previous point.s \(4000.0\)"),
    ({"path": [PATH[0], [3650, 1, 1]] + PATH[2:]}, r"path\[1\] must be an object"),
    ({"x": -1}, r"targets\[1\] \(-1.0, 357.5\) lies outside"),
    ({"phase": "Pursuit"}, "phase must be one of calibration, validation, pursuit"),
])
def test_broken_pursuit_targets_are_refused_with_the_field_named(changes, words):
    with pytest.raises(FormatError, match=words):
        load_recording(with_pursuit(**changes))


def test_a_path_on_a_still_target_is_ignored():
    rec = load_recording(json.dumps({**GOOD, "targets": [{**GOOD["targets"][0], "path": "junk"}]}))
    assert rec.targets[0].path == ()


def test_documented_schema_agrees_with_pursuit(jsonschema):
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "recording.schema.json").read_text())
    jsonschema.validate(WITH_PURSUIT, schema)
    no_path = {**GOOD, "targets": [{k: v for k, v in PURSUIT.items() if k != "path"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(no_path, schema)
    with pytest.raises(FormatError, match="path"):
        load_recording(json.dumps(no_path))


def test_make_recording_checks_pursuit_targets():
    from gazeheat.recording import make_recording

    obj = make_recording("webcam.webm", 1280, 720, WITH_PURSUIT["targets"])
    assert load_recording(json.dumps(obj)).targets[1].phase == "pursuit"
    with pytest.raises(FormatError, match="increase strictly"):
        make_recording("webcam.webm", 1280, 720, [{**PURSUIT, "path": _point(2, t_ms=3600)}])
