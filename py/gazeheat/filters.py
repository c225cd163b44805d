"""Smoothing filters for gaze positions.

Every filter is a small class: the constructor validates its parameters (raising
``InputError``, a ``ValueError``, that names the bad value), ``reset()`` forgets
the past and ``update(t_ms, x, y)`` returns the filtered ``(x, y)``.
"""

from __future__ import annotations

import math

from . import _check
from . import constants as C

__all__ = ["OneEuroFilter"]

_TWO_PI = 2.0 * math.pi


class OneEuroFilter:
    """Speed-adaptive low-pass filter for 2-D points (Casiez et al., CHI 2012).

    Each update low-passes the position with an exponential smoother whose cutoff
    frequency rises with the filtered speed: ``cutoff_hz = min_cutoff + beta *
    speed``. Slow movement (fixation jitter) is smoothed hard, fast movement
    (saccades) passes with little lag. The smoothing factor for a time step ``dt``
    (s) and cutoff ``fc`` (Hz) is ``alpha = 1 / (1 + tau / dt)`` with
    ``tau = 1 / (2 pi fc)``, so irregular frame intervals are handled exactly.

    x and y share the timing and one cutoff: ``speed`` is the length of the 2-D
    velocity (px/s, itself low-passed at ``d_cutoff`` Hz), because a saccade is one
    movement and per-axis cutoffs would bend its direction.

    Parameters: ``min_cutoff`` (Hz, > 0), ``beta`` (1/px, >= 0; the cutoff gains
    ``beta`` Hz per px/s), ``d_cutoff`` (Hz, > 0), ``max_gap_ms`` (> 0). The defaults
    suit screen px at ~30 Hz (see ``constants``).

    Restarts: the first sample, a sample whose ``t_ms`` is earlier than the previous
    one, and a sample more than ``max_gap_ms`` after the previous one all reset the
    filter and pass through unchanged. A sample at the same ``t_ms`` as the previous
    one carries no timing information and returns the previous output unchanged.
    """

    def __init__(
        self,
        min_cutoff=C.ONE_EURO_MIN_CUTOFF_HZ,
        beta=C.ONE_EURO_BETA,
        d_cutoff=C.ONE_EURO_D_CUTOFF_HZ,
        max_gap_ms=C.FILTER_MAX_GAP_MS,
    ):
        """Raises InputError (a ValueError) naming any bad parameter."""
        self.min_cutoff = _check.positive(min_cutoff, "min_cutoff", " Hz")
        self.beta = _check.non_negative(beta, "beta")
        self.d_cutoff = _check.positive(d_cutoff, "d_cutoff", " Hz")
        self.max_gap_ms = _check.positive(max_gap_ms, "max_gap_ms", " ms")
        self.reset()

    def reset(self) -> None:
        """Forget all state; the next sample passes through unchanged."""
        self._t_ms = None
        self._x = self._y = 0.0
        self._dx = self._dy = 0.0  # filtered velocity, px/s

    def update(self, t_ms, x, y) -> tuple:
        """Filter one sample at time ``t_ms`` (ms); return the filtered ``(x, y)``.

        Raises InputError if any argument is not a finite number.
        """
        t_ms = _check.finite(t_ms, "t_ms")
        x = _check.finite(x, "x")
        y = _check.finite(y, "y")
        last = self._t_ms
        if last is None or t_ms < last or t_ms - last > self.max_gap_ms:
            self.reset()
            self._t_ms, self._x, self._y = t_ms, x, y
            return x, y
        if t_ms == last:
            return self._x, self._y
        dt = (t_ms - last) * 1e-3
        a_d = _alpha(self.d_cutoff, dt)
        self._dx += a_d * ((x - self._x) / dt - self._dx)
        self._dy += a_d * ((y - self._y) / dt - self._dy)
        a = _alpha(self.min_cutoff + self.beta * math.hypot(self._dx, self._dy), dt)
        # "prev + a * (new - prev)" keeps a constant input exactly constant.
        self._x += a * (x - self._x)
        self._y += a * (y - self._y)
        self._t_ms = t_ms
        return self._x, self._y


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    return 1.0 / (1.0 + 1.0 / (_TWO_PI * cutoff_hz * dt_s))
