"""Tests for gazeheat._linalg: the small solvers and regression terms both gaze models use."""

import math
import random

import pytest

from gazeheat._linalg import (cho_solve, cholesky, combine_terms, cross, dot, gauss_solve, gram,
                              parse_term, term_value)
from gazeheat.errors import CalibrationError, InputError

INPUTS = ("u", "v", "w")


def _spd(rng, p):
    """A random symmetric positive definite p x p matrix (rows of floats)."""
    m = [[rng.gauss(0.0, 1.0) for _ in range(p)] for _ in range(p + 3)]
    return [[math.fsum(r[i] * r[j] for r in m) + (0.5 if i == j else 0.0) for j in range(p)] for i in range(p)]


@pytest.mark.parametrize("seed", range(5))
def test_cholesky_solves_like_numpy(np, seed):
    rng = random.Random(seed)
    p = rng.randint(1, 12)
    a = _spd(rng, p)
    b = [rng.uniform(-5, 5) for _ in range(p)]
    low, upper = cholesky(a)
    np.testing.assert_allclose(np.array(low), np.linalg.cholesky(np.array(a)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.array(upper), np.array(low).T)
    np.testing.assert_allclose(cho_solve((low, upper), b), np.linalg.solve(np.array(a), np.array(b)),
                               rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(5))
def test_gauss_solve_like_numpy(np, seed):
    rng = random.Random(100 + seed)
    p = rng.randint(1, 10)
    a = [[rng.uniform(-3, 3) for _ in range(p)] for _ in range(p)]
    b = [rng.uniform(-3, 3) for _ in range(p)]
    expected = np.linalg.solve(np.array(a), np.array(b))
    np.testing.assert_allclose(gauss_solve([r[:] for r in a], b[:]), expected, rtol=1e-8, atol=1e-10)


def test_gram_cross_dot_like_numpy(np):
    rng = random.Random(7)
    cols = [[rng.gauss(0, 1) for _ in range(20)] for _ in range(4)]
    w = [rng.uniform(0.1, 2.0) for _ in range(20)]
    y = [rng.gauss(0, 1) for _ in range(20)]
    x, wv = np.array(cols).T, np.array(w)
    np.testing.assert_allclose(gram(cols, w), x.T @ (wv[:, None] * x), rtol=1e-12)
    np.testing.assert_allclose(cross(cols, w, y), x.T @ (wv * np.array(y)), rtol=1e-12)
    assert dot(w, y) == pytest.approx(float(wv @ np.array(y)), rel=1e-12)


def test_cholesky_names_the_regression_when_singular():
    with pytest.raises(CalibrationError, match=r"appearance regression is singular at column 1"):
        cholesky([[1.0, 1.0], [1.0, 1.0]], "appearance regression")
    with pytest.raises(CalibrationError, match=r"^regression is singular"):
        cholesky([[0.0]])


def test_cho_solve_refuses_non_finite_results():
    with pytest.raises(CalibrationError, match="eye model produced non-finite"):
        cho_solve(([[1.0]], [[1.0]]), [math.inf], "eye model")


def test_gauss_solve_refuses_singular_and_zero_systems():
    with pytest.raises(CalibrationError, match="singular"):
        gauss_solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])
    with pytest.raises(CalibrationError, match="all zeros"):
        gauss_solve([[0.0]], [1.0])


@pytest.mark.parametrize("name, expected", [("1", ()), ("u", (0,)), ("v^2", (1, 1)), ("w^3", (2, 2, 2)),
                                            ("u*v", (0, 1)), ("u^2*w", (0, 0, 2))])
def test_parse_term(name, expected):
    assert parse_term(name, INPUTS) == expected


@pytest.mark.parametrize("name", ["x", "u^4", "u**2", "", "u*", 3])
def test_parse_term_refuses_unknown_terms(name):
    with pytest.raises(InputError, match="bad regression term"):
        parse_term(name, INPUTS)


def test_term_value_and_combine_terms():
    z = (2.0, -3.0, 0.5)
    parsed = [parse_term(t, INPUTS) for t in ("1", "u", "v^2", "u*w")]
    assert [term_value(z, t) for t in parsed] == [1.0, 2.0, 9.0, 1.0]
    assert combine_terms(z, parsed, (1.0, 2.0, 0.5, -4.0)) == pytest.approx(1.0 + 4.0 + 4.5 - 4.0)
