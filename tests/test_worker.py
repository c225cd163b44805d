"""gazeheat._worker: the adapter the JavaScript worker calls."""

from array import array

import pytest

import gazeheat
from gazeheat import _worker

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
    assert len(_ok(worker.calibration_targets(2, 2))) == 4


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
