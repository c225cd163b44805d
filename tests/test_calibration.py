"""gazeheat.calibration: targets, ridge regression, collector and gaze model."""

import math
import random

import pytest

from gazeheat.calibration import (
    TERM_NAMES,
    CalibrationCollector,
    CalibrationSample,
    GazeModel,
    Target,
    TargetFit,
    grid_targets,
    ridge_solve,
)
from gazeheat.errors import CalibrationError, InputError
from gazeheat.features import extract_features

IDENTITY = [1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, 0, 1.0, 0, 0, 0, -50.0, 1.0]


# --- grid_targets --------------------------------------------------------------------


def test_grid_targets_3x3_row_major_with_margins():
    targets = grid_targets(1000, 500)
    got = [c for t in targets for c in (t.x_px, t.y_px)]
    assert got == pytest.approx([c for y in (50, 250, 450) for x in (100, 500, 900) for c in (x, y)])


def test_grid_targets_other_shapes():
    assert grid_targets(800, 600, rows=1, cols=1) == [Target(400.0, 300.0)]
    t = grid_targets(1000, 1000, rows=2, cols=5, margin=0.0)
    assert len(t) == 10
    assert (t[0].x_px, t[0].y_px) == (0.0, 0.0)
    assert (t[-1].x_px, t[-1].y_px) == pytest.approx((1000.0, 1000.0))


@pytest.mark.parametrize("kwargs, message", [
    ({"rows": 0}, "rows"), ({"cols": 2.5}, "cols"), ({"margin": 0.5}, "margin"),
    ({"margin": -0.1}, "margin"), ({"width_px": 0}, "width_px"),
])
def test_grid_targets_rejects_bad_arguments(kwargs, message):
    args = {"width_px": 100, "height_px": 100, **kwargs}
    with pytest.raises(InputError, match=message):
        grid_targets(**args)


def test_target_round_trip():
    assert Target.from_dict(Target(1.5, 2.0).to_dict()) == Target(1.5, 2.0)
    with pytest.raises(InputError):
        Target.from_dict({"x_px": 1})


# --- ridge_solve ---------------------------------------------------------------------


def test_ridge_golden(load_json):
    case = load_json("ridge_case.json")
    beta = ridge_solve(case["X"], case["y"], case["lam"], case["intercept_col"])
    assert beta == pytest.approx(case["expected_beta"], rel=1e-9, abs=1e-12)


def test_ridge_without_penalty_recovers_exact_coefficients():
    rng = random.Random(3)
    true = [1.5, -2.0, 0.25]
    X = [[1.0, rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(20)]
    y = [sum(a * b for a, b in zip(row, true)) for row in X]
    assert ridge_solve(X, y, 0.0) == pytest.approx(true, rel=1e-12)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("lam", [0.0, 0.01, 3.0, 100.0])
def test_ridge_matches_numpy(np, seed, lam):
    rng = np.random.default_rng(seed)
    n, p = int(rng.integers(8, 60)), int(rng.integers(2, 9))
    X = np.column_stack([np.ones(n), rng.normal(0, rng.uniform(0.1, 10), (n, p - 1))])
    y = X @ rng.normal(0, 5, p) + rng.normal(0, 1, n)
    penalty = lam * np.eye(p)
    penalty[0, 0] = 0.0  # intercept not penalised
    closed = np.linalg.solve(X.T @ X + penalty, X.T @ y)
    aug = np.linalg.lstsq(np.vstack([X, np.sqrt(penalty)]), np.concatenate([y, np.zeros(p)]), rcond=None)[0]
    got = np.array(ridge_solve(X.tolist(), y.tolist(), lam))
    scale = np.abs(closed).max()
    assert np.abs(got - closed).max() <= 1e-8 * scale
    assert np.abs(got - aug).max() <= 1e-8 * scale


def test_ridge_penalise_all_columns(np):
    rng = np.random.default_rng(7)
    X = rng.normal(size=(30, 4))
    y = rng.normal(size=30)
    expected = np.linalg.solve(X.T @ X + 2.0 * np.eye(4), X.T @ y)
    assert ridge_solve(X.tolist(), y.tolist(), 2.0, intercept_col=None) == pytest.approx(expected, rel=1e-9)


def test_ridge_singular_raises_calibration_error():
    X = [[1.0, 2.0, 4.0], [1.0, 3.0, 6.0], [1.0, 5.0, 10.0], [1.0, 7.0, 14.0]]  # col2 = 2*col1
    with pytest.raises(CalibrationError, match="singular"):
        ridge_solve(X, [1, 2, 3, 4], 0.0)
    with pytest.raises(CalibrationError):
        ridge_solve([[0.0, 0.0]] * 3, [1, 2, 3], 0.0)
    # A penalty makes the same problem solvable.
    assert len(ridge_solve(X, [1, 2, 3, 4], 0.1)) == 3


@pytest.mark.parametrize("X, y, lam, message", [
    ([], [], 0.0, "at least one row"),
    ([[1, 2], [1]], [1, 2], 0.0, r"X\[1\] has 1 values"),
    ([[1, 2]], [1, 2], 0.0, "y has 2 values"),
    ([[1, 2]], [1], -1.0, "lam must be >= 0"),
    ([[1, float("nan")]], [1], 0.0, "finite"),
    ([[1, "a"]], [1], 0.0, "only numbers"),
])
def test_ridge_rejects_bad_input(X, y, lam, message):
    with pytest.raises(InputError, match=message):
        ridge_solve(X, y, lam)


# --- collector -------------------------------------------------------------------------


def _features(synth, u=0.5, v=0.0, openness=0.3):
    return extract_features(synth.landmarks(u=u, v=v, openness=openness), IDENTITY, 640, 480)


def test_collector_skips_settling_time_and_invalid_frames(synth):
    good = _features(synth)
    blink = _features(synth, openness=0.02)
    c = CalibrationCollector()
    kept = [c.add(t, 0, 100, 200, good) for t in (1000, 1200, 1399, 1400, 1600)]
    assert kept == [False, False, False, True, True]
    assert not c.add(1700, 0, 100, 200, blink)
    c.start_target(1, 2000)
    assert not c.add(2300, 1, 300, 200, good)
    assert c.add(2400, 1, 300, 200, good)
    assert c.n_targets == 2
    assert len(c.samples) == 3
    s = c.samples[0]
    assert (s.t_ms, s.target_index, s.target_x_px, s.target_y_px) == (1400, 0, 100, 200)
    assert s.inputs == good.vector()
    c.clear()
    assert c.samples == () and c.n_targets == 0


def test_collector_validates():
    with pytest.raises(InputError):
        CalibrationCollector(settle_ms=-1)
    c = CalibrationCollector()
    with pytest.raises(InputError, match="target_index"):
        c.add(0, -1, 0, 0, None)
    with pytest.raises(InputError, match="target_x_px"):
        c.add(0, 0, float("nan"), 0, None)


# --- gaze model ------------------------------------------------------------------------


def _truth(u, v):
    """A smooth screen position (px) for inputs (u, v): what the model should learn."""
    return 640 + 5000 * (u - 0.5) + 800 * (u - 0.5) ** 2, 360 + 6000 * v + 3000 * (u - 0.5) * v


def _samples(rng, targets=9, per=20, noise=0.0):
    out = []
    for i in range(targets):
        u0 = 0.4 + 0.1 * (i % 3) + rng.uniform(-0.01, 0.01)
        v0 = -0.04 + 0.04 * (i // 3)
        for k in range(per):
            u, v = u0 + rng.gauss(0, noise), v0 + rng.gauss(0, noise)
            x, y = _truth(u0, v0)
            out.append(CalibrationSample(1000.0 * i + 20 * k, i, x, y,
                                         (u, v, rng.gauss(0, 0.3), rng.gauss(0, 0.3))))
    return out


def test_model_fits_a_smooth_map():
    rng = random.Random(1)
    model = GazeModel.fit(_samples(rng), lam=1e-6)
    assert model.rms_px < 2.0
    assert len(model.per_target) == 9
    assert all(isinstance(t, TargetFit) and t.n_samples == 20 for t in model.per_target)
    # Held-out inputs inside the calibrated range.
    for u, v in ((0.45, -0.02), (0.55, 0.03), (0.5, 0.0)):
        x, y = model.predict_vector((u, v, 0.0, 0.0))
        tx, ty = _truth(u, v)
        assert math.hypot(x - tx, y - ty) < 15.0


def test_model_with_noise_reports_training_error():
    rng = random.Random(2)
    model = GazeModel.fit(_samples(rng, noise=0.003))
    summary = model.summary()
    assert summary["n_targets"] == 9 and summary["n_samples"] == 180
    assert 5.0 < summary["rms_px"] < 60.0
    assert [t["target_index"] for t in summary["per_target"]] == list(range(9))
    assert all(t["mean_err_px"] >= 0 for t in summary["per_target"])


def test_still_head_does_not_blow_up_predictions():
    # Yaw/pitch barely move during calibration, so their coefficients are fitted to
    # noise; a later 10 degree head turn must still leave the prediction on screen.
    rng = random.Random(4)
    model = GazeModel.fit(_samples(rng, noise=0.002))
    x0, y0 = model.predict_vector((0.5, 0.0, 0.0, 0.0))
    x1, y1 = model.predict_vector((0.5, 0.0, 10.0, -10.0))
    assert math.hypot(x1 - x0, y1 - y0) < 300.0


def test_model_round_trip_predicts_the_same():
    rng = random.Random(5)
    model = GazeModel.fit(_samples(rng, noise=0.002))
    again = GazeModel.from_dict(model.to_dict())
    assert again == model
    assert again.to_dict()["terms"] == list(TERM_NAMES)


def test_constant_inputs_do_not_divide_by_zero():
    rng = random.Random(9)
    samples = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                 s.inputs[:2] + (0.0, 0.0)) for s in _samples(rng)]
    model = GazeModel.fit(samples)
    assert model.input_scale[2:] == (2.0, 2.0)
    assert model.rms_px < 5.0


def test_fit_accepts_a_collector(synth):
    c = CalibrationCollector(settle_ms=0)
    for i, t in enumerate(grid_targets(1280, 720)):
        for k in range(5):
            u = 0.35 + 0.15 * (i % 3) + 0.001 * k
            v = -0.03 + 0.03 * (i // 3)
            c.add(100 * i + k, i, t.x_px, t.y_px, _features(synth, u=u, v=v))
    model = GazeModel.fit(c)
    assert model.n_samples == 45 and model.rms_px < 20.0
    x, y = model.predict(_features(synth, u=0.5, v=0.0))
    assert (x, y) == pytest.approx((640, 360), abs=25)


def test_too_few_targets_raises_calibration_error():
    rng = random.Random(6)
    with pytest.raises(CalibrationError, match="5 or more targets, got 4"):
        GazeModel.fit(_samples(rng, targets=4))
    with pytest.raises(CalibrationError):
        GazeModel.fit([])


def test_from_dict_rejects_bad_models():
    rng = random.Random(8)
    d = GazeModel.fit(_samples(rng, noise=0.002)).to_dict()
    for key, value, message in (("model", "nn", "poly2-ridge"), ("coef_x", [1.0], "coef_x"),
                                ("input_scale", [0.0, 1, 1, 1], "input_scale")):
        bad = dict(d, **{key: value})
        with pytest.raises(InputError, match=message):
            GazeModel.from_dict(bad)
    with pytest.raises(InputError, match="missing"):
        GazeModel.from_dict({})
