"""gazeheat.appearance: eye patches, DCT features, the per-user ridge fit with
leave-one-target-out strength choice, the combined model, model choice, clicks."""

import json
import math
import random

import pytest
from gazeheat import constants as C
from gazeheat import features as F
from gazeheat.appearance import (
    APPEARANCE_FEATURE_COUNT,
    APPEARANCE_VARIANTS,
    AppearanceModel,
    AppearanceTrainer,
    EyePatches,
    ModelChoice,
    accept_click,
    choose_model,
    fit_variants,
    patch_features,
)
from gazeheat.calibration import CalibrationSample, GazeModel, grid_targets
from gazeheat.errors import CalibrationError, InputError

W, H = C.EYE_PATCH_WIDTH_PX, C.EYE_PATCH_HEIGHT_PX
VIEW = (1280, 720)
TARGETS = grid_targets(*VIEW)


@pytest.fixture
def dctn():
    pytest.importorskip("numpy")
    return pytest.importorskip("scipy.fft").dctn


# --- synthetic eyes ----------------------------------------------------------------------


def eye_uv(x, y):
    """Iris position in the eye (eye widths) when looking at (x, y) px."""
    xn, yn = x / VIEW[0] - 0.5, y / VIEW[1] - 0.5
    return 0.5 + 0.2 * xn + 0.03 * xn * xn, 0.08 * yn


def draw_patches(x, y, rng, noise=5.0, signal=True):
    """Normalised patches of two eyes looking at (x, y): a dark blurred iris disc on a
    bright eye, drawn as the page's crop would see it, plus camera noise (grey levels).
    ``signal=False``: the iris stays put (the patches carry no gaze)."""
    u, v = eye_uv(x, y) if signal else (0.5, 0.0)
    values = []
    for eye in range(2):
        cx, cy = 2 + 16 * (u + 0.01 * eye), 6 + 16 * v
        grey = [200 - 150 * math.exp(-((i + 0.5 - cx) ** 2 + (j + 0.5 - cy) ** 2) / 12.5)
                + rng.gauss(0, noise) for j in range(H) for i in range(W)]
        m = sum(grey) / len(grey)
        sd = max(math.sqrt(sum((g - m) ** 2 for g in grey) / len(grey)), C.EYE_PATCH_MIN_STD_GREY)
        values += [(g - m) / sd for g in grey]
    return values


def landmark_inputs(x, y, rng, noise=0.002):
    """A ``Features.vector()`` for looking at (x, y): iris and lid follow the gaze."""
    u, v = eye_uv(x, y)
    return (u + rng.gauss(0, noise), v + rng.gauss(0, noise), -0.15 + 0.5 * v + rng.gauss(0, noise),
            0.3 + rng.gauss(0, 0.005), rng.gauss(0, 1.0), rng.gauss(0, 1.0),
            rng.gauss(0, 0.5), rng.gauss(0, 0.5))


def collect(rng, frames=30, trainer=None, order="targets", with_inputs=False, **kw):
    """A trainer fed ``frames`` kept frames per 3x3 target, returned with the
    landmark calibration samples of the same frames."""
    trainer = trainer or AppearanceTrainer(settle_ms=0.0)
    plan = [(i, k) for i in range(len(TARGETS)) for k in range(frames)]
    if order == "shuffled":
        random.Random(7).shuffle(plan)
    samples = []
    for n, (i, _) in enumerate(plan):
        t = TARGETS[i]
        inputs = landmark_inputs(t.x_px, t.y_px, rng) if with_inputs else None
        assert trainer.add(33.3 * n, i, t.x_px, t.y_px, draw_patches(t.x_px, t.y_px, rng, **kw),
                           features=inputs)
        if with_inputs:
            samples.append(CalibrationSample(33.3 * n, i, t.x_px, t.y_px, inputs))
    return trainer, samples


def numpy_design(np, trainer, model=None, landmark=None):
    """Per target: design rows X, goals per axis (from the trainer's kept frames)."""
    blocks = []
    for i, t in sorted(trainer._targets.items()):
        kept, _ = trainer._piece(t)
        X = np.array([[1.0, *t.feats[k]] for k in kept])
        if t.xy is None:
            gx, gy = np.full(len(kept), t.x_px), np.full(len(kept), t.y_px)
        else:  # a pursuit segment: each frame's own target
            gx, gy = (np.array([t.xy[k][axis] for k in kept]) for axis in (0, 1))
        target = np.array([gx.mean(), gy.mean()])  # a dot's position, a segment's mean one
        if landmark is not None:
            inputs = np.array([t.inputs[k] for k in kept])
            d = inputs - np.array(landmark.input_mean)
            z = d / np.array(landmark.input_scale)
            iu, iv, il, io = (F.VECTOR_NAMES.index(n) for n in ("u", "v", "upper_lid", "openness"))
            terms = np.column_stack([z[:, iu], z[:, iu] ** 2, z[:, iv], z[:, il], z[:, io]])
            X = np.hstack([X, terms])
            gx = gx - d @ np.array(landmark.prior_x)
            gy = gy - d @ np.array(landmark.prior_y)
        blocks.append((X, gx, gy, target))
    return blocks


def numpy_fit(np, blocks, lam_x, lam_y, n_terms=0):
    """Reference ridge: each target weighs 1, penalty lam * weight * spread^2 on the
    appearance columns, lam * weight on landmark terms, none on the intercept."""
    p = blocks[0][0].shape[1]
    means = np.array([X.mean(axis=0) for X, *_ in blocks])
    second = np.array([(X ** 2).mean(axis=0) for X, *_ in blocks])
    var = second.mean(axis=0) - means.mean(axis=0) ** 2
    pen = np.maximum(np.sqrt(np.maximum(var, 0)), C.APPEARANCE_SCALE_FLOOR) ** 2
    pen[0] = 0.0
    if n_terms:
        pen[p - n_terms:] = 1.0

    def solve(use, lam, axis):
        A = sum(X.T @ X / len(X) for X, *_ in use) + lam * len(use) * np.diag(pen)
        b = sum(X.T @ (gx if axis == 0 else gy) / len(X) for X, gx, gy, _ in use)
        return np.linalg.solve(A, b)

    return solve(blocks, lam_x, 0), solve(blocks, lam_y, 1), solve


# --- EyePatches and features -----------------------------------------------------------


def test_eye_patches_validate_length_and_values():
    ok = EyePatches([0.5] * C.EYE_PATCH_VALUES)
    assert ok.values == (0.5,) * C.EYE_PATCH_VALUES
    with pytest.raises(InputError, match="480 values.*got 479"):
        EyePatches([0.0] * (C.EYE_PATCH_VALUES - 1))
    bad = [0.0] * C.EYE_PATCH_VALUES
    bad[17] = float("nan")
    with pytest.raises(InputError, match=r"eye patches\[17\].*nan"):
        EyePatches(bad)
    bad[17] = "3"
    with pytest.raises(InputError, match=r"eye patches\[17\].*'3'"):
        EyePatches(bad)
    with pytest.raises(InputError, match="sequence"):
        EyePatches(3.0)


def test_eye_patches_round_trip_and_size_check():
    p = EyePatches(draw_patches(300, 200, random.Random(0)))
    assert EyePatches.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    d = p.to_dict()
    d["width_px"] = 10
    with pytest.raises(InputError, match="10"):
        EyePatches.from_dict(d)
    with pytest.raises(InputError, match="values"):
        EyePatches.from_dict({"width_px": W, "height_px": H})


def test_patch_features_are_scipy_ortho_dct_coefficients(np, dctn):
    rng = np.random.default_rng(3)
    values = rng.normal(size=C.EYE_PATCH_VALUES)
    got = np.array(patch_features(EyePatches(values.tolist())))
    want = []
    for eye in values.reshape(2, H, W):
        c = dctn(eye, norm="ortho")[:C.APPEARANCE_DCT_ROWS, :C.APPEARANCE_DCT_COLS].ravel()
        want.append(c[1:])  # without the constant term
    assert got.shape == (APPEARANCE_FEATURE_COUNT,)
    np.testing.assert_allclose(got, np.concatenate(want), atol=1e-12)


def test_patch_features_needs_eye_patches():
    with pytest.raises(InputError, match="EyePatches"):
        patch_features([0.0] * C.EYE_PATCH_VALUES)


def test_patch_corner_landmarks_are_the_feature_eye_corners():
    # The crop aligns to the same corners the landmark features measure from.
    assert C.EYE_PATCH_RIGHT_CORNERS == F._RIGHT_EYE[:2]
    assert C.EYE_PATCH_LEFT_CORNERS == F._LEFT_EYE[:2]
    assert C.EYE_PATCH_VALUES == 2 * W * H


# --- the ridge fit ---------------------------------------------------------------------


def test_ridge_on_patches_matches_numpy_normal_equations(np):
    rng = random.Random(1)
    trainer = AppearanceTrainer(settle_ms=0.0, outlier_mads=None)
    for i, t in enumerate(TARGETS):
        for k in range(12 + i):  # unequal counts: every target must still weigh 1
            trainer.add(k, i, t.x_px, t.y_px, [rng.gauss(0, 1) for _ in range(C.EYE_PATCH_VALUES)])
    model = trainer.fit(lambdas=(0.05,))
    cx, cy, _ = numpy_fit(np, numpy_design(np, trainer), 0.05, 0.05)
    np.testing.assert_allclose(model.coef_x, cx, rtol=1e-8, atol=1e-8 * np.abs(cx).max())
    np.testing.assert_allclose(model.coef_y, cy, rtol=1e-8, atol=1e-8 * np.abs(cy).max())
    assert model.lam_x == model.lam_y == 0.05
    assert model.n_targets == 9 and model.n_used == sum(12 + i for i in range(9))


def numpy_loto_choice(np, blocks, lambdas, solve, folds=None):
    """The reference strength choice: LOTO RMS miss per axis, strongest first, a weaker
    strength must beat the best by more than 2 %. ``folds``: per target, its fold
    (targets of one fold are left out together); default: each target alone."""
    folds = list(range(len(blocks))) if folds is None else folds
    misses = {}
    for lam in lambdas:
        per = []
        for k, (X, gx, gy, target) in enumerate(blocks):
            rest = [b for j, b in enumerate(blocks) if folds[j] != folds[k]]
            m = X.mean(axis=0)
            off = target - np.array([gx.mean(), gy.mean()])
            per.append([m @ solve(rest, lam, a) + off[a] - target[a] for a in (0, 1)])
        misses[lam] = np.array(per)
    chosen = []
    for axis in (0, 1):
        best = None
        for lam in sorted(lambdas, reverse=True):
            score = math.sqrt(np.mean(misses[lam][:, axis] ** 2))
            if best is None or score < 0.98 * best[0]:
                best = (score, lam)
        chosen.append(best[1])
    loto = np.mean(np.hypot(misses[chosen[0]][:, 0], misses[chosen[1]][:, 1]))
    return chosen, loto


def numpy_loto_misses(np, blocks, lam_x, lam_y, solve):
    """Per target, the leave-one-target-out miss (prediction minus target) per axis."""
    per = []
    for k, (X, gx, gy, target) in enumerate(blocks):
        rest = blocks[:k] + blocks[k + 1:]
        off = target - np.array([gx.mean(), gy.mean()])
        per.append([X.mean(axis=0) @ solve(rest, lam, a) + off[a] - target[a]
                    for a, lam in ((0, lam_x), (1, lam_y))])
    return np.array(per)


@pytest.mark.parametrize("seed, noise", [(14, 5.0), (15, 40.0)])
def test_combined_blend_matches_a_numpy_leave_one_target_out(np, seed, noise):
    trainer, samples = collect(random.Random(seed), frames=12, with_inputs=True, noise=noise)
    lm = landmark_model(samples)
    lambdas = (0.1, 1.0)
    model = trainer.fit("combined", landmark_model=lm, lambdas=lambdas)
    joint_blocks = numpy_design(np, trainer, landmark=lm)
    alone_blocks = numpy_design(np, trainer)
    q = len(model.landmark_terms)
    _, _, joint_solve = numpy_fit(np, joint_blocks, 1.0, 1.0, n_terms=q)
    _, _, alone_solve = numpy_fit(np, alone_blocks, 1.0, 1.0)
    (jx, jy), _ = numpy_loto_choice(np, joint_blocks, lambdas, joint_solve)
    (ax, ay), _ = numpy_loto_choice(np, alone_blocks, lambdas, alone_solve)
    assert (model.lam_x, model.lam_y, model.lam_features) == (jx, jy, (ax, ay))
    joint = numpy_loto_misses(np, joint_blocks, jx, jy, joint_solve)
    alone = numpy_loto_misses(np, alone_blocks, ax, ay, alone_solve)
    grid = np.linspace(1.0, 0.0, round(1 / C.APPEARANCE_BLEND_STEP) + 1)
    weights, blended = [], []
    for axis in (0, 1):
        rms = [math.sqrt(np.mean((w * joint[:, axis] + (1 - w) * alone[:, axis]) ** 2))
               for w in grid]
        best = int(np.argmin(rms[1:])) + 1
        w = grid[best] if rms[best] < 0.98 * rms[0] else 1.0
        weights.append(w)
        blended.append(w * joint[:, axis] + (1 - w) * alone[:, axis])
    assert model.blend == pytest.approx(weights, abs=1e-12)
    assert model.loto_px == pytest.approx(np.mean(np.hypot(*blended)), rel=1e-7)
    for axis, (coef, prior, lam, lam_alone) in enumerate(
            ((model.coef_x, model.prior_x, jx, ax), (model.coef_y, model.prior_y, jy, ay))):
        w = weights[axis]
        want = w * joint_solve(joint_blocks, lam, axis) + (1 - w) * np.concatenate(
            [alone_solve(alone_blocks, lam_alone, axis), np.zeros(q)])
        np.testing.assert_allclose(coef, want, rtol=1e-7, atol=1e-7 * np.abs(want).max())
        np.testing.assert_allclose(prior, w * np.asarray((lm.prior_x, lm.prior_y)[axis]),
                                   rtol=1e-12, atol=1e-12)
    if seed == 14:  # this calibration's eye patches alone predict x better
        assert model.blend[0] < 1.0
    # Training error and predictions include the scaled prior.
    X = np.vstack([b[0] for b in joint_blocks])
    off = np.vstack([np.column_stack([b[3][0] - b[1], b[3][1] - b[2]]) for b in joint_blocks])
    goal = np.vstack([np.tile(b[3], (len(b[0]), 1)) for b in joint_blocks])
    pred = np.column_stack([X @ np.array(model.coef_x), X @ np.array(model.coef_y)]) \
        + off * np.array(weights)
    assert model.rms_px == pytest.approx(math.sqrt(np.mean(np.sum((pred - goal) ** 2, axis=1))),
                                         rel=1e-7)
    t = trainer._targets[0]
    k = trainer._piece(t)[0][0]
    got = model.predict_features(t.feats[k], t.inputs[k])
    assert got == pytest.approx(tuple(pred[0]), rel=1e-9)
    # No blend: the joint fit alone.
    plain = trainer.fit("combined", landmark_model=lm, lambdas=lambdas, blend_step=None)
    assert plain.blend == (1.0, 1.0)
    np.testing.assert_allclose(plain.coef_x, joint_solve(joint_blocks, jx, 0), rtol=1e-7,
                               atol=1e-7 * np.abs(plain.coef_x).max())


def test_blended_model_refits_round_trips_and_old_records_load():
    trainer, samples = collect(random.Random(14), frames=12, with_inputs=True, noise=5.0)
    lm = landmark_model(samples)
    model = trainer.fit("combined", landmark_model=lm, lambdas=(0.1, 1.0))
    assert model.blend != (1.0, 1.0)
    # Refit without clicks at the same strengths and weights: the same model.
    again = trainer.refit(model)
    assert again.blend == model.blend and again.lam_features == model.lam_features
    assert again.coef_x == pytest.approx(model.coef_x, rel=1e-9, abs=1e-9)
    assert again.coef_y == pytest.approx(model.coef_y, rel=1e-9, abs=1e-9)
    assert again.prior_x == pytest.approx(model.prior_x, rel=1e-12, abs=1e-12)
    assert again.rms_px == pytest.approx(model.rms_px, rel=1e-9)
    back = AppearanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert back == model
    # A record from before blending (no "blend") is the joint fit alone.
    old = model.to_dict()
    del old["blend"]
    assert AppearanceModel.from_dict(old).blend == (1.0, 1.0)
    bad = model.to_dict()
    bad["blend"]["joint_x"] = 1.5
    with pytest.raises(InputError, match="blend"):
        AppearanceModel.from_dict(bad)
    for step in (0.0, 0.3, 2.0):
        with pytest.raises(InputError, match="blend_step"):
            trainer.fit("combined", landmark_model=lm, blend_step=step)
    # With clicks: the same blend of the two parts, each refitted at its strengths.
    joint = trainer.fit("combined", landmark_model=lm, lambdas=(0.1, 1.0), blend_step=None)
    alone = trainer.fit(lambdas=(0.1, 1.0))
    assert (joint.lam_x, joint.lam_y, (alone.lam_x, alone.lam_y)) == \
        (model.lam_x, model.lam_y, model.lam_features)
    rng = random.Random(3)
    for k, t in sorted(trainer._targets.items()):
        trainer.add_click_sample(t.x_px + 30, t.y_px, draw_patches(t.x_px, t.y_px, rng),
                                 t.inputs[0])
    clicked = trainer.refit(model)
    parts = trainer.refit(joint), trainer.refit(alone)
    assert clicked.n_clicks == 9 and clicked.blend == model.blend
    pad = (0.0,) * len(model.landmark_terms)
    for axis, coef in enumerate((clicked.coef_x, clicked.coef_y)):
        w = model.blend[axis]
        want = [w * u + (1 - w) * v for u, v in
                zip((parts[0].coef_x, parts[0].coef_y)[axis],
                    (parts[1].coef_x, parts[1].coef_y)[axis] + pad)]
        assert coef == pytest.approx(want, rel=1e-9, abs=1e-9)


def test_features_alone_fit_is_reused_only_while_the_frames_stay():
    # The combined fit reuses the appearance fit's solve; a stale one must never be used.
    def fresh():
        return collect(random.Random(16), frames=12, with_inputs=True, noise=30.0)

    trainer, samples = fresh()
    lm = landmark_model(samples)
    first = trainer.fit()
    assert trainer.fit("combined", landmark_model=lm) == \
        fresh()[0].fit("combined", landmark_model=lm)
    trainer.drop_targets([8])
    assert trainer.fit(min_targets=5) == fresh()[0].fit(exclude_targets=[8], min_targets=5)
    assert trainer.fit("combined", landmark_model=lm, min_targets=5) == fresh()[0].fit(
        "combined", landmark_model=lm, exclude_targets=[8], min_targets=5)
    other, _ = fresh()
    for t in (trainer, other):
        t.add(10_000, 0, TARGETS[0].x_px, TARGETS[0].y_px,
              draw_patches(TARGETS[0].x_px, TARGETS[0].y_px, random.Random(1)), t._targets[0].inputs[0])
    assert trainer.fit(exclude_targets=[8], min_targets=5) == \
        other.fit(exclude_targets=[8], min_targets=5)
    assert trainer.fit() != first


@pytest.mark.parametrize("noise", [5.0, 60.0, 300.0])
def test_lambda_choice_matches_a_numpy_leave_one_target_out(np, noise):
    trainer, _ = collect(random.Random(2), frames=15, noise=noise)
    model = trainer.fit()
    blocks = numpy_design(np, trainer)
    _, _, solve = numpy_fit(np, blocks, 1.0, 1.0)
    (lam_x, lam_y), loto = numpy_loto_choice(np, blocks, C.APPEARANCE_LAMBDAS, solve)
    assert (model.lam_x, model.lam_y) == (lam_x, lam_y)
    assert model.loto_px == pytest.approx(loto, rel=1e-7)
    cx, cy, _ = numpy_fit(np, blocks, lam_x, lam_y)
    np.testing.assert_allclose(model.coef_x, cx, rtol=1e-7, atol=1e-7 * np.abs(cx).max())
    np.testing.assert_allclose(model.coef_y, cy, rtol=1e-7, atol=1e-7 * np.abs(cy).max())


def test_pursuit_segments_are_left_out_four_at_a_time_like_numpy(np):
    # 9 dots, then 10 segments of a dot moving along a line: the dots are left out one
    # by one, the segments in folds of PURSUIT_CV_SEGMENTS consecutive ones.
    rng = random.Random(21)
    trainer, _ = collect(rng, frames=12, noise=40.0)
    t = 10_000.0
    for seg in range(10):
        for k in range(12):
            x, y = 150.0 + 100.0 * seg + 8.0 * k, 200.0 + 30.0 * seg
            t += 33.3
            assert trainer.add(t, C.PURSUIT_FIRST_INDEX + seg, x, y, draw_patches(x, y, rng, noise=40.0))
    model = trainer.fit()
    blocks = numpy_design(np, trainer)
    folds = list(range(9)) + [100 + seg // C.PURSUIT_CV_SEGMENTS for seg in range(10)]
    _, _, solve = numpy_fit(np, blocks, 1.0, 1.0)
    (lam_x, lam_y), loto = numpy_loto_choice(np, blocks, C.APPEARANCE_LAMBDAS, solve, folds)
    assert (model.lam_x, model.lam_y) == (lam_x, lam_y)
    assert model.loto_px == pytest.approx(loto, rel=1e-7)
    alone = numpy_loto_choice(np, blocks, C.APPEARANCE_LAMBDAS, solve)[1]
    assert abs(alone - loto) > 1e-6 * loto  # the folds really differ from one-by-one


def test_noisier_eyes_get_stronger_ridge_and_larger_errors():
    clean = collect(random.Random(4), frames=15, noise=3.0)[0].fit()
    noisy = collect(random.Random(4), frames=15, noise=80.0)[0].fit()
    assert noisy.lam_x >= clean.lam_x and noisy.lam_y >= clean.lam_y
    assert noisy.loto_px > clean.loto_px


def test_incremental_sums_equal_a_batch_fit():
    # The same frames fed target by target (each target summed once, when the next
    # starts) and shuffled (every target reopened and summed again many times).
    rng = random.Random(5)
    frames = [(i, draw_patches(t.x_px, t.y_px, rng)) for i, t in enumerate(TARGETS) for _ in range(20)]
    shuffled = frames[:]
    random.Random(7).shuffle(shuffled)
    models = []
    for plan in (frames, shuffled):
        trainer = AppearanceTrainer(settle_ms=0.0)
        for n, (i, values) in enumerate(plan):
            trainer.add(n, i, TARGETS[i].x_px, TARGETS[i].y_px, values)
        models.append(trainer.fit())
    batch, incremental = models
    assert incremental.coef_x == pytest.approx(batch.coef_x, rel=1e-9, abs=1e-9)
    assert incremental.coef_y == pytest.approx(batch.coef_y, rel=1e-9, abs=1e-9)
    assert incremental.loto_px == pytest.approx(batch.loto_px, rel=1e-9)
    assert (incremental.lam_x, incremental.lam_y) == (batch.lam_x, batch.lam_y)
    assert batch.n_used == incremental.n_used


def test_targets_are_summed_when_the_next_one_starts():
    trainer = AppearanceTrainer(settle_ms=0.0)
    rng = random.Random(6)
    for k in range(10):
        trainer.add(k, 0, 100, 100, draw_patches(100, 100, rng))
    assert trainer._targets[0].piece_n == -1  # still open
    trainer.add(11, 1, 600, 100, draw_patches(600, 100, rng))
    assert trainer._targets[0].piece_n == 10  # summed, once
    piece = trainer._targets[0].piece
    trainer.add(12, 1, 600, 100, draw_patches(600, 100, rng))
    assert trainer._targets[0].piece is piece


def test_cleaning_drops_settling_invalid_and_outlying_frames():
    rng = random.Random(8)
    trainer = AppearanceTrainer()
    reference = AppearanceTrainer(settle_ms=0.0)
    for i, t in enumerate(TARGETS):
        t0 = 1000.0 * i
        trainer.start_target(i, t0)
        # Settling: the eyes are still on the previous target.
        for k in range(5):
            assert not trainer.add(t0 + 50 * k, i, t.x_px, t.y_px, draw_patches(640, 360, rng))
        assert not trainer.add(t0 + 450, i, t.x_px, t.y_px, draw_patches(640, 360, rng), valid=False)
        assert not trainer.add(t0 + 460, i, t.x_px, t.y_px, None)
        for k in range(20):
            values = draw_patches(t.x_px, t.y_px, rng)
            assert trainer.add(t0 + 500 + 30 * k, i, t.x_px, t.y_px, values)
            reference.add(k, i, t.x_px, t.y_px, values)
        if i == 4:  # a glance at the far corner
            assert trainer.add(t0 + 1200, i, t.x_px, t.y_px, draw_patches(0, 0, rng))
    model, ref = trainer.fit(), reference.fit()
    assert model.n_used == ref.n_used <= 180
    assert model.coef_x == pytest.approx(ref.coef_x, rel=1e-9, abs=1e-9)


def test_blink_edges_are_dropped_when_landmarks_come_along():
    rng = random.Random(9)
    trainer = AppearanceTrainer(settle_ms=0.0, outlier_mads=None)
    for i, t in enumerate(TARGETS):
        for k in range(12):
            inputs = list(landmark_inputs(t.x_px, t.y_px, rng))
            if k == 3:
                inputs[3] = 0.15  # lids half-way closed
            trainer.add(k, i, t.x_px, t.y_px, draw_patches(t.x_px, t.y_px, rng), features=inputs)
    assert trainer.fit().n_used == 9 * 11


def test_fitted_model_predicts_new_gaze_points():
    trainer, _ = collect(random.Random(10), frames=30)
    model = trainer.fit()
    rng = random.Random(11)
    errors = []
    for _ in range(40):
        x, y = rng.uniform(200, 1080), rng.uniform(100, 620)
        px, py = model.predict(draw_patches(x, y, rng))
        errors.append(math.hypot(px - x, py - y))
    assert sum(errors) / len(errors) < 40  # ~1 deg; the eyes are clean
    assert model.rms_px < 40 and model.loto_px < 60


def test_fit_errors():
    trainer = AppearanceTrainer(settle_ms=0.0)
    rng = random.Random(12)
    with pytest.raises(CalibrationError, match="no calibration frames"):
        trainer.fit()
    for i, t in enumerate(TARGETS[:4]):
        for k in range(10):
            trainer.add(k, i, t.x_px, t.y_px, draw_patches(t.x_px, t.y_px, rng))
    with pytest.raises(CalibrationError, match="only 4 targets"):
        trainer.fit()
    with pytest.raises(InputError, match="variant"):
        trainer.fit(variant="landmark")
    with pytest.raises(InputError, match="GazeModel"):
        trainer.fit(variant="combined", min_targets=4)
    with pytest.raises(InputError, match="lambdas"):
        trainer.fit(lambdas=())
    with pytest.raises(InputError, match="lambdas"):
        trainer.fit(lambdas=(-1.0,))
    with pytest.raises(InputError, match="was at"):
        trainer.add(99, 0, 5.0, 5.0, draw_patches(5, 5, rng))
    with pytest.raises(InputError, match="t_ms"):
        trainer.add(float("inf"), 0, 5.0, 5.0, draw_patches(5, 5, rng))
    with pytest.raises(InputError, match="features"):
        trainer.add(100, 0, TARGETS[0].x_px, TARGETS[0].y_px, draw_patches(5, 5, rng),
                    features=(1.0, 2.0))
    model = trainer.fit(min_targets=4)
    assert model.n_targets == 4
    # Excluded (bad) targets are left out.
    assert trainer.fit(min_targets=3, exclude_targets=[0]).n_targets == 3


def test_identical_patches_everywhere_are_singular():
    trainer = AppearanceTrainer(settle_ms=0.0)
    flat = [0.0] * C.EYE_PATCH_VALUES
    for i, t in enumerate(TARGETS):
        for k in range(8):
            trainer.add(k, i, t.x_px, t.y_px, flat)
    with pytest.raises(CalibrationError):
        trainer.fit(lambdas=(0.0,))


def test_drop_and_clear():
    trainer, _ = collect(random.Random(13), frames=8)
    trainer.drop_targets([0, 1])
    assert trainer.n_targets == 7 and trainer.n_samples == 56
    assert trainer.fit().n_targets == 7
    trainer.clear()
    assert trainer.n_targets == 0


# --- the combined model ----------------------------------------------------------------


def landmark_model(samples):
    return GazeModel.fit(samples)


def test_combined_model_matches_numpy(np):
    trainer, samples = collect(random.Random(14), frames=15, with_inputs=True, noise=40.0)
    lm = landmark_model(samples)
    model = trainer.fit("combined", landmark_model=lm, lambdas=(0.1,))
    assert model.landmark_terms == ("u", "u^2", "v", "upper_lid", "openness")
    blocks = numpy_design(np, trainer, landmark=lm)
    cx, cy, _ = numpy_fit(np, blocks, 0.1, 0.1, n_terms=5)
    np.testing.assert_allclose(model.coef_x, cx, rtol=1e-7, atol=1e-7 * np.abs(cx).max())
    np.testing.assert_allclose(model.coef_y, cy, rtol=1e-7, atol=1e-7 * np.abs(cy).max())
    # Its training error is what numpy's coefficients give.
    X = np.vstack([b[0] for b in blocks])
    gx = np.concatenate([b[1] for b in blocks])
    gy = np.concatenate([b[2] for b in blocks])
    rms = math.sqrt(np.mean((X @ cx - gx) ** 2 + (X @ cy - gy) ** 2))
    assert model.rms_px == pytest.approx(rms, rel=1e-7)
    # The same frame through predict gives the same gaze as the design row.
    t = trainer._targets[0]
    kept = trainer._piece(t)[0][0]
    want = blocks[0][0][0] @ cx + (blocks[0][3][0] - blocks[0][1][0])
    got = model.predict_features(t.feats[kept], t.inputs[kept])
    assert got[0] == pytest.approx(want, rel=1e-9)


def test_combined_needs_landmark_features_with_every_frame():
    trainer, samples = collect(random.Random(15), frames=10, with_inputs=True)
    lm = landmark_model(samples)
    trainer.add(9999, 0, TARGETS[0].x_px, TARGETS[0].y_px, draw_patches(100, 100, random.Random(0)))
    with pytest.raises(CalibrationError, match="landmark features"):
        trainer.fit("combined", landmark_model=lm)
    model = trainer.fit("combined", landmark_model=lm, exclude_targets=[0])
    with pytest.raises(InputError, match="landmark features"):
        model.predict(draw_patches(100, 100, random.Random(0)))


def validation_error_deg(model, rng, signal=True, landmark_noise=0.002):
    errors = []
    for t in grid_targets(*VIEW, rows=2, cols=2, margin=0.25):
        for _ in range(10):
            values = draw_patches(t.x_px, t.y_px, rng, signal=signal)
            inputs = landmark_inputs(t.x_px, t.y_px, rng, noise=landmark_noise)
            if isinstance(model, GazeModel):
                x, y = model.predict_vector(inputs)
            else:
                x, y = model.predict(values, inputs)
            errors.append(math.hypot(x - t.x_px, y - t.y_px))
    return sum(errors) / len(errors) / C.DEFAULT_PX_PER_DEG


@pytest.mark.parametrize("eyes_informative", [True, False])
def test_model_choice_picks_the_better_model_on_constructed_data(eyes_informative):
    # Informative eye images and noisy landmarks: an appearance-based variant wins;
    # eye images without gaze and clean landmarks: the landmark model wins.
    rng = random.Random(16)
    noise = 0.03 if eyes_informative else 0.001
    trainer = AppearanceTrainer(settle_ms=0.0)
    samples = []
    for i, t in enumerate(TARGETS):
        for k in range(20):
            inputs = landmark_inputs(t.x_px, t.y_px, rng, noise=noise)
            trainer.add(k, i, t.x_px, t.y_px,
                        draw_patches(t.x_px, t.y_px, rng, signal=eyes_informative), features=inputs)
            samples.append(CalibrationSample(k, i, t.x_px, t.y_px, inputs))
    lm = landmark_model(samples)
    models = {"landmark": lm, "appearance": trainer.fit(),
              "combined": trainer.fit("combined", landmark_model=lm)}
    errors = {name: validation_error_deg(m, random.Random(17), signal=eyes_informative,
                                         landmark_noise=noise) for name, m in models.items()}
    choice = choose_model(errors)
    assert choice.variants == errors
    if eyes_informative:
        assert choice.chosen in ("appearance", "combined")
        assert errors[choice.chosen] < 0.5 * errors["landmark"], errors
    else:
        assert choice.chosen == "landmark", errors
        assert errors["appearance"] > 3 * errors["landmark"], errors


# --- model round trips -----------------------------------------------------------------


def test_model_round_trips_through_json():
    trainer, samples = collect(random.Random(18), frames=10, with_inputs=True)
    lm = landmark_model(samples)
    probe = draw_patches(500, 300, random.Random(1))
    inputs = landmark_inputs(500, 300, random.Random(1))
    for model in (trainer.fit(), trainer.fit("combined", landmark_model=lm)):
        again = AppearanceModel.from_dict(json.loads(json.dumps(model.to_dict())))
        assert again == model
        assert again.predict(probe, inputs) == model.predict(probe, inputs)
        assert again.summary()["variant"] == model.variant


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "version"),
    ({"model": "other"}, "model"),
    ({"variant": "landmark"}, "variant"),
    ({"patch": {"width_px": 10, "height_px": 6, "dct_cols": 6, "dct_rows": 4}}, "calibrate again"),
    ({"coef_x": [1.0, 2.0]}, "coef_x"),
    ({"feature_scale": [0.0] * APPEARANCE_FEATURE_COUNT}, "scales"),
    ({"lam_x": -1}, "lam_x"),
    ({"rms_px": float("nan")}, "rms_px"),
    ({"landmark_terms": ["u"]}, "combined"),
    ({"landmark_terms": ["w^2"]}, "w\\^2"),
])
def test_model_from_dict_rejects_bad_records(change, message):
    model = collect(random.Random(19), frames=8)[0].fit()
    d = {**model.to_dict(), **change}
    with pytest.raises(InputError, match=message):
        AppearanceModel.from_dict(d)
    d = model.to_dict()
    del d["coef_y"]
    with pytest.raises(InputError, match="coef_y"):
        AppearanceModel.from_dict(d)


# --- model choice --------------------------------------------------------------------


def test_choose_model_lowest_error_ties_to_the_simpler():
    assert choose_model({"landmark": 2.0, "appearance": 1.5, "combined": 1.2}).chosen == "combined"
    assert choose_model({"landmark": 1.0, "appearance": 1.5, "combined": 1.2}).chosen == "landmark"
    assert choose_model({"landmark": 2.0, "appearance": 1.2, "combined": 1.2}).chosen == "appearance"
    tie = C.MODEL_CHOICE_TIE_DEG
    assert choose_model({"landmark": 1.0, "combined": 1.0 - 0.5 * tie}).chosen == "landmark"
    assert choose_model({"landmark": 1.0, "combined": 1.0 - 2 * tie}).chosen == "combined"
    assert choose_model({"landmark": 1.3, "appearance": None, "combined": None}).chosen == "landmark"


def test_choose_model_record_round_trip():
    choice = choose_model({"combined": 1.2, "landmark": 2.0, "appearance": 1.5},
                          {"combined": 0.9, "landmark": 0.8, "appearance": 1.1})
    d = choice.to_dict()
    assert d == {"variants": {"landmark": {"accuracy_deg": 0.8, "mean_error_deg": 2.0},
                              "appearance": {"accuracy_deg": 1.1, "mean_error_deg": 1.5},
                              "combined": {"accuracy_deg": 0.9, "mean_error_deg": 1.2}}, "chosen": "combined"}
    assert list(d["variants"]) == ["landmark", "appearance", "combined"]
    assert ModelChoice.from_dict(json.loads(json.dumps(d))) == choice
    partial = choose_model({"landmark": 1.0, "appearance": None}, {"landmark": 0.7, "appearance": None})
    assert ModelChoice.from_dict(partial.to_dict()) == partial


def test_choice_is_by_mean_error_not_accuracy():
    # The landmark model's mean gaze sits closer to the targets, but its samples scatter.
    choice = choose_model({"landmark": 2.4, "combined": 1.3}, {"landmark": 1.1, "combined": 1.2})
    assert choice.chosen == "combined"
    assert choice.to_dict()["variants"]["landmark"] == {"accuracy_deg": 1.1, "mean_error_deg": 2.4}


def test_choices_stored_before_the_mean_error_compare_accuracies():
    old = {"variants": {"landmark": {"accuracy_deg": 1.4}, "combined": {"accuracy_deg": 1.1}},
           "chosen": "combined"}
    choice = ModelChoice.from_dict(old)
    assert choice.variants == {"landmark": 1.4, "combined": 1.1}
    assert dict(choice.accuracy_deg) == {"landmark": 1.4, "combined": 1.1}


@pytest.mark.parametrize("errors, message", [
    ({"cnn": 1.0}, "cnn"), ({"landmark": -1.0}, "-1.0"), ({"landmark": float("nan")}, "nan"),
    ({"landmark": None}, "no model variant"), ({}, "no model variant"), ([1.0], "dict"),
])
def test_choose_model_rejects_bad_errors(errors, message):
    with pytest.raises(InputError, match=message):
        choose_model(errors)


@pytest.mark.parametrize("d, message", [
    ({"variants": {"landmark": {"accuracy_deg": 1.0}}}, "chosen"),
    ({"variants": {}, "chosen": "landmark"}, "non-empty"),
    ({"variants": {"cnn": {"accuracy_deg": 1.0}}, "chosen": "cnn"}, "cnn"),
    ({"variants": {"landmark": {}}, "chosen": "landmark"}, "accuracy_deg"),
    ({"variants": {"landmark": {"accuracy_deg": "1"}}, "chosen": "landmark"}, "'1'"),
    ({"variants": {"landmark": {"accuracy_deg": 1.0}, "combined": {"accuracy_deg": None}},
      "chosen": "combined"}, "validated"),
    ({"variants": {"landmark": {"accuracy_deg": 1.0}}, "chosen": "appearance"}, "appearance"),
])
def test_model_choice_from_dict_rejects_bad_records(d, message):
    with pytest.raises(InputError, match=message):
        ModelChoice.from_dict(d)


# --- self-calibration from clicks ------------------------------------------------------


def test_accept_click_guard():
    ppd = 40.0
    assert accept_click((100.0, 100.0), (100.0 + 4.9 * ppd, 100.0), ppd, 5.0)
    assert not accept_click((100.0, 100.0), (100.0 + 3 * ppd, 100.0 + 4.1 * ppd), ppd, 5.0)
    assert accept_click([10, 10], [10, 10], ppd)
    assert not accept_click(None, (10, 10), ppd)
    assert not accept_click((None, None), (10, 10), ppd)
    with pytest.raises(InputError, match="px_per_deg"):
        accept_click((0, 0), (0, 0), 0.0)
    with pytest.raises(InputError, match="max_deg"):
        accept_click((0, 0), (0, 0), ppd, -1)
    with pytest.raises(InputError, match="click_xy"):
        accept_click((0, 0), (0, float("nan")), ppd)
    with pytest.raises(InputError, match="click_xy"):
        accept_click((0, 0), None, ppd)


def test_refit_without_clicks_is_the_fit_at_the_same_strengths():
    trainer, _ = collect(random.Random(20), frames=12, noise=30.0)
    model = trainer.fit()
    again = trainer.refit(model)
    fixed = trainer.fit(lambdas=(model.lam_x,)) if model.lam_x == model.lam_y else None
    assert again.coef_x == pytest.approx(model.coef_x, rel=1e-9, abs=1e-9)
    assert again.coef_y == pytest.approx(model.coef_y, rel=1e-9, abs=1e-9)
    assert again.loto_px is None and again.n_clicks == 0
    if fixed is not None:
        assert fixed.coef_x == pytest.approx(model.coef_x, rel=1e-9, abs=1e-9)


def test_click_samples_pull_the_model_towards_the_clicks():
    trainer, _ = collect(random.Random(21), frames=12)
    model = trainer.fit()
    rng = random.Random(22)
    # The person's eyes now look 60 px left of where they click (drift).
    points = [(rng.uniform(200, 1080), rng.uniform(100, 620)) for _ in range(60)]
    shift = []
    for x, y in points:
        values = draw_patches(x - 60, y, rng)
        shift.append(model.predict(values)[0] - x)
        trainer.add_click_sample(x, y, values)
    assert trainer.n_clicks == 60
    updated = trainer.refit(model)
    assert updated.n_clicks == 60 and updated.lam_x == model.lam_x
    after = [updated.predict(draw_patches(x - 60, y, rng))[0] - x for x, y in points]
    assert abs(sum(after) / 60) < 0.75 * abs(sum(shift) / 60)
    with pytest.raises(InputError, match="x_px"):
        trainer.add_click_sample(float("nan"), 0, values)
    with pytest.raises(InputError, match="AppearanceModel"):
        trainer.refit("model")


def test_combined_clicks_need_landmark_features():
    trainer, samples = collect(random.Random(23), frames=10, with_inputs=True)
    model = trainer.fit("combined", landmark_model=landmark_model(samples))
    trainer.add_click_sample(300, 300, draw_patches(300, 300, random.Random(0)))
    with pytest.raises(InputError, match="landmark features"):
        trainer.refit(model)
    trainer.clear()
    trainer, _ = collect(random.Random(23), frames=10, with_inputs=True, trainer=trainer)
    rng = random.Random(1)
    trainer.add_click_sample(300, 300, draw_patches(300, 300, rng), landmark_inputs(300, 300, rng))
    assert trainer.refit(model).n_clicks == 1


# --- stage 2: drift correction, precomputed features, fitting every variant -------------


def test_recentred_adds_the_mean_miss_and_round_trips():
    trainer, _ = collect(random.Random(30), frames=10)
    model = trainer.fit()
    probe = draw_patches(500, 300, random.Random(2))
    x, y = model.predict(probe)
    shifted = model.recentred([(x, y, x + 30.0, y - 10.0), (x, y, x + 10.0, y - 10.0)])
    assert shifted.correction_px == pytest.approx((20.0, -10.0))
    assert shifted.predict(probe) == pytest.approx((x + 20.0, y - 10.0))
    twice = shifted.recentred([(x + 20.0, y - 10.0, x + 25.0, y - 10.0)])
    assert twice.correction_px == pytest.approx((25.0, -10.0))
    assert AppearanceModel.from_dict(json.loads(json.dumps(twice.to_dict()))) == twice
    old = twice.to_dict()
    del old["correction"]  # written before the correction existed: none
    assert AppearanceModel.from_dict(old).correction_px == (0.0, 0.0)
    with pytest.raises(InputError, match="at least one"):
        model.recentred([])
    with pytest.raises(InputError, match="points\\[0\\]"):
        model.recentred([(1.0, 2.0)])


def test_precomputed_features_train_as_the_patches_do():
    rng = random.Random(31)
    a, b = AppearanceTrainer(settle_ms=0.0), AppearanceTrainer(settle_ms=0.0)
    for i, t in enumerate(TARGETS):
        for k in range(10):
            values = draw_patches(t.x_px, t.y_px, rng)
            assert a.add(k, i, t.x_px, t.y_px, values)
            assert b.add_features(k, i, t.x_px, t.y_px, patch_features(EyePatches(values)))
    assert not b.add_features(99, 0, TARGETS[0].x_px, TARGETS[0].y_px, None)
    assert a.fit() == b.fit()
    with pytest.raises(InputError, match="appearance features"):
        b.add_features(100, 0, TARGETS[0].x_px, TARGETS[0].y_px, (1.0,) * 5)
    with pytest.raises(InputError, match="appearance features\\[2\\]"):
        b.add_features(100, 0, TARGETS[0].x_px, TARGETS[0].y_px,
                       (1.0, 1.0, float("inf")) + (0.0,) * (APPEARANCE_FEATURE_COUNT - 3))
    values = draw_patches(300, 300, rng)
    a.add_click_sample(300, 300, values)
    b.add_click_features(300, 300, patch_features(EyePatches(values)))
    model = a.fit()
    assert a.refit(model) == b.refit(model)


def test_refit_keeps_the_drift_correction_and_fits_clicks_under_it():
    trainer, _ = collect(random.Random(32), frames=12)
    model = trainer.fit().recentred([(0.0, 0.0, 50.0, 0.0)])  # +50 px in x
    rng = random.Random(33)
    for _ in range(40):
        x, y = rng.uniform(200, 1080), rng.uniform(100, 620)
        # The clicks agree with the corrected model: nothing left to learn.
        trainer.add_click_sample(model.predict(draw_patches(x, y, rng))[0], y, draw_patches(x, y, rng))
    refitted = trainer.refit(model)
    assert refitted.correction_px == model.correction_px
    probe = draw_patches(640, 360, random.Random(3))
    assert abs(refitted.predict(probe)[0] - model.predict(probe)[0]) < 15


def test_fit_variants_fits_what_it_can():
    trainer, samples = collect(random.Random(34), frames=10, with_inputs=True)
    lm = landmark_model(samples)
    models, errors = fit_variants(trainer, lm)
    assert set(models) == set(APPEARANCE_VARIANTS) and errors == {}
    assert models["combined"] == trainer.fit("combined", landmark_model=lm,
                                             exclude_targets=lm.bad_targets)
    models, errors = fit_variants(None, lm)
    assert models == {} and set(errors) == set(APPEARANCE_VARIANTS)
    few = AppearanceTrainer(settle_ms=0.0)
    few.add(0, 0, 10.0, 10.0, draw_patches(10, 10, random.Random(0)))
    models, errors = fit_variants(few, lm)
    assert models == {} and "targets" in errors["appearance"]
