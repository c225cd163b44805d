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
