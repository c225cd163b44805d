"""gazeheat.filters: the One Euro and Kalman filters, and filter_series."""

import csv
import math
import random

import pytest

import gazeheat.constants as C
from gazeheat.errors import InputError
from gazeheat.filters import KalmanFilter, OneEuroFilter, filter_series
from gazeheat.session import GazeSample

FILTERS = [OneEuroFilter, KalmanFilter]


def test_golden_one_euro(data_dir):
    # Expected values: an independent numpy implementation of the paper's filter with
    # a shared 2-D speed, defaults (1 Hz, beta 0.01, 1 Hz, 500 ms gap); the input has
    # a saccade, a 700 ms gap, a clock jump back and a repeated timestamp.
    with open(data_dir / "one_euro_case.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 140
    filt = OneEuroFilter()
    for i, row in enumerate(rows):
        x, y = filt.update(float(row["t_ms"]), float(row["x"]), float(row["y"]))
        assert x == pytest.approx(float(row["expected_x"]), rel=1e-9, abs=1e-9), i
        assert y == pytest.approx(float(row["expected_y"]), rel=1e-9, abs=1e-9), i


@pytest.mark.parametrize("seed", range(10))
def test_constant_input_stays_constant(seed):
    rng = random.Random(seed)
    x, y = rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)
    filt = OneEuroFilter(rng.uniform(0.1, 5), rng.uniform(0, 1), rng.uniform(0.1, 5))
    t = 0.0
    for _ in range(200):
        t += rng.uniform(1, 100)
        assert filt.update(t, x, y) == (x, y)


@pytest.mark.parametrize("seed", range(5))
def test_output_length_and_finiteness(seed):
    rng = random.Random(seed)
    filt = OneEuroFilter()
    times = sorted(rng.uniform(0, 60_000) for _ in range(500))
    out = [filt.update(t, rng.uniform(0, 1920), rng.uniform(0, 1080)) for t in times]
    assert len(out) == len(times)
    assert all(math.isfinite(v) for p in out for v in p)


def test_first_sample_passes_through():
    assert OneEuroFilter().update(123.0, 4.5, -6.0) == (4.5, -6.0)


def test_jitter_is_reduced_and_steps_are_followed():
    rng = random.Random(11)
    filt = OneEuroFilter()
    raw, out = [], []
    for i in range(300):
        x = 500 + rng.gauss(0, 15)
        raw.append(x)
        out.append(filt.update(i * 33.3, x, 300.0)[0])
    spread = lambda v: math.sqrt(sum((a - 500) ** 2 for a in v) / len(v))  # noqa: E731
    assert spread(out[50:]) < 0.5 * spread(raw[50:])
    # A big jump is followed quickly (the cutoff rises with speed).
    for i in range(300, 315):
        x, _ = filt.update(i * 33.3, 1500.0, 300.0)
    assert x == pytest.approx(1500.0, abs=20)


def test_backwards_time_and_gap_reset():
    filt = OneEuroFilter(max_gap_ms=200)
    filt.update(0, 0.0, 0.0)
    assert filt.update(33, 100.0, 100.0) != (100.0, 100.0)
    assert filt.update(10, 50.0, 60.0) == (50.0, 60.0)  # clock went back
    filt.update(40, 55.0, 60.0)
    assert filt.update(241, 900.0, 800.0) == (900.0, 800.0)  # gap > 200 ms


def test_repeated_timestamp_returns_previous_output():
    filt = OneEuroFilter()
    filt.update(0, 0.0, 0.0)
    first = filt.update(30, 10.0, 10.0)
    assert filt.update(30, 500.0, 500.0) == first


def test_reset_forgets_state():
    filt = OneEuroFilter()
    filt.update(0, 0.0, 0.0)
    filt.update(30, 10.0, 10.0)
    filt.reset()
    assert filt.update(60, 700.0, 7.0) == (700.0, 7.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"min_cutoff": 0}, "min_cutoff must be > 0 Hz, got 0"),
    ({"min_cutoff": float("nan")}, "min_cutoff must be finite"),
    ({"beta": -0.1}, "beta must be >= 0, got -0.1"),
    ({"d_cutoff": -1}, "d_cutoff must be > 0 Hz, got -1"),
    ({"max_gap_ms": 0}, "max_gap_ms must be > 0 ms, got 0"),
    ({"beta": "1"}, "beta must be a number"),
])
def test_constructor_validates(kwargs, message):
    with pytest.raises(ValueError, match=message):
        OneEuroFilter(**kwargs)


def test_update_rejects_non_finite():
    filt = OneEuroFilter()
    with pytest.raises(InputError, match="x must be finite"):
        filt.update(0, float("nan"), 0)
    with pytest.raises(InputError, match="t_ms"):
        filt.update(None, 0, 0)


# --- Kalman filter -------------------------------------------------------------------


def test_golden_kalman(data_dir):
    # Expected values: an independent numpy implementation with 4x4 matrices (state
    # x, y, vx, vy), defaults; the input has a 420 px saccade (sample 40, restart),
    # a pursuit, a 700 ms gap (80), a clock jump back (100), a repeated timestamp
    # (120) and a 60 px step that is smoothed, not restarted (130).
    with open(data_dir / "kalman_case.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 150
    filt = KalmanFilter()
    restarts = []
    for i, row in enumerate(rows):
        x_in, y_in = float(row["x"]), float(row["y"])
        x, y = filt.update(float(row["t_ms"]), x_in, y_in)
        assert x == pytest.approx(float(row["expected_x"]), rel=1e-9, abs=1e-9), i
        assert y == pytest.approx(float(row["expected_y"]), rel=1e-9, abs=1e-9), i
        if (x, y) == (x_in, y_in):
            restarts.append(i)
    assert restarts == [0, 40, 80, 100]


def _kalman_oracle(np, q, sigma, times, points):
    """Plain Kalman equations with 4x4 matrices (no restarts; the caller checks the
    innovation stays under the jump threshold)."""
    h = np.hstack([np.eye(2), np.zeros((2, 2))])
    r = sigma ** 2 * np.eye(2)
    state = np.array([points[0][0], points[0][1], 0.0, 0.0])
    cov = np.diag([sigma ** 2, sigma ** 2, C.KALMAN_START_SPEED_SIGMA_PX_S ** 2,
                   C.KALMAN_START_SPEED_SIGMA_PX_S ** 2])
    out, mahalanobis = [tuple(points[0])], []
    for k in range(1, len(times)):
        dt = (times[k] - times[k - 1]) / 1000.0
        f = np.eye(4)
        f[0, 2] = f[1, 3] = dt
        qm = q * np.kron(np.array([[dt ** 3 / 3, dt ** 2 / 2], [dt ** 2 / 2, dt]]), np.eye(2))
        state = f @ state
        cov = f @ cov @ f.T + qm
        innovation = np.asarray(points[k]) - h @ state
        s = h @ cov @ h.T + r
        mahalanobis.append(float(np.sqrt(innovation @ np.linalg.solve(s, innovation))))
        gain = cov @ h.T @ np.linalg.inv(s)
        state = state + gain @ innovation
        cov = (np.eye(4) - gain @ h) @ cov
        out.append((state[0], state[1]))
    return out, max(mahalanobis)


@pytest.mark.parametrize("seed", range(8))
def test_kalman_matches_numpy_oracle(np, seed):
    rng = random.Random(seed)
    q = 10 ** rng.uniform(4, 6.5)
    sigma = rng.uniform(5, 60)
    jump = 6.0
    # A smooth random path plus measurement noise at irregular frame times.
    t, x, y, vx, vy = rng.uniform(0, 1e5), rng.uniform(0, 1900), rng.uniform(0, 1000), 0.0, 0.0
    times, points = [], []
    for _ in range(300):
        dt = rng.uniform(10, 80)
        t += dt
        vx += rng.gauss(0, 30)
        vy += rng.gauss(0, 30)
        x += vx * dt / 1000.0
        y += vy * dt / 1000.0
        times.append(t)
        points.append((x + rng.gauss(0, sigma), y + rng.gauss(0, sigma)))
    expected, worst = _kalman_oracle(np, q, sigma, times, points)
    assert worst < jump  # so the saccade restart never fired
    filt = KalmanFilter(q, sigma, jump, max_gap_ms=1000)
    for k, (tk, (xk, yk)) in enumerate(zip(times, points, strict=True)):
        fx, fy = filt.update(tk, xk, yk)
        assert fx == pytest.approx(expected[k][0], rel=1e-9, abs=1e-7), k
        assert fy == pytest.approx(expected[k][1], rel=1e-9, abs=1e-7), k


def test_kalman_tracks_a_ramp_without_lag():
    # A constant-velocity model follows constant velocity exactly in the end.
    filt = KalmanFilter()
    for i in range(120):
        x, y = filt.update(i * 33.3, 100.0 + 0.5 * i * 33.3, 200.0 - 0.2 * i * 33.3)
    assert x == pytest.approx(100.0 + 0.5 * 119 * 33.3, abs=0.5)
    assert y == pytest.approx(200.0 - 0.2 * 119 * 33.3, abs=0.5)


def test_kalman_reduces_jitter_without_spurious_restarts():
    rng = random.Random(5)
    filt = KalmanFilter()
    raw, out, restarts = [], [], 0
    for i in range(600):
        x, y = 500 + rng.gauss(0, 40), 300 + rng.gauss(0, 40)
        fx, fy = filt.update(i * 33.3, x, y)
        restarts += (fx, fy) == (x, y)
        raw.append(x)
        out.append(fx)
    spread = lambda v: math.sqrt(sum((a - 500) ** 2 for a in v) / len(v))  # noqa: E731
    assert spread(out[30:]) < 0.6 * spread(raw[30:])
    assert restarts <= 2  # the first sample, and at most one 4-sigma excursion


def test_kalman_restarts_on_a_saccade_only():
    filt = KalmanFilter()
    for i in range(30):
        filt.update(i * 33.3, 100.0, 100.0)
    x, _ = filt.update(30 * 33.3, 160.0, 100.0)  # 60 px: smoothed
    assert 100.0 < x < 160.0
    assert filt.update(31 * 33.3, 700.0, 500.0) == (700.0, 500.0)  # restart


def test_kalman_backwards_time_gap_repeat_and_reset():
    filt = KalmanFilter(max_gap_ms=200)
    filt.update(0, 0.0, 0.0)
    first = filt.update(33, 30.0, 30.0)
    assert first != (30.0, 30.0)
    assert filt.update(33, 90.0, 90.0) == first  # repeated timestamp
    assert filt.update(10, 50.0, 60.0) == (50.0, 60.0)  # clock went back
    filt.update(40, 55.0, 60.0)
    assert filt.update(241, 900.0, 800.0) == (900.0, 800.0)  # gap > 200 ms
    filt.reset()
    assert filt.update(300, 7.0, 8.0) == (7.0, 8.0)


@pytest.mark.parametrize("kwargs, message", [
    ({"accel_psd_px2_s3": 0}, "accel_psd_px2_s3 must be > 0 px\\^2/s\\^3, got 0"),
    ({"measurement_sigma_px": -1}, "measurement_sigma_px must be > 0 px, got -1"),
    ({"jump_sigmas": float("inf")}, "jump_sigmas must be finite"),
    ({"max_gap_ms": 0}, "max_gap_ms must be > 0 ms, got 0"),
    ({"accel_psd_px2_s3": True}, "accel_psd_px2_s3 must be a number"),
])
def test_kalman_constructor_validates(kwargs, message):
    with pytest.raises(InputError, match=message):
        KalmanFilter(**kwargs)


def test_kalman_update_rejects_non_finite():
    filt = KalmanFilter()
    with pytest.raises(InputError, match="y must be finite"):
        filt.update(0, 0, float("inf"))
    with pytest.raises(InputError, match="t_ms"):
        filt.update("0", 0, 0)


# --- properties of both filters --------------------------------------------------------


@pytest.mark.parametrize("cls", FILTERS)
@pytest.mark.parametrize("seed", range(6))
def test_constant_stays_constant_both(cls, seed):
    rng = random.Random(seed)
    x, y = rng.uniform(-2000, 2000), rng.uniform(-2000, 2000)
    if cls is KalmanFilter:
        filt = KalmanFilter(10 ** rng.uniform(3, 7), rng.uniform(1, 100), rng.uniform(1, 8))
    else:
        filt = OneEuroFilter(rng.uniform(0.1, 5), rng.uniform(0, 1), rng.uniform(0.1, 5))
    t = 0.0
    for _ in range(200):
        t += rng.uniform(1, 100)
        assert filt.update(t, x, y) == (x, y)


@pytest.mark.parametrize("cls", FILTERS)
@pytest.mark.parametrize("direction", [(1, 0), (0, -1), (0.6, 0.8)])
def test_saccade_step_followed_within_two_frames(cls, direction):
    # A 400 px step at 30 Hz, after a noisy fixation, is within 10 % after 2 frames.
    rng = random.Random(3)
    filt = cls()
    dt = 1000.0 / 30.0
    for i in range(60):
        filt.update(i * dt, 600 + rng.gauss(0, 10), 500 + rng.gauss(0, 10))
    tx, ty = 600 + 400 * direction[0], 500 + 400 * direction[1]
    filt.update(60 * dt, tx, ty)
    x, y = filt.update(61 * dt, tx, ty)
    assert math.hypot(x - tx, y - ty) <= 40.0


@pytest.mark.parametrize("cls", FILTERS)
@pytest.mark.parametrize("seed", range(4))
def test_filter_series_length_times_and_gaps(cls, seed):
    rng = random.Random(seed)
    t, rows = 0.0, []
    for _ in range(rng.randint(0, 400)):
        t += rng.choice([0.0, rng.uniform(1, 60), rng.uniform(200, 900)])
        if rng.random() < 0.15:
            gap = rng.choice([None, float("nan")])
            rows.append((t, gap, gap))
        else:
            rows.append((t, rng.uniform(0, 1920), rng.uniform(0, 1080)))
    out = filter_series(cls(), rows)
    assert len(out) == len(rows)
    after_gap = True
    for got, (t_in, x_in, y_in) in zip(out, rows, strict=True):
        assert isinstance(got, GazeSample) and got.t_ms == t_in
        if x_in is None or x_in != x_in:
            assert got.x is None and got.y is None
            after_gap = True
        else:
            assert math.isfinite(got.x) and math.isfinite(got.y)
            if after_gap:  # the filter was reset: the sample passes through
                assert (got.x, got.y) == (x_in, y_in)
            after_gap = False


def test_filter_series_accepts_every_sample_form():
    rows = [(i * 33.3, 100.0 + 9 * (i % 4), 50.0 + 5 * (i % 3)) for i in range(30)]
    rows[10] = (rows[10][0], None, None)
    expected = filter_series(KalmanFilter(), rows)
    as_samples = [GazeSample(*r) for r in rows]
    as_dicts = [{"t_ms": t, "x": x, "y": y} for t, x, y in rows]
    as_lists = [list(r) for r in rows]
    for form in (as_samples, as_dicts, as_lists, iter(rows)):
        assert filter_series(KalmanFilter(), form) == expected


def test_filter_series_is_repeatable_and_matches_update():
    samples = [(i * 33.3, 100.0 + 7 * (i % 5), 200.0 - 3 * (i % 7)) for i in range(50)]
    filt = KalmanFilter()
    first = filter_series(filt, samples)
    assert filter_series(filt, samples) == first  # reset first: same result
    manual = KalmanFilter()
    assert [(s.x, s.y) for s in first] == [manual.update(*s) for s in samples]


def test_filter_series_rejects_bad_samples():
    with pytest.raises(InputError, match=r"samples\[1\] must be a GazeSample"):
        filter_series(OneEuroFilter(), [(0, 1, 2), 5])
    with pytest.raises(InputError, match=r"samples\[0\] is missing t_ms"):
        filter_series(OneEuroFilter(), [{"x": 1, "y": 2}])
    with pytest.raises(InputError, match=r"samples\[0\].t_ms must be a finite number"):
        filter_series(OneEuroFilter(), [(float("nan"), 1, 2)])
    with pytest.raises(InputError, match=r"samples\[0\]: x and y must not be infinite"):
        filter_series(OneEuroFilter(), [(0, float("inf"), 2)])
    with pytest.raises(InputError, match=r"samples\[0\]: x and y must be numbers or None"):
        filter_series(OneEuroFilter(), [(0, "1", 2)])
