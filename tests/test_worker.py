"""gazeheat._worker: the adapter the JavaScript worker calls."""

from array import array

import pytest

import gazeheat
from gazeheat import _worker
from gazeheat.png import decode_png_rgba

W, H = 1280, 720


class FakeFloat32Array:
    """Stands in for a Pyodide JsProxy of a Float32Array (has to_bytes())."""

    BYTES_PER_ELEMENT = 4

    def __init__(self, values):
        self._bytes = array("f", values).tobytes()

    def to_bytes(self):
        return self._bytes


class FakeFloat64Array(FakeFloat32Array):
    BYTES_PER_ELEMENT = 8

    def __init__(self, values):
        self._bytes = array("d", values).tobytes()


class JsNull:
    """Same class name as Pyodide's representation of JavaScript null."""

    def __bool__(self):
        return False


class FakeJsArray:
    """A proxy of a plain JS Array: only to_py()."""

    def __init__(self, values):
        self._values = list(values)

    def to_py(self):
        return self._values


@pytest.fixture
def worker():
    assert _worker.init(W, H) == {"ok": True, "result": {"version": gazeheat.__version__}}
    yield _worker
    _worker._tracker = None


def _ok(reply):
    assert reply["ok"] is True, reply
    return reply["result"]


@pytest.mark.parametrize("wrap", [
    list, tuple, lambda v: array("f", v), lambda v: array("f", v).tobytes(),
    lambda v: memoryview(array("f", v)), lambda v: bytearray(array("f", v).tobytes()),
    FakeFloat32Array, FakeFloat64Array, FakeJsArray,
])
def test_frame_accepts_every_array_form(worker, synth, wrap):
    landmarks = synth.landmarks(u=0.45)
    matrix = synth.matrix(5.0, 0.0, 0.0)
    result = _ok(worker.frame(0.0, wrap(landmarks), wrap(matrix), 640, 480, JsNull(), JsNull(), JsNull()))
    assert result["state"] == "uncalibrated"


def test_full_flow(worker, synth):
    targets = _ok(worker.calibration_start())
    assert len(targets) == 9 and targets[4] == {"index": 4, "x_px": 640.0, "y_px": 360.0}
    t = 0.0
    for target in targets:
        u = 0.4 + 0.1 * (target["x_px"] / W)
        v = -0.03 + 0.06 * (target["y_px"] / H)
        for k in range(20):
            lm = FakeFloat32Array(synth.landmarks(u=u + 0.001 * (k % 3), v=v))
            reply = _ok(worker.frame(t, lm, FakeFloat32Array(synth.matrix()), 640, 480,
                                     target["index"], target["x_px"], target["y_px"]))
            assert reply["state"] == "calibrating"
            t += 33.3
    summary = _ok(worker.calibration_finish())
    assert summary["n_targets"] == 9 and summary["rms_px"] < 30
    reply = _ok(worker.frame(t, synth.landmarks(u=0.45, v=0.0), synth.matrix(), 640, 480))
    assert reply["state"] == "tracking" and reply["x"] == pytest.approx(W / 2, abs=40)
    assert _ok(worker.no_face(t + 33, JsNull())) == {"t_ms": t + 33, "x": None, "y": None, "state": "no_face"}
    assert _ok(worker.no_face(t + 66, "no_camera"))["state"] == "no_camera"
    heat = _ok(worker.heatmap(JsNull(), JsNull()))
    assert isinstance(heat["png"], bytes) and heat["n_points"] == 1
    session = _ok(worker.session("2025-01-31T12:00:00.000Z"))
    assert len(session["samples"]) == 3
    assert _ok(worker.clear_recording()) is None
    assert _ok(worker.session(None))["samples"] == []
    assert _ok(worker.set_viewport(800, 600)) is None
    assert len(_ok(worker.calibration_targets("16"))) == 16


def test_errors_become_replies(worker, synth):
    reply = worker.frame(0.0, [0.5] * 10, synth.matrix(), 640, 480)
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    assert "1434" in reply["error"]["message"]
    reply = worker.frame(0.0, b"abc", synth.matrix(), 640, 480)
    assert reply["error"]["type"] == "InputError"
    reply = worker.calibration_finish()
    assert reply == {"ok": False, "error": {"type": "CalibrationError",
                                            "message": "start_calibration() was not called"}}


def test_unexpected_exceptions_are_internal_errors(worker, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(worker._tracker, "heatmap_png", broken)
    assert worker.heatmap() == {"ok": False, "error": {"type": "InternalError",
                                                       "message": "RuntimeError: kaboom"}}


def test_calls_before_init_fail_cleanly():
    _worker._tracker = None
    reply = _worker.no_face(0.0, "no_face")
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    assert "init()" in reply["error"]["message"]
    assert _worker.init(0, 10)["error"]["type"] == "InputError"


def test_cancelled_calibration_keeps_tracking_uncalibrated(worker, synth):
    _ok(worker.calibration_start())
    frame = worker.frame(0.0, synth.landmarks(), synth.matrix(), 640, 480, 0, 128.0, 72.0)
    assert _ok(frame)["state"] == "calibrating"
    assert _ok(worker.calibration_cancel()) is None
    frame = worker.frame(40.0, synth.landmarks(), synth.matrix(), 640, 480)
    assert _ok(frame)["state"] == "uncalibrated"


def test_recording_over_a_stimulus_and_rendering(worker, synth):
    from test_tracker import calibrate

    from conftest import Face

    face = Face(synth, seed=2)
    t, _ = calibrate(worker._tracker, face)
    assert worker._tracker.finish_calibration()["n_targets"] == 9
    geometry = {"kind": "image", "name": "cat.png", "width_px": 40, "height_px": 20,
                "rect_x_px": 0, "rect_y_px": 160, "rect_w_px": 1280, "rect_h_px": 640}
    rgba = bytes([200, 100, 50, 255]) * (40 * 20)
    assert _ok(worker.recording_start(geometry, rgba, 40, 20)) is None
    for k in range(60):
        _ok(worker.frame(t + 100 + k * 33.3, *face.frame(300 if k < 30 else 900, 400)))
    summary = _ok(worker.recording_stop())
    assert summary["n_samples"] == 60 and summary["n_fixations"] >= 1
    _ok(worker.frame(t + 5000, *face.frame(640, 400)))
    assert _ok(worker.session())["samples"][-1]["t_ms"] < t + 5000, "recorded after stop"
    png = _ok(worker.render_heatmap({"output": "overlay"}))
    w, h, _ = decode_png_rgba(png["png"])
    assert (w, h) == (40, 20), "rendered at the stimulus's native size"
    assert _ok(worker.render_options())["weightings"][0][0] == "duration"
    bad = worker.recording_start(geometry, b"xx", 40, 20)
    assert bad["ok"] is False and "bytes" in bad["error"]["message"]


def test_replay_through_the_worker(synth):
    import json

    recording = {"format": "gazeheat.recording", "version": 1, "video": "v.webm",
                 "viewport": {"width": 1280, "height": 720}, "targets": []}
    reply = _worker.replay_start(json.dumps({**recording, "video": "../x"}))
    assert reply["ok"] is False and reply["error"]["type"] == "FormatError"
    assert _ok(_worker.replay_start(json.dumps(recording)))["video"] == "v.webm"
    assert _worker.replay_frame(0.0, [0.5] * 3, [0.0] * 16, 640, 480)["ok"] is False
    assert _ok(_worker.replay_no_face(0.0, "noface")) is None
    assert _worker.replay_finish()["error"]["type"] == "CalibrationError"


# --- heatmap studio: render_heatmap, render_gazeplot, export_csv -----------------------


class FakeUint8Array:
    """A Pyodide proxy of a Uint8Array passed directly (has to_bytes())."""

    def __init__(self, data):
        self._data = bytes(data)

    def to_bytes(self):
        return self._data


class FakeJsObject:
    """A proxy of a JS object: to_py() gives a dict whose nulls are JsNull and whose
    typed arrays are memoryviews, as Pyodide's conversion does."""

    def __init__(self, d):
        self._d = d

    def to_py(self):
        return self._d


@pytest.fixture
def recorded(worker, load_json, monkeypatch):
    """The worker with the fixture session as its recording."""
    session = load_json("session_studio.json")
    monkeypatch.setattr(worker._tracker, "session", lambda created_iso=None: session)
    return worker, session


def test_render_heatmap_outputs(recorded, data_dir):
    worker, session = recorded
    _, _, stimulus = decode_png_rgba((data_dir / "stimulus_160x90.png").read_bytes())
    result = _ok(worker.render_heatmap(FakeJsObject({
        "stimulus_rgba": memoryview(stimulus), "stimulus_w_px": 160, "stimulus_h_px": 90,
        "colormap": "turbo", "sigma_deg": 1.2, "weighting": "relative", "opacity": 0.7,
        "cutoff": 0.05, "scale": JsNull(), "scale_max": JsNull(), "geometry": JsNull()})))
    assert result["output"] == "overlay" and decode_png_rgba(result["png"])[:2] == (160, 90)
    assert (result["width_px"], result["height_px"]) == (160, 90)
    assert result["unit"] == "fraction" and result["total_weight"] == pytest.approx(1.0)
    assert result["title"] == "share of fixation time (%)" and result["n_points"] == 10
    assert result["geometry"] == session["stimulus"]
    legend = result["legend"]
    assert legend["title"] == result["title"] and len(legend["stops"]) == 11
    assert isinstance(legend["png"], bytes) and legend["ticks"][-1]["label"]
    coarse = _ok(worker.render_heatmap({"output": "coarse", "source": "samples"}))
    w, h, _ = decode_png_rgba(coarse["png"])
    assert (w, h) == (coarse["grid_w"], coarse["grid_h"]) and coarse["cell_px"] > 0
    assert coarse["top_value"] == coarse["max_value"] and coarse["unit"] == "s"
    absolute = _ok(worker.render_heatmap({"output": "heatmap", "scale": "absolute",
                                          "scale_max": 0.2}))
    assert absolute["top_value"] == 0.2 and absolute["legend"]["max_value"] == 0.2
    assert decode_png_rgba(absolute["png"])[:2] == (160, 90)


def test_render_heatmap_with_another_geometry_and_image_size(recorded):
    worker, _ = recorded
    geometry = {"kind": "screen", "width_px": 640, "height_px": 360, "rect_x_px": 0,
                "rect_y_px": 0, "rect_w_px": 1280, "rect_h_px": 720}
    result = _ok(worker.render_heatmap({"geometry": geometry}))
    assert decode_png_rgba(result["png"])[:2] == (640, 360)
    # a smaller copy of the image: same rectangle, the image's size
    small = _ok(worker.render_heatmap({"geometry": geometry, "stimulus_w_px": 64,
                                       "stimulus_h_px": 36,
                                       "stimulus_rgba": FakeUint8Array(b"\x80" * (64 * 36 * 4))}))
    assert decode_png_rgba(small["png"])[:2] == (64, 36)
    assert small["geometry"]["rect_w_px"] == 1280


@pytest.mark.parametrize("options, message", [
    ({"output": "svg"}, "output"),
    ({"source": "blinks"}, "source"),
    ({"weighting": "time"}, "weighting"),
    ({"colormap": "nope"}, "colormap"),
    ({"scale": "absolute"}, "scale_max"),
    ({"stimulus_rgba": b"\x00" * 8}, "stimulus_w_px"),
    ({"stimulus_rgba": b"\x00" * 8, "stimulus_w_px": 160, "stimulus_h_px": 90}, "bytes"),
    ({"stimulus_rgba": 5, "stimulus_w_px": 1, "stimulus_h_px": 1}, "Uint8Array"),
    ({"geometry": {"kind": "image"}}, "stimulus is missing"),
])
def test_render_heatmap_errors_are_replies(recorded, options, message):
    worker, _ = recorded
    reply = worker.render_heatmap(options)
    assert reply["ok"] is False and reply["error"]["type"] == "InputError"
    assert message in reply["error"]["message"]


def test_render_gazeplot_and_export_csv(recorded):
    worker, session = recorded
    plot = _ok(worker.render_gazeplot(FakeJsObject({"sizing": "linear", "max_radius_deg": JsNull()})))
    assert decode_png_rgba(plot["png"])[:2] == (160, 90) and plot["n_fixations"] == 10
    assert worker.render_gazeplot({"sizing": "area"})["error"]["type"] == "InputError"
    samples = _ok(worker.export_csv("samples"))
    assert samples.splitlines()[0] == "t_ms,x_px,y_px,valid,stim_x_px,stim_y_px"
    assert len(samples.splitlines()) == len(session["samples"]) + 1
    fixations = _ok(worker.export_csv("fixations", JsNull()))
    assert len(fixations.splitlines()) == 11 and fixations.startswith("index,start_ms")
    viewport = {"kind": "blank", "width_px": 1280, "height_px": 720, "rect_x_px": 0,
                "rect_y_px": 0, "rect_w_px": 1280, "rect_h_px": 720}
    assert _ok(worker.export_csv("fixations", FakeJsObject(viewport))).count(",") == 11 * 9
    assert worker.export_csv("gaze")["error"]["type"] == "InputError"


def test_studio_functions_on_a_real_recording(worker, synth):
    """Through the tracker itself: calibrate, record a few frames, render."""
    import json

    _ok(worker.calibration_start())
    t = 0.0
    for target in _ok(worker.calibration_targets()):
        u = 0.4 + 0.1 * (target["x_px"] / W)
        v = -0.03 + 0.06 * (target["y_px"] / H)
        for k in range(20):
            worker.frame(t, synth.landmarks(u=u + 0.001 * (k % 3), v=v), synth.matrix(), 640,
                         480, target["index"], target["x_px"], target["y_px"])
            t += 33.3
    _ok(worker.calibration_finish())
    for k in range(30):
        _ok(worker.frame(t, synth.landmarks(u=0.45, v=0.0), synth.matrix(), 640, 480))
        t += 33.3
    result = _ok(worker.render_heatmap({"output": "coarse", "source": "samples"}))
    assert result["n_points"] == 30 and result["width_px"] == W
    assert _ok(worker.render_heatmap({}))["n_points"] >= 1  # one long fixation
    assert _ok(worker.render_gazeplot({}))["n_fixations"] >= 1
    assert len(_ok(worker.export_csv("samples")).splitlines()) == 31
    json.dumps(_ok(worker.render_heatmap({"output": "coarse"}))["legend"]["ticks"])


def test_pursuit_plan_round_trip(worker):
    import json
    import re
    from pathlib import Path

    plan = _ok(worker.pursuit_plan())
    assert plan == json.loads(json.dumps(plan, allow_nan=False))  # plain data only
    assert plan["first_index"] == gazeheat.constants.PURSUIT_FIRST_INDEX
    assert plan["points"][0] == {"t_ms": 0.0, "x_px": W / 2, "y_px": H / 2}
    assert plan["points"][-1]["t_ms"] == plan["duration_ms"]
    _ok(worker.set_viewport(800, 600))
    assert _ok(worker.pursuit_plan())["points"][0] == {"t_ms": 0.0, "x_px": 400.0, "y_px": 300.0}
    # The page's message table names it (js/messages.js: type -> Python function).
    table = (Path(__file__).resolve().parents[1] / "js" / "messages.js").read_text()
    assert re.search(r'pursuitPlan: \{ fn: "pursuit_plan", args: \[\] \}', table)
    assert "pursuit_plan" in _worker.__all__
    _worker._tracker = None
    assert _worker.pursuit_plan()["error"]["type"] == "InputError"  # before init()
