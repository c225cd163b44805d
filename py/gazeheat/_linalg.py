"""Small dense linear algebra in pure Python for the calibration fit (private).

Matrices are lists of row lists of floats; systems are tiny (a handful of
regression terms), so clarity wins over cleverness. Dot products use ``math.fsum``
over ``map(mul, ...)``, which runs at C speed and is exact to about one ulp.
"""

from __future__ import annotations

import math
from operator import mul

from .errors import CalibrationError

__all__ = ["dot", "gram", "cross", "gauss_solve"]


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
