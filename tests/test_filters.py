"""gazeheat.filters: the One Euro filter."""

import csv
import math
import random

import pytest

from gazeheat.errors import InputError
from gazeheat.filters import OneEuroFilter


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
