"""gazeheat.calibration: targets, ridge regression, collector and gaze model."""

import json
import math
import random
import statistics

import pytest

from gazeheat import constants as C
from gazeheat.calibration import (
    CALIBRATION_PATTERNS,
    TERMS_X,
    TERMS_Y,
    CalibrationCollector,
    CalibrationSample,
    GazeModel,
    Target,
    TargetFit,
    _correlation,
    _follow_r,
    calibration_pattern,
    grid_targets,
    pursuit_path,
    ridge_solve,
)
from gazeheat.errors import CalibrationError, InputError
from gazeheat.features import VECTOR_NAMES, extract_features

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


def test_calibration_pattern_9_is_the_3x3_grid():
    assert calibration_pattern("9", 1280, 720) == grid_targets(1280, 720)
    assert calibration_pattern(9, 1280, 720, margin=0.05) == grid_targets(1280, 720, margin=0.05)
    assert CALIBRATION_PATTERNS == ("9", "13", "16")


def test_calibration_pattern_13_adds_the_cell_centres():
    t = calibration_pattern("13", 1000, 500)
    assert len(t) == 13 and t[:9] == grid_targets(1000, 500)
    got = [c for p in t[9:] for c in (p.x_px, p.y_px)]
    assert got == pytest.approx([300, 150, 700, 150, 300, 350, 700, 350])
    assert len({(p.x_px, p.y_px) for p in t}) == 13


def test_calibration_pattern_16_is_a_4x4_grid():
    t = calibration_pattern("16", 1000, 500, margin=0.1)
    assert len(t) == 16
    xs = sorted({round(p.x_px, 9) for p in t})
    ys = sorted({round(p.y_px, 9) for p in t})
    assert xs == pytest.approx([100, 100 + 800 / 3, 100 + 1600 / 3, 900])
    assert ys == pytest.approx([50, 50 + 400 / 3, 50 + 800 / 3, 450])
    assert (t[0].x_px, t[0].y_px) == (100, 50) and (t[3].y_px, t[4].x_px) == (50, 100)  # row-major


@pytest.mark.parametrize("name", ["8", 12, "nine", None, True, 9.0])
def test_calibration_pattern_rejects_unknown_names(name):
    with pytest.raises(InputError, match="calibration pattern"):
        calibration_pattern(name, 100, 100)
    with pytest.raises(InputError, match="width_px"):
        calibration_pattern("13", -1, 100)


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


# --- gaze model: helpers ----------------------------------------------------------------

_IU, _IV, _ILID, _IOPEN = (VECTOR_NAMES.index(n) for n in ("u", "v", "upper_lid", "openness"))


def _inputs(u, v, lid, openness, hx=0.0, hy=0.0, yaw=0.0, pitch=0.0):
    return (u, v, lid, openness, hx, hy, yaw, pitch)


def _truth(u, lid):
    """A smooth screen position (px) for eye inputs: what the model should learn. Plain
    camera: the iris moves to smaller u as the gaze moves right."""
    return 640 - 5000 * (u - 0.5) + 6000 * (u - 0.5) ** 2, 360 + 9000 * (lid + 0.15)


def _eyes_for(x, y):
    """Inverse of _truth for the eye inputs (u, v, upper_lid, openness) at (x, y) px."""
    a, b, c = 6000.0, -5000.0, 640.0 - x  # 6000 d^2 - 5000 d + (640 - x) = 0, small root
    d = (-b - math.sqrt(b * b - 4 * a * c)) / (2 * a)
    lid = (y - 360) / 9000 - 0.15
    return 0.5 + d, 0.2 * (lid + 0.15), lid, 0.3 - 0.5 * (lid + 0.15)


def _samples(rng, targets=None, per=20, noise=0.0, target_noise=0.0, head=0.0):
    """Samples at ``targets`` (default the 3x3 grid): eye inputs of the true gaze plus
    per-sample uniform noise (eye widths) and a per-target offset (like a head turn)."""
    targets = targets if targets is not None else grid_targets(1280, 720)
    out = []
    for i, t in enumerate(targets):
        du, dl = rng.uniform(-target_noise, target_noise), rng.uniform(-target_noise, target_noise)
        u0, v0, lid0, op0 = _eyes_for(t.x_px, t.y_px)
        for k in range(per):
            e = [rng.uniform(-noise, noise) for _ in range(3)]
            out.append(CalibrationSample(1000.0 * i + 33 * k, i, t.x_px, t.y_px, _inputs(
                u0 + du + e[0], v0 + e[1], lid0 + dl + e[2], op0 - e[2],
                hx=rng.uniform(-head, head), hy=rng.uniform(-head, head),
                yaw=rng.uniform(-head, head), pitch=rng.uniform(-head, head))))
    return out


# --- gaze model: fitting ----------------------------------------------------------------


def test_model_fits_a_smooth_map():
    rng = random.Random(1)
    model = GazeModel.fit(_samples(rng), lam=1e-6)
    assert model.rms_px < 2.0
    assert len(model.per_target) == 9 and model.bad_targets == ()
    assert all(isinstance(t, TargetFit) and t.n_samples == t.n_used == 20 for t in model.per_target)
    # Held-out points inside the calibrated range.
    for x, y in ((400, 200), (900, 500), (640, 360), (300, 600)):
        px, py = model.predict_vector(_inputs(*_eyes_for(x, y)))
        assert math.hypot(px - x, py - y) < 15.0, (x, y, px, py)


def test_model_with_noise_reports_training_and_loto_error():
    rng = random.Random(2)
    model = GazeModel.fit(_samples(rng, noise=0.004))
    summary = model.summary()
    assert summary["n_targets"] == 9 and summary["n_samples"] == summary["n_used"] == 180
    assert 3.0 < summary["rms_px"] < 80.0
    assert 0.0 < summary["loto_px"] < 80.0
    assert summary["bad_targets"] == []
    assert summary["lam_x"] in C.GAZE_MODEL_LAMBDAS and summary["lam_y"] in C.GAZE_MODEL_LAMBDAS
    assert [t["target_index"] for t in summary["per_target"]] == list(range(9))
    assert all(t["mean_err_px"] >= 0 and t["loto_err_px"] > 0 and not t["bad"] for t in summary["per_target"])


def _numpy_fit(np, samples, lambdas):
    """The documented fit, independently: per-target weights, weighted standardisation,
    per-axis ridge with LOTO over the strengths (strongest first, 2 % rule)."""
    idx = np.array([s.target_index for s in samples])
    ids = sorted(set(idx.tolist()))
    X = np.array([s.inputs for s in samples])
    T = np.array([(s.target_x_px, s.target_y_px) for s in samples])
    w = np.array([1.0 / np.sum(idx == i) for i in idx])
    mean = w @ X / len(ids)
    floor = np.array([0.005, 0.005, 0.005, 0.005, 1.0, 1.0, 2.0, 2.0])
    scale = np.maximum(np.sqrt(w @ (X - mean) ** 2 / len(ids)), floor)
    Z = (X - mean) / scale
    designs = [np.column_stack([np.ones(len(Z)), Z[:, 0], Z[:, 0] ** 2]),
               np.column_stack([np.ones(len(Z)), Z[:, 1], Z[:, 2], Z[:, 3]])]
    # Unpenalised: the intercept, and the main eye term (u for x, upper_lid for y) when
    # its input moved more than its floor.
    free = [[0] + ([1] if scale[0] > floor[0] else []), [0] + ([2] if scale[2] > floor[2] else [])]
    result = []
    for axis, D in enumerate(designs):
        def solve(mask, lam, n):
            P = lam * n * np.eye(D.shape[1])
            P[free[axis], free[axis]] = 0.0
            Dw = D[mask] * w[mask, None]
            return np.linalg.solve(D[mask].T @ Dw + P, Dw.T @ T[mask, axis])
        best = None
        for lam in sorted(lambdas, reverse=True):
            miss = []
            for i in ids:
                beta = solve(idx != i, lam, len(ids) - 1)
                # The target's mean position (a moving pursuit target's changes).
                miss.append(D[idx == i].mean(0) @ beta - T[idx == i, axis].mean())
            score = np.sqrt(np.mean(np.square(miss)))
            if best is None or score < 0.98 * best[0]:
                best = (score, lam, miss)
        result.append((solve(np.ones(len(Z), bool), best[1], len(ids)), best[1], np.array(best[2])))
    return result


def _assert_fit_matches_numpy(np, model, samples):
    """``model`` (fitted to ``samples``) has the reference's strengths, coefficients and
    leave-one-target-out misses."""
    (bx, lx, mx), (by, ly, my) = _numpy_fit(np, samples, C.GAZE_MODEL_LAMBDAS)
    assert (model.lam_x, model.lam_y) == (lx, ly)
    assert np.allclose(model.coef_x, bx, rtol=1e-9, atol=1e-7)
    assert np.allclose(model.coef_y, by, rtol=1e-9, atol=1e-7)
    loto = [t.loto_err_px for t in model.per_target]
    assert np.allclose(loto, np.hypot(mx, my), rtol=1e-9, atol=1e-7)


@pytest.mark.parametrize("seed", range(5))
def test_ridge_and_cross_validation_match_numpy(np, seed):
    rng = random.Random(seed)
    # Uneven sample counts per target and noise bounded so that cleaning keeps all.
    samples = [s for s in _samples(rng, noise=0.01, target_noise=0.01, per=25)
               if s.t_ms % 1000 < 33 * rng.randint(12, 25)]
    model = GazeModel.fit(samples)
    assert model.n_used == len(samples)
    _assert_fit_matches_numpy(np, model, samples)


def test_fixed_lambda_is_used_for_both_axes():
    rng = random.Random(3)
    model = GazeModel.fit(_samples(rng, noise=0.003), lam=0.05)
    assert (model.lam_x, model.lam_y) == (0.05, 0.05)
    with pytest.raises(InputError, match="lam"):
        GazeModel.fit(_samples(rng), lam=-1)
    with pytest.raises(InputError, match="lambdas"):
        GazeModel.fit(_samples(rng), lambdas=())


# Head terms at the defaults: 96 CSS px per inch, a still head 60 cm away (no geometry).
_PX_PER_MM = C.CSS_PX_PER_CM / 10
_PX_PER_DEG_600 = _PX_PER_MM * 600 * math.tan(math.radians(1))


@pytest.mark.parametrize("head", ["linear", "geometric"])
def test_head_priors_undo_head_movement(head):
    # Eye inputs of looking at the screen centre, after the head moved 10 mm to the
    # image's right (the subject's left) and turned 2 deg towards it: the eyes turned
    # back in the head, so the eye inputs alone would say "left of centre" ... plus
    # the gaze did not move. Only the fixed priors can know that. (The calibration's
    # head did not move: the geometric model has nothing to correct them with.)
    # The geometric model's terms are larger by the eye corners' parallax.
    rng = random.Random(4)
    k = 1.0 + C.EYE_CORNER_PARALLAX if head == "geometric" else 1.0
    model = GazeModel.fit(_samples(rng, noise=0.002), head=head)
    base = model.predict_vector(_inputs(*_eyes_for(640, 360)))
    moved = model.predict_vector(_inputs(*_eyes_for(640, 360), hx=10.0, yaw=2.0))
    assert moved[0] - base[0] == pytest.approx(k * (-10 * _PX_PER_MM - 2 * _PX_PER_DEG_600))
    assert moved[1] == pytest.approx(base[1])
    down = model.predict_vector(_inputs(*_eyes_for(640, 360), hy=5.0, pitch=1.0))
    assert down[1] - base[1] == pytest.approx(k * (5 * _PX_PER_MM + _PX_PER_DEG_600))


def test_screen_px_per_cm_scales_the_head_terms():
    # A screen with 50 CSS px per cm instead of 96 per inch: a mm of head movement is
    # 5 px of gaze on it.
    rng = random.Random(4)
    model = GazeModel.fit(_samples(rng, noise=0.002), screen_px_per_cm=50.0, head="linear")
    ix, iy = VECTOR_NAMES.index("head_x_mm"), VECTOR_NAMES.index("pitch_deg")
    assert model.prior_x[ix] == pytest.approx(-5.0)
    assert model.prior_y[iy] == pytest.approx(5.0 * 600 * math.tan(math.radians(1)))
    none = GazeModel.fit(_samples(rng, noise=0.002), head="none")
    assert set(none.prior_x) == set(none.prior_y) == {0.0} and none.reference is None
    for bad, message in ((0.0, "screen_px_per_cm"), (float("nan"), "screen_px_per_cm")):
        with pytest.raises(InputError, match=message):
            GazeModel.fit(_samples(rng), screen_px_per_cm=bad)
    with pytest.raises(InputError, match="head must be one of"):
        GazeModel.fit(_samples(rng), head="3d")


def test_mirrored_image_flips_the_horizontal_priors():
    rng = random.Random(5)
    plain = _samples(rng, noise=0.002)
    # A mirrored camera: u runs the other way round its mean.
    mirrored = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                  (1.0 - s.inputs[0],) + s.inputs[1:]) for s in plain]
    a, b = GazeModel.fit(plain, head="linear"), GazeModel.fit(mirrored, head="linear")
    ix, iy = VECTOR_NAMES.index("head_x_mm"), VECTOR_NAMES.index("yaw_deg")
    assert a.prior_x[ix] == -b.prior_x[ix] == pytest.approx(-_PX_PER_MM)
    assert a.prior_x[iy] == -b.prior_x[iy] == pytest.approx(-_PX_PER_DEG_600)
    assert a.prior_y == b.prior_y
    x, y = b.predict_vector(_inputs(1.0 - _eyes_for(900, 200)[0], *_eyes_for(900, 200)[1:]))
    assert math.hypot(x - 900, y - 200) < 20
    g = GazeModel.fit(mirrored)  # geometric: the same flip, larger by the corners' parallax
    assert g.prior_x[ix] == pytest.approx((1.0 + C.EYE_CORNER_PARALLAX) * b.prior_x[ix])
    # ... and a roll turns the gaze the other way round in a mirrored image.
    plain3d = _geometric_samples(random.Random(6), lambda: 600.0, lambda: 0.0)
    mirrored3d = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                    (1.0 - s.inputs[0],) + s.inputs[1:], s.geometry) for s in plain3d]
    assert GazeModel.fit(plain3d).reference.roll_sign == 1.0
    assert GazeModel.fit(mirrored3d).reference.roll_sign == -1.0


def test_still_head_and_constant_inputs_do_not_blow_up():
    rng = random.Random(9)
    samples = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                 s.inputs[:4] + (0.0, 0.0, 0.0, 0.0)) for s in _samples(rng, noise=0.002)]
    model = GazeModel.fit(samples)
    assert model.input_scale[4:] == (1.0, 1.0, 2.0, 2.0)
    # A blow-up would be hundreds of px; ~12 px is the ridge (GAZE_MODEL_LAMBDAS >= 0.03)
    # shrinking this map's strong quadratic term.
    assert model.rms_px < 15.0


def test_predictions_are_clamped_to_the_calibrated_range():
    rng = random.Random(10)
    model = GazeModel.fit(_samples(rng, noise=0.003))
    eyes = list(_eyes_for(640, 360))
    eyes[_IOPEN] = model.input_mean[_IOPEN] - 50 * model.input_scale[_IOPEN]  # a closing lid
    edge = list(eyes)
    edge[_IOPEN] = model.input_mean[_IOPEN] - C.PREDICT_MAX_Z * model.input_scale[_IOPEN]
    assert model.predict_vector(_inputs(*eyes)) == pytest.approx(model.predict_vector(_inputs(*edge)))


def test_fit_accepts_a_collector(synth):
    c = CalibrationCollector(settle_ms=0)
    for i, t in enumerate(grid_targets(1280, 720)):
        for k in range(6):
            u = 0.65 - 0.15 * (i % 3) + 0.001 * k
            v = -0.03 + 0.03 * (i // 3)
            c.add(100 * i + k, i, t.x_px, t.y_px, _features(synth, u=u, v=v))
    model = GazeModel.fit(c)
    assert model.n_samples == 54 and model.rms_px < 20.0
    x, y = model.predict(_features(synth, u=0.5, v=0.0))
    assert (x, y) == pytest.approx((640, 360), abs=25)


def test_too_few_targets_raises_calibration_error():
    rng = random.Random(6)
    with pytest.raises(CalibrationError, match="5 or more targets, got 4"):
        GazeModel.fit(_samples(rng, targets=grid_targets(1280, 720)[:4]))
    with pytest.raises(CalibrationError):
        GazeModel.fit([])
    with pytest.raises(InputError, match="inputs"):
        GazeModel.fit([CalibrationSample(0, i, 0, 0, (0.5, 0.0, 0.0, 0.0)) for i in range(9)])


# --- cleaning and bad targets ------------------------------------------------------------


def test_blink_edges_and_outliers_are_dropped():
    rng = random.Random(11)
    samples = _samples(rng, noise=0.003)
    changed = []
    for s in samples:
        k = round(s.t_ms % 1000 / 33)
        inputs = list(s.inputs)
        if s.target_index == 2 and k in (3, 4):
            inputs[_IOPEN] *= 0.7  # lids half way down
            inputs[_ILID] += 0.05
        if s.target_index == 5 and k == 7:
            inputs[_IU] += 0.2  # a glance away
        changed.append(CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px, tuple(inputs)))
    model = GazeModel.fit(changed)
    used = {t.target_index: t.n_used for t in model.per_target}
    assert used[2] == 18 and used[5] == 19 and model.n_used == 177 and model.n_samples == 180
    assert model.bad_targets == ()
    assert model.rms_px < GazeModel.fit(samples).rms_px + 5.0


def test_a_target_looked_past_is_reported_and_left_out():
    rng = random.Random(12)
    samples = _samples(rng, noise=0.003, target_noise=0.004, per=30)
    # At target 4 the person looked 450 px to the right and below of it.
    u, v, lid, op = _eyes_for(640 + 360, 360 + 270)
    wrong = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                               _inputs(u + rng.uniform(-0.003, 0.003), v, lid, op))
             if s.target_index == 4 else s for s in samples]
    clean = GazeModel.fit(samples)
    model = GazeModel.fit(wrong)
    assert clean.bad_targets == () and clean.summary()["bad_targets"] == []
    assert model.bad_targets == (4,) and model.summary()["bad_targets"] == [4]
    fit4 = model.per_target[4]
    assert fit4.bad and fit4.n_used == 0 and fit4.loto_err_px > 400
    # Left out of the fit: the centre is predicted as well as without the bad target.
    x, y = model.predict_vector(_inputs(*_eyes_for(640, 360)))
    assert math.hypot(x - 640, y - 360) < 30


def test_a_target_with_too_few_samples_is_reported_and_left_out():
    rng = random.Random(13)
    samples = [s for s in _samples(rng, noise=0.003)
               if not (s.target_index == 7 and s.t_ms % 1000 > 33 * 3.5)]  # 4 samples
    model = GazeModel.fit(samples)
    assert model.bad_targets == (7,)
    fit7 = model.per_target[7]
    assert fit7.n_samples == 4 and fit7.n_used == 0 and fit7.loto_err_px is None and fit7.bad
    assert model.n_used == 160 and model.summary()["n_targets"] == 9


def test_too_few_good_targets_raises():
    rng = random.Random(14)
    samples = [s for s in _samples(rng, noise=0.003) if s.target_index < 5 or s.t_ms % 1000 < 100]
    with pytest.raises(CalibrationError, match="only 5 targets have enough"):
        GazeModel.fit(samples, min_targets=6)


# --- usable frames ------------------------------------------------------------------------


def test_usable_rejects_blink_edges(synth):
    c = CalibrationCollector(settle_ms=0)
    for i, t in enumerate(grid_targets(1280, 720)):
        for k in range(6):
            c.add(100 * i + k, i, t.x_px, t.y_px,
                  _features(synth, u=0.65 - 0.15 * (i % 3) + 0.001 * k, v=-0.03 + 0.03 * (i // 3)))
    model = GazeModel.fit(c)
    assert model.usable(_features(synth, openness=0.3))
    assert model.usable(_features(synth, openness=0.3 * 0.85))
    assert not model.usable(_features(synth, openness=0.3 * 0.7))  # valid, but half closed
    assert not model.usable(_features(synth, openness=0.05))  # a blink: not valid


# --- drift correction ----------------------------------------------------------------------


def test_recentred_with_one_point_recovers_an_offset():
    rng = random.Random(15)
    model = GazeModel.fit(_samples(rng, noise=0.002))
    inputs = _inputs(*_eyes_for(500, 300))
    px, py = model.predict_vector(inputs)
    # The person looked 37 px right of and 21 px above where the model now says.
    again = model.recentred([(px, py, px + 37.0, py - 21.0)])
    assert again.predict_vector(inputs) == pytest.approx((px + 37.0, py - 21.0))
    other = _inputs(*_eyes_for(900, 600))
    ox, oy = model.predict_vector(other)
    assert again.predict_vector(other) == pytest.approx((ox + 37.0, oy - 21.0))
    assert again.correction == pytest.approx((37.0, 1.0, -21.0, 1.0))
    assert model.correction == (0.0, 1.0, 0.0, 1.0)  # the original is unchanged


def test_recentred_with_spread_points_fits_offset_and_scale():
    rng = random.Random(16)
    model = GazeModel.fit(_samples(rng, noise=0.002))
    points = []
    for x, y in ((200, 150), (1080, 150), (640, 360), (200, 570), (1080, 570)):
        px, py = model.predict_vector(_inputs(*_eyes_for(x, y)))
        points.append((px, py, 12.0 + 1.1 * px, -30.0 + 0.95 * py))
    again = model.recentred(points)
    assert again.correction == pytest.approx((12.0, 1.1, -30.0, 0.95))
    # Composes with an existing correction.
    twice = again.recentred([(100.0, 100.0, 110.0, 95.0)])
    x0, y0 = model.predict_vector(_inputs(*_eyes_for(640, 360)))
    assert twice.predict_vector(_inputs(*_eyes_for(640, 360))) == pytest.approx(
        (12.0 + 1.1 * x0 + 10.0, -30.0 + 0.95 * y0 - 5.0))
    # Scales are clamped; points bunched on one axis give that axis an offset only.
    wild = model.recentred([(0, 0, 0, 0), (100, 0, 500, 0), (200, 0, 1000, 0)])
    assert wild.correction[1] == C.DRIFT_SCALE_LIMITS[1] and wild.correction[3] == 1.0


def test_recentred_rejects_bad_points():
    rng = random.Random(17)
    model = GazeModel.fit(_samples(rng, noise=0.002))
    with pytest.raises(InputError, match="at least one"):
        model.recentred([])
    with pytest.raises(InputError, match="points\\[0\\]"):
        model.recentred([(1, 2, 3)])
    with pytest.raises(InputError, match="finite"):
        model.recentred([(1, 2, 3, float("nan"))])


# --- records -------------------------------------------------------------------------------


def test_model_round_trip_predicts_the_same():
    rng = random.Random(5)
    model = GazeModel.fit(_samples(rng, noise=0.002)).recentred([(10, 10, 20, 15)])
    d = model.to_dict()
    assert d["model"] == "poly2-ridge" and d["version"] == 3
    assert d["terms_x"] == list(TERMS_X) and d["terms_y"] == list(TERMS_Y)
    assert d["inputs"] == list(VECTOR_NAMES)
    again = GazeModel.from_dict(d)
    assert again == model
    # A model saved before follow_r was added: not judged.
    assert d["pursuit_follow_r"] is None
    older = GazeModel.from_dict({k: v for k, v in d.items() if k != "pursuit_follow_r"})
    assert older == model and older.pursuit_follow_r is None
    inputs = _inputs(*_eyes_for(300, 500), hx=3.0, yaw=-1.0)
    assert again.predict_vector(inputs) == model.predict_vector(inputs)


def test_from_dict_rejects_bad_models():
    rng = random.Random(8)
    d = GazeModel.fit(_samples(rng, noise=0.002)).to_dict()
    for key, value, message in (("model", "nn", "poly2-ridge"), ("version", 1, "version 2 or 3"),
                                ("coef_x", [1.0], "coef_x"), ("inputs", ["u", "v", "yaw_deg", "pitch_deg"],
                                                              "calibrate again"),
                                ("input_scale", [0.0] + [1.0] * 7, "input_scale"),
                                ("terms_y", ["1", "w"], "bad regression term"),
                                ("correction", {"x_offset_px": 0}, "correction"),
                                ("pursuit_follow_r", 1.5, "pursuit_follow_r"),
                                ("pursuit_follow_r", "high", "pursuit_follow_r")):
        bad = dict(d, **{key: value})
        with pytest.raises(InputError, match=message):
            GazeModel.from_dict(bad)
    with pytest.raises(InputError, match="missing"):
        GazeModel.from_dict({})


def test_target_fit_reads_older_summaries():
    old = {"target_index": 3, "x_px": 1.0, "y_px": 2.0, "n_samples": 40, "mean_err_px": 5.0}
    t = TargetFit.from_dict(old)
    assert (t.n_used, t.loto_err_px, t.bad) == (40, None, False)
    assert TargetFit.from_dict(t.to_dict()) == t


# --- geometric head model ----------------------------------------------------------------------

from gazeheat.calibration import HEAD_MODELS, HeadReference  # noqa: E402


def _rot2(np, deg):
    a = np.radians(deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


@pytest.mark.parametrize("seed", range(5))
def test_head_reference_moves_gaze_with_distance_and_roll(np, seed):
    rng = random.Random(seed)
    ref = HeadReference(rng.uniform(500, 800), rng.uniform(-60, 0), rng.uniform(450, 750), rng.uniform(-5, 5),
                        rng.choice((1.0, -1.0)), rng.uniform(3, 5))
    point, geometry = (rng.uniform(0, 1280), rng.uniform(0, 720)), (rng.uniform(400, 900), rng.uniform(-15, 15))
    got = ref.to_screen(*point, geometry)
    # numpy: the offset from the centre, scaled by z / z0 and turned by the roll change.
    centre = np.array([ref.centre_x_px, ref.centre_y_px])
    turn = _rot2(np, ref.roll_sign * (geometry[1] - ref.roll_deg))
    want = centre + geometry[0] / ref.head_z_mm * turn @ (np.array(point) - centre)
    assert got == pytest.approx(tuple(want), abs=1e-9)
    assert ref.to_reference(*got, geometry) == pytest.approx(point, abs=1e-9)
    assert ref.to_screen(*point, ()) == pytest.approx(point, abs=1e-12)
    assert HeadReference.from_dict(ref.to_dict()) == ref


def test_head_reference_rejects_bad_records():
    good = HeadReference(640.0, -30.0, 600.0, 0.0, 1.0, 3.78).to_dict()
    for key, value, message in (("roll_sign", 0.0, "roll_sign"), ("head_z_mm", 0.0, "head_z_mm"),
                                ("px_per_mm", -1.0, "px_per_mm"), ("centre_x_px", "a", "centre_x_px")):
        with pytest.raises(InputError, match=message):
            HeadReference.from_dict(dict(good, **{key: value}))
    with pytest.raises(InputError, match="missing"):
        HeadReference.from_dict({"centre_x_px": 1.0})


def _centre(model_like_hy=0.0):
    """Where the geometric model puts the point ahead of the eyes for the 1280 x 720 grid
    with the head on the camera's axis (head_x = head_y = 0)."""
    return 640.0, (model_like_hy - C.CAMERA_ABOVE_VIEWPORT_MM) * _PX_PER_MM


def _geometric_samples(rng, head_z, roll, per=20, noise=0.001, targets=None):
    """Samples whose eyes see each target as the geometric model says a head at
    (head_z, roll) would: moved back to the reference (600 mm, roll 0, plain camera)."""
    targets = targets if targets is not None else grid_targets(1280, 720)
    ref = HeadReference(*_centre(), 600.0, 0.0, 1.0, _PX_PER_MM)
    out = []
    for i, t in enumerate(targets):
        for k in range(per):
            geometry = (head_z(), roll())
            gx, gy = ref.to_reference(t.x_px, t.y_px, geometry)
            u, v, lid, op = _eyes_for(gx, gy)
            e = [rng.uniform(-noise, noise) for _ in range(2)]
            out.append(CalibrationSample(1000.0 * i + 33 * k, i, t.x_px, t.y_px,
                                         _inputs(u + e[0], v, lid + e[1], op), geometry))
    return out


def test_geometric_model_follows_head_distance_and_roll():
    rng = random.Random(21)
    # Calibration: the head wavers around 600 mm and roll 0 (symmetrically, so the
    # reference is exactly there); later it leans in to 520 mm and tilts by 4 degrees.
    swing = iter([s for _ in range(200) for s in (1, -1)])
    calib = _geometric_samples(rng, lambda: 600.0 + 20 * next(swing), lambda: 0.0)
    geometric = GazeModel.fit(calib, head="geometric")
    linear = GazeModel.fit(calib, head="linear")
    assert geometric.reference.head_z_mm == pytest.approx(600.0)
    assert geometric.reference.roll_deg == pytest.approx(0.0, abs=1e-12)
    assert (geometric.reference.centre_x_px, geometric.reference.centre_y_px) == pytest.approx(_centre(), abs=0.5)
    test = _geometric_samples(rng, lambda: 520.0, lambda: 4.0, per=1, noise=0.0,
                              targets=[Target(x, y) for x in (200, 500, 900, 1100) for y in (100, 400, 650)])
    err = {name: max(math.hypot(x - s.target_x_px, y - s.target_y_px)
                     for s in test for x, y in (m.predict_sample(s),))
           for name, m in (("geometric", geometric), ("linear", linear))}
    assert err["geometric"] < 8.0
    assert err["linear"] > 40.0
    # predict() takes the same geometry from Features (see test_collector_keeps_geometry).
    assert geometric.predict_vector(test[0].inputs, test[0].geometry) == geometric.predict_sample(test[0])


@pytest.mark.parametrize("gain", [1.0, 1.8])
def test_geometric_model_fits_the_head_rotation_gain(gain):
    # The face pose reads only 1 / gain of each turn: the eyes turn back by the true turn,
    # so the gaze moved by gain x the geometric term per degree of *measured* yaw/pitch.
    # The head turns while the eyes rest on each target: the calibration can tell.
    rng = random.Random(22)
    per_deg = _PX_PER_DEG_600
    samples = []
    for i, t in enumerate(grid_targets(1280, 720)):
        for k in range(40):
            yaw, pitch = rng.uniform(-3, 3), rng.uniform(-3, 3)
            # Plain image: yaw > 0 moves the gaze to screen -x, pitch > 0 to +y.
            u, v, lid, op = _eyes_for(t.x_px + gain * per_deg * yaw, t.y_px - gain * per_deg * pitch)
            samples.append(CalibrationSample(1000.0 * i + 33 * k, i, t.x_px, t.y_px,
                                             _inputs(u + rng.uniform(-0.001, 0.001), v, lid, op,
                                                     yaw=yaw, pitch=pitch)))
    model = GazeModel.fit(samples)
    iy, ip = VECTOR_NAMES.index("yaw_deg"), VECTOR_NAMES.index("pitch_deg")
    assert model.prior_x[iy] == pytest.approx(-gain * per_deg, rel=0.1)
    assert model.prior_y[ip] == pytest.approx(gain * per_deg, rel=0.1)
    fixed = GazeModel.fit(samples, head="linear")
    assert fixed.prior_x[iy] == pytest.approx(-per_deg)
    # The fitted terms are kept within HEAD_GAIN_LIMITS of the geometric ones.
    lo, hi = C.HEAD_GAIN_LIMITS
    assert lo * per_deg <= -model.prior_x[iy] <= hi * per_deg
    assert HEAD_MODELS == ("geometric", "linear", "none")


def test_collector_keeps_geometry_and_predict_uses_it(synth):
    f = extract_features(synth.landmarks(u=0.45), IDENTITY, 640, 480)
    c = CalibrationCollector(settle_ms=0)
    assert c.add(0.0, 0, 10.0, 20.0, f)
    assert c.samples[0].geometry == f.geometry() == (f.head_z_mm, f.head.roll_deg)
    rng = random.Random(23)
    model = GazeModel.fit(_geometric_samples(rng, lambda: f.head_z_mm, lambda: 0.0))
    assert model.predict(f) == model.predict_vector(f.vector(), f.geometry())
    with pytest.raises(InputError, match="geometry"):
        GazeModel.fit([CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px, s.inputs, (1.0,))
                       for s in _samples(rng)])


def test_model_without_geometry_has_no_reference_and_version_2_still_loads():
    rng = random.Random(24)
    model = GazeModel.fit(_samples(rng, noise=0.002))  # samples without geometry
    assert model.reference is None
    geometric = GazeModel.fit(_geometric_samples(rng, lambda: 600.0, lambda: 0.0))
    d = geometric.to_dict()
    assert d["version"] == 3 and d["reference"] == geometric.reference.to_dict()
    assert GazeModel.from_dict(d) == geometric
    # A version 2 model (no head reference) is read as it was written.
    old = {k: v for k, v in model.to_dict().items() if k != "reference"}
    old["version"] = 2
    again = GazeModel.from_dict(old)
    assert again.reference is None
    inputs = _inputs(*_eyes_for(300, 500), hx=3.0, yaw=-1.0)
    assert again.predict_vector(inputs) == model.predict_vector(inputs)
    with pytest.raises(InputError, match="reference"):
        GazeModel.from_dict({k: v for k, v in d.items() if k != "reference"})


# --- smooth pursuit ----------------------------------------------------------------------


@pytest.mark.parametrize("width, height, margin", [(1920, 1080, 0.10), (800, 1200, 0.05), (300, 200, 0.0)])
def test_pursuit_path_shape(width, height, margin):
    path = pursuit_path(width, height, margin)
    n = round(C.PURSUIT_DURATION_MS / C.PURSUIT_POINT_MS)
    assert len(path) == n + 1
    assert [t for t, _, _ in path] == pytest.approx([k * C.PURSUIT_POINT_MS for k in range(n + 1)])
    assert path[-1][0] == C.PURSUIT_DURATION_MS
    # Starts at the centre and closes there.
    assert path[0][1:] == pytest.approx((width / 2, height / 2))
    assert path[-1][1:] == path[0][1:]
    xs = [x for _, x, _ in path]
    ys = [y for _, _, y in path]
    eps = 1e-9 * max(width, height)
    assert min(xs) >= margin * width - eps and max(xs) <= (1 - margin) * width + eps
    assert min(ys) >= margin * height - eps and max(ys) <= (1 - margin) * height + eps
    # Reaches the margins on both axes (uses the screen) ...
    assert min(xs) == pytest.approx(margin * width, abs=1e-6 * width)
    assert max(ys) == pytest.approx((1 - margin) * height, abs=1e-6 * height)
    # ... and is smooth: no step longer than the peak speed allows, no corner.
    speed = math.hypot(2 * math.pi * (0.5 - margin) * width, 4 * math.pi * (0.5 - margin) * height)
    step_max = speed * C.PURSUIT_POINT_MS / C.PURSUIT_DURATION_MS
    steps = [(b[1] - a[1], b[2] - a[2]) for a, b in zip(path, path[1:])]
    assert max(math.hypot(*d) for d in steps) <= step_max * (1 + 1e-9)
    for (ax, ay), (bx, by) in zip(steps, steps[1:]):
        turn = math.atan2(ax * by - ay * bx, ax * bx + ay * by)
        assert abs(turn) < math.radians(30)


def test_pursuit_path_matches_numpy(np):
    path = np.array(pursuit_path(1280, 720, 0.1))
    s = path[:, 0] / C.PURSUIT_DURATION_MS
    assert np.allclose(path[:, 1], 640 + 512 * np.sin(2 * np.pi * s), atol=1e-6)
    assert np.allclose(path[:, 2], 360 + 288 * np.sin(4 * np.pi * s), atol=1e-6)


@pytest.mark.parametrize("args, message", [
    ((0, 100), "width_px"), ((100, -1), "height_px"), ((100, 100, 0.5), "margin"),
    ((100, 100, -0.1), "margin"), ((float("nan"), 100), "width_px"),
])
def test_pursuit_path_rejects_bad_arguments(args, message):
    with pytest.raises(InputError, match=message):
        pursuit_path(*args)


def test_collector_does_not_settle_pursuit_segments(synth):
    good = _features(synth)
    c = CalibrationCollector()
    first = C.PURSUIT_FIRST_INDEX
    # The page sends pursuit frames only after the settle time: all are kept at once,
    # each with its own (moving) target, and a new segment needs no settling either.
    assert c.add(1000, first + 1, 100, 200, good)
    assert c.add(1033, first + 1, 104, 203, good)
    c.start_target(first + 2, 1500)
    assert c.add(1500, first + 2, 150, 240, good)
    assert not c.add(1533, first + 2, 153, 243, _features(synth, openness=0.02))  # still no blinks
    # Dots still settle, below the first pursuit index too.
    assert not c.add(2000, first - 1, 300, 300, good)
    assert [(s.target_index, s.target_x_px, s.target_y_px) for s in c.samples] == [
        (first + 1, 100, 200), (first + 1, 104, 203), (first + 2, 150, 240)]


def _path_at(path, t_ms):
    """Linear interpolation of a ``pursuit_path`` at ``t_ms`` (ms after the motion started)."""
    k = min(int(t_ms // C.PURSUIT_POINT_MS), len(path) - 2)
    (t0, x0, y0), (t1, x1, y1) = path[k], path[k + 1]
    f = (t_ms - t0) / (t1 - t0)
    return x0 + f * (x1 - x0), y0 + f * (y1 - y0)


def _pursuit(rng, eyes=None, head=None, frame_ms=1000 / 30, noise=0.0):
    """Samples of a pursuit pass over 1280 x 720 as the page sends them: every frame from
    the settle time to the end of the motion, target index by segment, target the dot.
    ``head(x, y)``: (yaw, pitch) of the head then; ``eyes(x, y, yaw, pitch)``: the eye
    inputs (default: the eyes on the dot, head ignored)."""
    path = pursuit_path(1280, 720)
    out, t = [], C.PURSUIT_SETTLE_MS
    while t < C.PURSUIT_DURATION_MS:
        x, y = _path_at(path, t)
        yaw, pitch = head(x, y) if head else (0.0, 0.0)
        u, v, lid, op = eyes(x, y, yaw, pitch) if eyes else _eyes_for(x, y)
        e = [rng.uniform(-noise, noise) for _ in range(2)]
        index = C.PURSUIT_FIRST_INDEX + int((t - C.PURSUIT_SETTLE_MS) // C.PURSUIT_SEGMENT_MS)
        out.append(CalibrationSample(20000.0 + t, index, x, y,
                                     _inputs(u + e[0], v, lid + e[1], op, yaw=yaw, pitch=pitch)))
        t += frame_ms
    return out


def test_pursuit_segments_are_targets_of_the_fit_and_summarised():
    rng = random.Random(31)
    dots = _samples(rng, noise=0.002)
    pursuit = _pursuit(rng, noise=0.002)
    model = GazeModel.fit(dots + pursuit)
    summary = model.summary()
    segments = sorted({s.target_index for s in pursuit})
    n_seg = round((C.PURSUIT_DURATION_MS - C.PURSUIT_SETTLE_MS) / C.PURSUIT_SEGMENT_MS)
    assert segments == list(range(C.PURSUIT_FIRST_INDEX, C.PURSUIT_FIRST_INDEX + n_seg))
    assert summary["n_targets"] == 9  # the dots
    assert summary["pursuit"] == {"segments": n_seg, "dropped": 0, "samples": len(pursuit),
                                  "follow_r": pytest.approx(1.0, abs=0.01)}
    assert summary["n_samples"] == summary["n_used"] == len(dots) + len(pursuit)
    assert summary["bad_targets"] == []
    seg = [t for t in summary["per_target"] if t["target_index"] >= C.PURSUIT_FIRST_INDEX]
    assert [t["target_index"] for t in seg] == segments
    for t in seg:
        mine = [s for s in pursuit if s.target_index == t["target_index"]]
        # Where the dot was on average; the LOTO miss is the mean prediction's from there.
        assert (t["x_px"], t["y_px"]) == pytest.approx(
            (sum(s.target_x_px for s in mine) / len(mine), sum(s.target_y_px for s in mine) / len(mine)))
        assert t["n_used"] == t["n_samples"] == len(mine) and not t["bad"]
        assert t["loto_err_px"] < 15.0  # the first frame's target would be ~100 px off
    # Dots only: no pursuit field, as before.
    assert "pursuit" not in GazeModel.fit(dots).summary()
    # The summary survives a save and load (follow_r too).
    assert GazeModel.from_dict(json.loads(json.dumps(model.to_dict()))).summary() == summary


def test_pursuit_helps_where_the_dots_cannot_tell_the_head_gain():
    # The face pose reads only 1 / 1.8 of each head turn (see
    # test_geometric_model_fits_the_head_rotation_gain). During the dots the head stays
    # still, so they cannot tell; during the pursuit it follows the dot a little.
    gain, per_deg = 1.8, _PX_PER_DEG_600
    rng = random.Random(32)

    def eyes(x, y, yaw, pitch):
        return _eyes_for(x + gain * per_deg * yaw, y - gain * per_deg * pitch)

    def follow(x, y):
        return 3.0 * (x - 640) / 512 + rng.uniform(-1, 1), -2.0 * (y - 360) / 288 + rng.uniform(-1, 1)

    dots = _samples(rng, noise=0.001)
    pursuit = _pursuit(rng, eyes=eyes, head=follow, noise=0.001)
    only_dots = GazeModel.fit(dots)
    both = GazeModel.fit(dots + pursuit)
    test = []
    for _ in range(200):
        x, y, yaw, pitch = rng.uniform(150, 1130), rng.uniform(100, 620), rng.uniform(-4, 4), rng.uniform(-4, 4)
        test.append((x, y, _inputs(*eyes(x, y, yaw, pitch), yaw=yaw, pitch=pitch)))

    def error(model):
        return sum(math.hypot(px - x, py - y) for x, y, inputs in test
                   for px, py in (model.predict_vector(inputs),)) / len(test)

    assert error(both) < 10.0 < 25.0 < error(only_dots)  # measured: 6.5 and 37 px
    iy = VECTOR_NAMES.index("yaw_deg")
    assert both.prior_x[iy] == pytest.approx(-gain * per_deg, rel=0.1)


def test_pursuit_adds_nothing_wrong_when_the_dots_suffice():
    # Eyes alone carry the gaze (no head motion): both fits are as good.
    rng = random.Random(33)
    dots = _samples(rng, noise=0.002)
    both = GazeModel.fit(dots + _pursuit(rng, noise=0.002))
    only_dots = GazeModel.fit(dots)
    points = [(rng.uniform(150, 1130), rng.uniform(100, 620)) for _ in range(100)]

    def error(model):
        return sum(math.hypot(px - x, py - y) for x, y in points
                   for px, py in (model.predict_vector(_inputs(*_eyes_for(x, y))),)) / len(points)

    assert error(both) <= error(only_dots) + 2.0 and error(both) < 15.0


def test_bad_pursuit_segments_are_dropped_but_not_listed_as_bad_targets():
    rng = random.Random(34)
    dots = _samples(rng, noise=0.002)
    pursuit = _pursuit(rng, noise=0.002)
    glance = C.PURSUIT_FIRST_INDEX + 9  # the eyes left the dot for this segment
    pursuit = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                 _inputs(*_eyes_for(100, 650))) if s.target_index == glance else s
               for s in pursuit]
    short = C.PURSUIT_FIRST_INDEX + 40  # a segment with too few frames
    pursuit += [CalibrationSample(40000.0 + k, short, 640, 360, _inputs(*_eyes_for(640, 360)))
                for k in range(3)]
    model = GazeModel.fit(dots + pursuit)
    summary = model.summary()
    assert summary["bad_targets"] == []
    n_seg = len({s.target_index for s in pursuit})
    assert summary["pursuit"]["segments"] == n_seg - 2 and summary["pursuit"]["dropped"] == 2
    by = {t.target_index: t for t in model.per_target}
    assert by[glance].bad and by[glance].n_used == 0 and by[glance].loto_err_px > C.BAD_TARGET_MIN_LOTO_PX
    assert by[short].bad and by[short].n_used == 0
    assert model.excluded_targets == (glance, short)  # what the eye-image models leave out
    assert summary["pursuit"]["samples"] == sum(
        1 for s in pursuit if s.target_index not in (glance, short))
    # The glance did not pull the fit: it is left out.
    assert model.rms_px < 15.0
    # A bad dot next to it is still listed (the page shows it again).
    looked_past = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, s.target_y_px,
                                     _inputs(*_eyes_for(640, 650))) if s.target_index == 2 else s
                   for s in dots]
    with_bad_dot = GazeModel.fit(looked_past + pursuit)
    assert with_bad_dot.bad_targets == (2,) and with_bad_dot.excluded_targets == (2, glance, short)


def test_pursuit_segments_the_eyes_did_not_follow_are_dropped_before_the_fit():
    # The eyes stayed on the centre while the dot moved: the dots' model's mean gaze per
    # segment does not go with the dot (follow_r ~ 0), so the whole pass is left out,
    # the segments near the centre too; with most segments off, the LOTO rule alone
    # could not tell (their misses would be the typical ones).
    rng = random.Random(36)
    dots = _samples(rng, noise=0.002)
    pursuit = _pursuit(rng, eyes=lambda x, y, yaw, pitch: _eyes_for(640, 360), noise=0.002)
    model = GazeModel.fit(dots + pursuit)
    only_dots = GazeModel.fit(dots)
    summary = model.summary()
    assert summary["bad_targets"] == []
    n_seg = len({s.target_index for s in pursuit})
    assert summary["pursuit"]["segments"] == 0 and summary["pursuit"]["dropped"] == n_seg
    assert summary["pursuit"]["samples"] == 0
    assert abs(summary["pursuit"]["follow_r"]) < C.PURSUIT_MIN_FOLLOW_R
    dropped = [t for t in model.per_target if t.bad]
    assert len(dropped) == n_seg and min(t.target_index for t in dropped) >= C.PURSUIT_FIRST_INDEX
    for t in dropped:  # the dots' model's miss: the dot's distance from the centre
        assert t.n_used == 0 and t.loto_err_px == pytest.approx(math.hypot(t.x_px - 640, t.y_px - 360), abs=20)
    assert model.rms_px == pytest.approx(only_dots.rms_px)


def test_eyes_that_did_not_follow_are_dropped_even_when_the_dots_fit_badly():
    # Dots looked at loosely (a per-target offset of up to 0.08 eye widths, ~400 px): the
    # dots' LOTO misses are large, so the per-segment rule alone would keep most segments
    # of eyes that wandered about the centre while the dot moved. The whole-pass check
    # does not depend on the misses' size.
    rng = random.Random(41)
    dots = _samples(rng, noise=0.002, target_noise=0.08)
    limit = C.PURSUIT_MISS_DOT_MEDIANS * statistics.median([t.loto_err_px for t in GazeModel.fit(dots).per_target])
    pursuit = _pursuit(rng, noise=0.002, eyes=lambda x, y, yaw, pitch: _eyes_for(
        640 + rng.uniform(-60, 60), 360 + rng.uniform(-40, 40)))
    model = GazeModel.fit(dots + pursuit)
    summary = model.summary()
    n_seg = len({s.target_index for s in pursuit})
    assert summary["pursuit"]["segments"] == 0 and summary["pursuit"]["dropped"] == n_seg
    assert abs(summary["pursuit"]["follow_r"]) < C.PURSUIT_MIN_FOLLOW_R
    assert all(i < C.PURSUIT_FIRST_INDEX for i in summary["bad_targets"])
    misses = [t.loto_err_px for t in model.per_target if t.target_index >= C.PURSUIT_FIRST_INDEX]
    assert sum(m < limit for m in misses) > n_seg / 2  # the relative rule would keep these


@pytest.mark.parametrize("target_noise, kept", [(0.0, 1), (0.08, 23)])
def test_eyes_that_followed_are_kept_when_the_dots_model_is_off_by_an_affine_map(target_noise, kept):
    # During the pursuit the eyes follow the dot, but the dots' model reads them 0.6 times
    # as far from the centre and shifted (as if the eyes' mapping changed after the dots):
    # the correlation is untouched, the pass is judged followed. Then the per-segment
    # rule decides: with tight dots (small LOTO) it still drops the far-off segments,
    # with loose dots it keeps them all.
    rng = random.Random(41)
    dots = _samples(rng, noise=0.002, target_noise=target_noise)
    pursuit = _pursuit(rng, noise=0.002, eyes=lambda x, y, yaw, pitch: _eyes_for(
        640 + 0.6 * (x - 640) + 60, 360 + 0.6 * (y - 360) - 40))
    summary = GazeModel.fit(dots + pursuit).summary()
    assert summary["pursuit"]["follow_r"] > 0.99
    assert summary["pursuit"]["segments"] >= kept and summary["bad_targets"] == []


def test_follow_r_is_not_judged_with_few_segments_or_targets_that_do_not_move():
    # Only 3 segments with samples (a face found in few frames): the pass is not judged,
    # the per-segment rule alone decides, and the summary says so with null.
    rng = random.Random(36)
    dots = _samples(rng, noise=0.002)
    stay = _pursuit(rng, eyes=lambda x, y, yaw, pitch: _eyes_for(640, 360), noise=0.002)
    few = [s for s in stay if s.target_index < C.PURSUIT_FIRST_INDEX + 3]
    summary = GazeModel.fit(dots + few).summary()
    assert summary["pursuit"]["follow_r"] is None
    assert summary["pursuit"]["segments"] + summary["pursuit"]["dropped"] == 3
    # A dot that moves only across: nothing to correlate on y.
    flat = [CalibrationSample(s.t_ms, s.target_index, s.target_x_px, 360.0, _inputs(*_eyes_for(s.target_x_px, 360.0)))
            for s in _pursuit(rng, noise=0.002)]
    assert GazeModel.fit(dots + flat).summary()["pursuit"]["follow_r"] is None
    # Dots only: no pursuit, nothing judged.
    assert GazeModel.fit(dots).pursuit_follow_r is None


def test_follow_r_helpers_match_numpy(np):
    rng = np.random.default_rng(7)
    for n in (2, 4, 23, 60):
        for _ in range(20):
            a = rng.normal(size=n) * rng.uniform(0.1, 500)
            b = 0.7 * a + rng.normal(size=n) * rng.uniform(0.1, 500) + rng.uniform(-1000, 1000)
            assert _correlation(list(a), list(b)) == pytest.approx(np.corrcoef(a, b)[0, 1], abs=1e-12)
            if n >= 4:
                means = rng.uniform(0, 1500, size=(n, 4))
                want = min(np.corrcoef(means[:, 0], means[:, 2])[0, 1], np.corrcoef(means[:, 1], means[:, 3])[0, 1])
                assert _follow_r([tuple(m) for m in means]) == pytest.approx(want, abs=1e-12)
    assert _correlation([1.0, 2.0, 3.0], [2.0, 4.0, 6.0]) == 1.0
    assert _correlation([1.0, 2.0, 3.0], [6.0, 4.0, 2.0]) == -1.0
    # Undefined: too few values or a constant sequence (numpy says nan).
    assert _correlation([1.0], [2.0]) is None
    assert _correlation([0.1, 0.1, 0.1], [1.0, 2.0, 3.0]) is None
    assert _correlation([1.0, 2.0, 3.0], [5.0, 5.0, 5.0]) is None
    # Not judged: fewer than 4 segments, or a target axis that does not vary.
    moving = [(x, 2 * x, x, (x * 7) % 5) for x in (1.0, 2.0, 3.0, 4.0, 5.0)]
    assert _follow_r(moving[:3]) is None and _follow_r(moving) is not None
    assert _follow_r([(x, y, tx, 300.0) for x, y, tx, _ in moving]) is None
    # Judged, but a gaze that does not move on an axis did not follow there: r = 0.
    assert _follow_r([(x, 100.0, tx, ty) for x, _, tx, ty in moving]) == 0.0


def test_pursuit_segments_do_not_count_towards_the_fewest_targets():
    rng = random.Random(35)
    pursuit = _pursuit(rng, noise=0.002)
    five = _samples(rng, noise=0.002, targets=calibration_pattern("9", 1280, 720)[:5])
    assert GazeModel.fit(five + pursuit).summary()["n_targets"] == 5
    with pytest.raises(CalibrationError, match="need samples at 5 or more targets, got 4"):
        GazeModel.fit(five[:80] + pursuit)
    with pytest.raises(CalibrationError, match="got 0"):
        GazeModel.fit(pursuit)
    # Dots with too few samples do not count either, however many segments are fine.
    thin = [s for s in five if s.target_index != 4 or s.t_ms % 1000 < 60]
    with pytest.raises(CalibrationError, match="only 4 targets have enough steady samples"):
        GazeModel.fit(thin + pursuit)


@pytest.mark.parametrize("seed", range(3))
def test_fit_with_pursuit_matches_numpy(np, seed):
    rng = random.Random(100 + seed)
    samples = _samples(rng, noise=0.01, target_noise=0.01, per=25) + _pursuit(rng, noise=0.003)
    model = GazeModel.fit(samples)
    assert model.n_used == len(samples) and model.bad_targets == ()
    _assert_fit_matches_numpy(np, model, samples)
