"""Small dense linear algebra in pure Python for the gaze models' fits (private):
polynomial regression terms, products, Gaussian elimination and Cholesky.

Matrices are lists of row lists of floats; systems are tiny (a handful of
regression terms), so clarity wins over cleverness. Dot products use ``math.fsum``
over ``map(mul, ...)``, which runs at C speed and is exact to about one ulp.
"""

from __future__ import annotations

import math
from operator import mul

from .errors import CalibrationError, InputError

__all__ = ["dot", "gram", "cross", "gauss_solve", "cholesky", "cho_solve",
           "parse_term", "term_value", "combine_terms"]


def dot(a, b) -> float:
    """Exactly rounded dot product of two equal-length sequences."""
    return math.fsum(map(mul, a, b))


def gram(columns: list, weights) -> list:
    """``X^T W X`` for the columns of ``X`` (each a sequence of n floats) and n weights."""
    weighted = [tuple(map(mul, c, weights)) for c in columns]
    p = len(columns)
    a = [[0.0] * p for _ in range(p)]
    for i in range(p):
        for j in range(i, p):
            a[i][j] = a[j][i] = dot(weighted[i], columns[j])
    return a


def cross(columns: list, weights, y) -> list:
    """``X^T W y`` for the columns of ``X``, n weights and n values."""
    wy = tuple(map(mul, weights, y))
    return [dot(c, wy) for c in columns]


def gauss_solve(a: list, b: list) -> list:
    """Solve ``a x = b`` by Gaussian elimination with partial pivoting.

    ``a`` (p x p) and ``b`` (p) are modified in place. Raises CalibrationError if
    ``a`` is all zeros, (numerically) singular, or the solution is not finite.
    """
    p = len(b)
    # Pivots below this are treated as zero: rounding noise relative to the matrix.
    tiny = 1e-12 * max(abs(v) for row in a for v in row)
    if tiny == 0.0:
        raise CalibrationError("regression matrix is all zeros")
    for col in range(p):
        pivot = max(range(col, p), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) <= tiny:
            raise CalibrationError(
                f"regression is singular at term {col}: calibration inputs are degenerate "
                "(e.g. the eyes did not move between targets)"
            )
        if pivot != col:
            a[col], a[pivot] = a[pivot], a[col]
            b[col], b[pivot] = b[pivot], b[col]
        head = a[col]
        inv = 1.0 / head[col]
        for r in range(col + 1, p):
            f = a[r][col] * inv
            if f != 0.0:
                row = a[r]
                for c in range(col, p):
                    row[c] -= f * head[c]
                b[r] -= f * b[col]
    x = [0.0] * p
    for r in range(p - 1, -1, -1):
        s = b[r] - math.fsum(a[r][c] * x[c] for c in range(r + 1, p))
        x[r] = s / a[r][r]
    if not all(math.isfinite(v) for v in x):
        raise CalibrationError("regression produced non-finite coefficients")
    return x


def cholesky(a: list, what: str = "regression") -> tuple:
    """``(L, L^T)`` (both as row lists) with ``L L^T = a`` for a symmetric positive
    definite ``a``. Raises CalibrationError, naming ``what``, when a pivot is not
    clearly positive (the regression is degenerate).

    Plain ``sum`` of products, not ``fsum``: the factorisation is run ~70 times per
    appearance calibration and ``sum`` halves its cost; with the ridge penalty the systems are
    well conditioned, so ordinary rounding is far below the data's noise (the tests
    compare with numpy to 1e-9).
    """
    p = len(a)
    tiny = 1e-12 * max(abs(a[i][i]) for i in range(p))
    low = [[0.0] * p for _ in range(p)]
    for j in range(p):
        lj = low[j]
        head = lj[:j]
        d = a[j][j] - sum(map(mul, head, head))
        if not d > tiny:
            raise CalibrationError(f"{what} is singular at column {j}: calibration inputs are "
                                   "degenerate (e.g. the eyes did not move between targets)")
        r = math.sqrt(d)
        lj[j] = r
        inv = 1.0 / r
        aj = a[j]
        for i in range(j + 1, p):
            li = low[i]
            li[j] = (aj[i] - sum(map(mul, li, head))) * inv  # li[j:] is still zero
    return low, [list(c) for c in zip(*low)]


def cho_solve(factor: tuple, b: list, what: str = "regression") -> list:
    """Solve ``L L^T x = b`` given ``cholesky``'s ``(L, L^T)``. Raises CalibrationError,
    naming ``what``, when the solution is not finite."""
    low, upper = factor
    p = len(b)
    y = [0.0] * p
    for i in range(p):
        row = low[i]
        y[i] = (b[i] - sum(map(mul, row, y))) / row[i]  # y[i:] is still zero
    x = [0.0] * p
    for i in range(p - 1, -1, -1):
        row = upper[i]
        x[i] = (y[i] - sum(map(mul, row, x))) / row[i]  # x[:i + 1] is still zero
    if not all(map(math.isfinite, x)):
        raise CalibrationError(f"{what} produced non-finite coefficients")
    return x


def parse_term(name, inputs) -> tuple:
    """Input indices multiplied by a term: ``"1"`` -> (), ``"u^2"`` -> (0, 0),
    ``"u*v"`` -> (0, 1). Raises InputError on anything else."""
    if name == "1":
        return ()
    indices = []
    for part in str(name).split("*"):
        base, _, power = part.partition("^")
        if base not in inputs or power not in ("", "2", "3"):
            raise InputError(f"bad regression term {name!r} (inputs: {', '.join(inputs)})")
        indices += [inputs.index(base)] * (int(power) if power else 1)
    return tuple(indices)


def term_value(z, indices) -> float:
    """The product of ``z``'s values at ``indices`` (a ``parse_term`` result); 1 for ()."""
    value = 1.0
    for i in indices:
        value *= z[i]
    return value


def combine_terms(z, parsed, coef) -> float:
    """Sum of ``coef[k]`` times term ``parsed[k]`` of ``z``."""
    return math.fsum(c * term_value(z, t) for c, t in zip(coef, parsed))
