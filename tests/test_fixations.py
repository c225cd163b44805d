"""gazeheat.fixations: I-VT and I-DT fixation detection on 30 Hz webcam gaze."""

import csv
import math
import random

import pytest

import gazeheat.constants as C
from gazeheat.errors import InputError
from gazeheat.fixations import DEFAULT_PX_PER_DEG, METHODS, Fixation, detect_fixations, idt, ivt
from gazeheat.session import GazeSample

PPD = DEFAULT_PX_PER_DEG
FRAME_MS = 1000.0 / 30.0
FRAME_JITTER_MS = 4.0  # frame intervals are FRAME_MS +- this


# --- synthetic scanpaths ----------------------------------------------------------------


def scanpath(seed, jitter_px, n_fix=12, min_sep_deg=8.0):
    """30 Hz samples ``[(t_ms, x, y)]`` (None/None in gaps) and the fixations in them.

    Fixations at random places at least ``min_sep_deg`` apart, 250-700 ms long,
    joined by 25-60 ms saccades (samples in flight on the straight line); Gaussian
    jitter of ``jitter_px`` per axis. Every 4th fixation has a blink (150-300 ms of
    null samples) in it, which splits it in two; every 3rd loses one frame, which
    must be bridged. Truth: ``[(start_ms, end_ms, x, y)]``, start = first sample of
    a piece, end = time of the sample after its last one.
    """
    rng = random.Random(seed)
    samples, pieces = [], []  # pieces: (first index, last index, x, y)
    t = 0.0
    x0, y0 = 960.0, 540.0

    def tick():
        nonlocal t
        t += FRAME_MS + rng.uniform(-FRAME_JITTER_MS, FRAME_JITTER_MS)

    for k in range(n_fix):
        while True:
            fx, fy = rng.uniform(80, 1840), rng.uniform(80, 1000)
            if math.hypot(fx - x0, fy - y0) >= min_sep_deg * PPD:
                break
        if k:
            saccade_ms = rng.uniform(25, 60)
            t_from = t
            while True:
                tick()
                if t >= t_from + saccade_ms:
                    break
                a = (t - t_from) / saccade_ms
                samples.append((t, x0 + a * (fx - x0) + rng.gauss(0, jitter_px),
                                y0 + a * (fy - y0) + rng.gauss(0, jitter_px)))
        blink = k % 4 == 3
        drop = k % 3 == 1
        t_start = t
        duration = rng.uniform(450, 700) if blink else rng.uniform(250, 700)
        blink_from = t_start + 0.4 * duration
        blink_to = blink_from + rng.uniform(150, 300)
        if blink:
            duration += blink_to - blink_from
        first = None
        while t < t_start + duration:
            if blink and blink_from <= t < blink_to:
                samples.append((t, None, None))
                if first is not None:
                    pieces.append((first, len(samples) - 2, fx, fy))
                    first = None
            elif drop and t > t_start + 0.5 * duration:
                samples.append((t, None, None))
                drop = False
            else:
                samples.append((t, fx + rng.gauss(0, jitter_px), fy + rng.gauss(0, jitter_px)))
                if first is None:
                    first = len(samples) - 1
            tick()
        if first is not None:
            pieces.append((first, len(samples) - 1, fx, fy))
        x0, y0 = fx, fy
        t -= FRAME_MS  # the next saccade's first tick
    truth = []
    for first, last, fx, fy in pieces:
        if last + 1 < len(samples):
            end = samples[last + 1][0]
        else:
            end = 2 * samples[last][0] - samples[last - 1][0]
        truth.append((samples[first][0], end, fx, fy))
    return samples, truth


def _recovered(found, truth, jitter_px, method):
    """True if ``found`` matches ``truth``: same count, start and end within two
    frames, centroid within 5 standard errors + 2 px (I-DT: plus the pull of one
    in-flight saccade sample, which a window up to the threshold wide can absorb)."""
    if len(found) != len(truth):
        return False
    two_frames = 2 * (FRAME_MS + FRAME_JITTER_MS)
    for f, (start, end, x, y) in zip(found, truth, strict=True):
        tol = 5 * jitter_px / math.sqrt(f.n_samples) + 2
        if method == "idt":
            tol += C.IDT_DISPERSION_THRESHOLD_DEG * PPD / f.n_samples
        if abs(f.start_ms - start) > two_frames or abs(f.end_ms - end) > two_frames:
            return False
        if math.hypot(f.x - x, f.y - y) > tol:
            return False
    return True


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(5))
def test_recovers_fixations_low_jitter(method, seed):
    jitter = 0.25 * PPD
    samples, truth = scanpath(seed, jitter)
    assert _recovered(detect_fixations(samples, method), truth, jitter, method)


@pytest.mark.parametrize("method", METHODS)
def test_recovers_fixations_webcam_jitter(method):
    # 0.7 deg of jitter per axis, ~1 deg in 2-D: typical webcam gaze. I-DT is the
    # more noise-sensitive (1 of the first 100 seeds keeps a split), so 9 of 10.
    jitter = 0.7 * PPD
    ok = 0
    for seed in range(10):
        samples, truth = scanpath(seed, jitter)
        ok += _recovered(detect_fixations(samples, method), truth, jitter, method)
    assert ok >= (10 if method == "ivt" else 9)


# --- golden fixtures -----------------------------------------------------------------------


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _golden_input(data_dir):
    rows = _read_csv(data_dir / "fixations_input.csv")
    assert len(rows) == 143
    return [(float(r["t_ms"]), float(r["x"]) if r["x"] else None, float(r["y"]) if r["y"] else None)
            for r in rows]


@pytest.mark.parametrize("method", METHODS)
def test_golden_fixations(data_dir, method):
    # Expected values: an independent numpy implementation (brute-force I-DT windows,
    # vectorised I-VT speeds), default parameters and DEFAULT_PX_PER_DEG.
    expected = _read_csv(data_dir / f"fixations_{method}.csv")
    found = detect_fixations(_golden_input(data_dir), method)
    assert len(found) == len(expected)
    for f, e in zip(found, expected, strict=True):
        for key in ("start_ms", "end_ms", "duration_ms", "x", "y", "dispersion_deg"):
            assert getattr(f, key) == pytest.approx(float(e[key]), rel=1e-9, abs=1e-9), (key, e)
        assert f.n_samples == int(e["n_samples"])


def test_pursuit_is_one_ivt_fixation_but_several_idt(data_dir):
    # The fixture's 600 ms smooth pursuit (15 deg/s, from ~1.28 s) stays under the
    # I-VT threshold but spreads over 9 deg, more than one I-DT window holds.
    samples = _golden_input(data_dir)
    during = lambda f: 1250 <= f.start_ms and f.end_ms <= 1950  # noqa: E731
    assert sum(map(during, ivt(samples))) == 1
    assert sum(map(during, idt(samples))) >= 3


# --- numpy oracle ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(4))
def test_centroid_and_dispersion_match_numpy(np, method, seed):
    rng = random.Random(100 + seed)
    samples, _ = scanpath(seed, rng.uniform(5, 30))
    ppd = rng.uniform(20, 60)
    # merge_max_angle_deg=0: no merging and no edge samples taken back, so each
    # fixation's samples are exactly the valid ones in [start_ms, end_ms).
    found = detect_fixations(samples, method, ppd, merge_max_angle_deg=0)
    assert found
    t = np.array([s[0] for s in samples])
    x = np.array([np.nan if s[1] is None else s[1] for s in samples])
    y = np.array([np.nan if s[2] is None else s[2] for s in samples])
    for f in found:
        sel = (t >= f.start_ms) & (t < f.end_ms) & ~np.isnan(x)
        assert f.n_samples == int(sel.sum())
        assert f.x == pytest.approx(float(x[sel].mean()), rel=1e-12)
        assert f.y == pytest.approx(float(y[sel].mean()), rel=1e-12)
        dispersion = (np.ptp(x[sel]) + np.ptp(y[sel])) / ppd
        assert f.dispersion_deg == pytest.approx(float(dispersion), rel=1e-12, abs=1e-12)


# --- I-DT against a brute-force implementation (no numpy) -----------------------------------


def _brute_force_idt(samples, ppd, threshold_deg, min_ms):
    """Salvucci & Goldberg I-DT recomputing every window (dispersion: the smaller of
    that of the raw and of the 3-sample-smoothed positions); no gaps, no merging."""
    t = [s[0] for s in samples]
    xs = [s[1] for s in samples]
    ys = [s[2] for s in samples]
    n = len(t)

    def smooth(v):
        if n < 3:
            return list(v)
        return [(v[0] + v[1]) / 2] + [(v[i - 1] + v[i] + v[i + 1]) / 3 for i in range(1, n - 1)] \
            + [(v[-2] + v[-1]) / 2]

    sx, sy = smooth(xs), smooth(ys)

    def end_of(i):
        return t[i + 1] if i + 1 < n else 2 * t[i] - t[i - 1]

    def dispersion(i, j):
        smooth = (max(sx[i:j]) - min(sx[i:j])) + (max(sy[i:j]) - min(sy[i:j]))
        raw = (max(xs[i:j]) - min(xs[i:j])) + (max(ys[i:j]) - min(ys[i:j]))
        return min(smooth, raw)

    out, i = [], 0
    while i < n:
        j = i + 1
        while j < n and end_of(j - 1) - t[i] < min_ms:
            j += 1
        if end_of(j - 1) - t[i] < min_ms:
            break
        if dispersion(i, j) > threshold_deg * ppd:
            i += 1
            continue
        while j < n and dispersion(i, j + 1) <= threshold_deg * ppd:
            j += 1
        wx, wy = xs[i:j], ys[i:j]
        out.append((t[i], end_of(j - 1), sum(wx) / len(wx), sum(wy) / len(wy), j - i))
        i = j
    return out


@pytest.mark.parametrize("seed", range(12))
def test_idt_matches_brute_force(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 250)
    t, x, y, samples = 0.0, 800.0, 500.0, []
    for _ in range(n):
        t += rng.uniform(20, 50)
        if rng.random() < 0.05:  # a saccade
            x, y = rng.uniform(0, 1900), rng.uniform(0, 1000)
        samples.append((t, x + rng.gauss(0, 20), y + rng.gauss(0, 20)))
    threshold, min_ms = rng.uniform(0.5, 6), rng.choice([0.0, 60.0, 100.0, 250.0])
    found = idt(samples, PPD, dispersion_threshold_deg=threshold, min_duration_ms=min_ms,
                max_gap_ms=60, merge_max_angle_deg=0)
    expected = _brute_force_idt(samples, PPD, threshold, min_ms)
    got = [(f.start_ms, f.end_ms, f.x, f.y, f.n_samples) for f in found]
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g[:2] == e[:2] and g[4] == e[4]
        assert g[2] == pytest.approx(e[2], rel=1e-12) and g[3] == pytest.approx(e[3], rel=1e-12)


# --- properties -------------------------------------------------------------------------------


def _random_samples(rng, n):
    t, x, y, out = rng.uniform(0, 1e6), 500.0, 500.0, []
    for _ in range(n):
        t += rng.choice([0.0, rng.uniform(5, 60), rng.uniform(5, 60), rng.uniform(60, 400)])
        r = rng.random()
        if r < 0.08:
            out.append((t, None, None))
            continue
        if r < 0.12:
            x, y = rng.uniform(-100, 2000), rng.uniform(-100, 1200)
        elif r < 0.3:
            x, y = x + rng.gauss(0, 60), y + rng.gauss(0, 60)
        out.append((t, x + rng.gauss(0, 25), y + rng.gauss(0, 25)))
    return out


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("seed", range(10))
def test_output_ordered_non_overlapping_and_consistent(method, seed):
    rng = random.Random(seed)
    samples = _random_samples(rng, rng.randint(0, 600))
    params = {
        "min_duration_ms": rng.choice([0.0, 50.0, 100.0, 200.0]),
        "max_gap_ms": rng.uniform(40, 200),
        "merge_max_gap_ms": rng.uniform(0, 150),
        "merge_max_angle_deg": rng.uniform(0, 3),
    }
    if method == "ivt":
        params["velocity_threshold_deg_s"] = rng.uniform(10, 150)
    else:
        params["dispersion_threshold_deg"] = rng.uniform(0.5, 8)
    ppd = rng.uniform(20, 60)
    found = detect_fixations(samples, method, ppd, **params)
    valid = [s for s in samples if s[1] is not None]
    for k, f in enumerate(found):
        assert isinstance(f, Fixation)
        assert f.start_ms <= f.end_ms and f.duration_ms == f.end_ms - f.start_ms
        assert f.duration_ms >= params["min_duration_ms"]
        assert f.n_samples >= 1 and f.dispersion_deg >= 0
        inside = [s for s in valid if f.start_ms <= s[0] <= f.end_ms]
        assert min(s[1] for s in inside) - 1e-9 <= f.x <= max(s[1] for s in inside) + 1e-9
        assert min(s[2] for s in inside) - 1e-9 <= f.y <= max(s[2] for s in inside) + 1e-9
        if k:
            assert found[k - 1].end_ms <= f.start_ms


@pytest.mark.parametrize("method", METHODS)
def test_sample_forms_are_equivalent(method):
    samples, _ = scanpath(3, 15.0, n_fix=5)
    expected = detect_fixations(samples, method)
    assert expected
    as_objects = [GazeSample(*s) for s in samples]
    as_dicts = [{"t_ms": t, "x": x, "y": y} for t, x, y in samples]
    as_nan = [(t, math.nan, math.nan) if x is None else (t, x, y) for t, x, y in samples]
    for form in (as_objects, as_dicts, as_nan, iter(samples)):
        assert detect_fixations(form, method) == expected


# --- gaps, merging, minimum duration ----------------------------------------------------------


def _still(n, t0=0.0, x=500.0, y=400.0, step=FRAME_MS):
    return [(t0 + i * step, x, y) for i in range(n)]


@pytest.mark.parametrize("method", METHODS)
def test_short_gap_is_bridged_long_gap_splits(method):
    samples = _still(30)
    one = samples[:15] + [(samples[15][0], None, None)] + samples[16:]  # 66.7 ms between valid
    (f,) = detect_fixations(one, method)
    assert (f.start_ms, f.n_samples, f.x, f.y) == (0.0, 29, 500.0, 400.0)
    assert f.end_ms == pytest.approx(30 * FRAME_MS)
    three = samples[:15] + [(s[0], None, None) for s in samples[15:18]] + samples[18:]  # 133 ms
    first, second = detect_fixations(three, method)
    assert first.end_ms == samples[15][0]  # its last frame ends when the blink starts
    assert second.start_ms == samples[18][0]
    (f,) = detect_fixations(three, method, max_gap_ms=150)  # the gap is now short
    assert f.n_samples == 27
    # A gap without null samples (dropped frames, a paused camera) splits too.
    first, second = detect_fixations(samples[:15] + _still(15, samples[14][0] + 200), method)
    assert first.end_ms == pytest.approx(15 * FRAME_MS)  # one frame after its last sample


@pytest.mark.parametrize("method", METHODS)
def test_glitch_splits_and_merge_joins(method):
    # Two wild samples inside a fixation: the pieces around them are merged again,
    # and the glitch stays out of the centroid.
    samples = _still(30)
    for i in (14, 15):
        samples[i] = (samples[i][0], 1400.0, 900.0)
    (f,) = detect_fixations(samples, method)
    assert (f.x, f.y, f.n_samples, f.dispersion_deg) == (500.0, 400.0, 28, 0.0)
    assert f.start_ms == 0.0 and f.end_ms == pytest.approx(30 * FRAME_MS)
    assert len(detect_fixations(samples, method, merge_max_gap_ms=0)) == 2
    samples[16:] = [(t, x + 120.0, y) for t, x, y in samples[16:]]  # 3 deg away
    assert len(detect_fixations(samples, method)) == 2
    assert len(detect_fixations(samples, method, merge_max_angle_deg=3.5)) == 1


@pytest.mark.parametrize("method", METHODS)
def test_min_duration(method):
    # Frames at 500, 1500 (2 frames), 200, 1200 (3 frames), 500: the 2-frame stop
    # (67 ms) is dropped, the 3-frame one (100 ms) kept unless min_duration_ms says.
    places = [(500.0, 10), (1500.0, 2), (200.0, 10), (1200.0, 3), (500.0, 10)]
    samples, t = [], 0.0
    for x, n in places:
        samples += _still(n, t, x=x)
        t += n * FRAME_MS
    found = detect_fixations(samples, method)
    assert [f.x for f in found] == [500.0, 200.0, 1200.0, 500.0]
    assert found[2].duration_ms == pytest.approx(100.0)
    found = detect_fixations(samples, method, min_duration_ms=150)
    assert [f.x for f in found] == [500.0, 200.0, 500.0]


@pytest.mark.parametrize("method", METHODS)
def test_empty_and_null_inputs(method):
    assert detect_fixations([], method) == []
    assert detect_fixations([(0.0, None, None), (33.0, None, None)], method) == []
    (f,) = detect_fixations([(5.0, 10.0, 20.0)], method, min_duration_ms=0)
    assert (f.start_ms, f.end_ms, f.n_samples, f.dispersion_deg) == (5.0, 5.0, 1, 0.0)


def test_ivt_repeated_timestamps():
    samples = _still(10)
    samples.insert(5, samples[5])  # a repeated sample is harmless
    assert len(detect_fixations(samples, "ivt")) == 1


# --- parameters, errors, records ---------------------------------------------------------------


def test_default_px_per_deg():
    expected = 96 / 2.54 * 60 * math.tan(math.radians(1))
    assert DEFAULT_PX_PER_DEG == pytest.approx(expected, rel=1e-12)
    assert DEFAULT_PX_PER_DEG == C.DEFAULT_PX_PER_DEG
    assert 39.5 < DEFAULT_PX_PER_DEG < 39.7


@pytest.mark.parametrize("call, message", [
    (lambda s: detect_fixations(s, "ivx"), "method must be one of ivt, idt, got 'ivx'"),
    (lambda s: detect_fixations(s, "ivt", dispersion_threshold_deg=2),
     "unknown parameter 'dispersion_threshold_deg' for method 'ivt'"),
    (lambda s: detect_fixations(s, "idt", velocity_threshold_deg_s=2),
     "unknown parameter 'velocity_threshold_deg_s' for method 'idt'"),
    (lambda s: detect_fixations(s, "ivt", px_per_deg=0), "px_per_deg must be > 0 px/deg, got 0"),
    (lambda s: detect_fixations(s, "ivt", velocity_threshold_deg_s=-5),
     "velocity_threshold_deg_s must be > 0"),
    (lambda s: detect_fixations(s, "idt", dispersion_threshold_deg=math.nan),
     "dispersion_threshold_deg must be finite"),
    (lambda s: detect_fixations(s, "idt", min_duration_ms=-1),
     "min_duration_ms must be >= 0 ms, got -1"),
    (lambda s: detect_fixations(s, "ivt", max_gap_ms=0), "max_gap_ms must be > 0 ms, got 0"),
    (lambda s: detect_fixations(s, "ivt", merge_max_gap_ms="75"),
     "merge_max_gap_ms must be a number"),
    (lambda s: ivt(s, merge_max_angle_deg=-1), "merge_max_angle_deg must be >= 0 deg, got -1"),
    (lambda s: idt(s + [(10.0, 1.0, 1.0)]),
     r"samples\[3\].t_ms \(10.0\) is less than samples\[2\].t_ms"),
    (lambda s: idt(s + [(100.0, 1.0)]), r"samples\[3\] must be a GazeSample"),
    (lambda s: ivt(s + [(100.0, math.inf, 1.0)]), r"samples\[3\]: x and y must not be infinite"),
])
def test_errors(call, message):
    samples = _still(3)
    with pytest.raises(InputError, match=message):
        call(samples)


def test_fixation_record_round_trip_and_validation():
    f = Fixation(100.0, 400.0, 300.0, 512.5, 384.25, 1.5, 9)
    d = f.to_dict()
    assert d == {"start_ms": 100.0, "end_ms": 400.0, "duration_ms": 300.0, "x": 512.5,
                 "y": 384.25, "dispersion_deg": 1.5, "n_samples": 9}
    assert Fixation.from_dict(d) == f
    for change, message in [
        ({"x": None}, "fixation.x must be a number"),
        ({"end_ms": 50.0}, r"fixation.end_ms \(50.0\) is before fixation.start_ms"),
        ({"dispersion_deg": -0.1}, "fixation.dispersion_deg must be >= 0"),
        ({"n_samples": 0}, "fixation.n_samples must be an integer >= 1"),
    ]:
        with pytest.raises(InputError, match=message):
            Fixation.from_dict({**d, **change})
    with pytest.raises(InputError, match="fixation must be a dict"):
        Fixation.from_dict({"start_ms": 1})
