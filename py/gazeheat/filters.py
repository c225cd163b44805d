"""Smoothing filters for gaze positions.

Every filter is a small class: the constructor validates its parameters (raising
``InputError``, a ``ValueError``, that names the bad value), ``reset()`` forgets
the past and ``update(t_ms, x, y)`` returns the filtered ``(x, y)``.

- ``OneEuroFilter``: speed-adaptive exponential smoothing (the tracker's live filter).
- ``KalmanFilter``: constant-velocity Kalman filter that restarts on saccades.
- ``filter_series``: run either over a list of samples with gaps (re-filtering a
  recorded session).
"""

from __future__ import annotations

import math

from . import _check
from . import constants as C
from .errors import InputError
from .session import GazeSample

__all__ = ["OneEuroFilter", "KalmanFilter", "filter_series"]

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
        t_ms, x, y = _checked(t_ms, x, y)
        last = self._t_ms
        if _restarts(last, t_ms, self.max_gap_ms):
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


class KalmanFilter:
    """Constant-velocity Kalman filter for 2-D points that restarts on saccades.

    State: position (px) and velocity (px/s) per axis. Between samples the
    velocity is disturbed by white-noise acceleration of spectral density
    ``q = accel_psd_px2_s3`` (px^2/s^3, i.e. (px/s^2)^2 per Hz): over a step of
    ``dt`` seconds that adds ``q*dt^3/3`` to the position variance, ``q*dt^2/2`` to
    the position-velocity covariance and ``q*dt`` to the velocity variance, exactly
    for any ``dt``, so irregular frame intervals need no special care. Each
    measurement has independent noise of standard deviation ``measurement_sigma_px``
    on each axis. Larger ``accel_psd_px2_s3`` (or smaller ``measurement_sigma_px``)
    follows faster and smooths less.

    Saccades: a saccade is not a random acceleration, and the filter would smear
    it over many frames. So when the innovation (measurement minus prediction) is
    further than ``jump_sigmas`` standard deviations from zero (2-D Mahalanobis
    distance under the predicted covariance), the filter restarts at the
    measurement, which it returns unchanged; the jump is followed at once.

    Parameters: ``accel_psd_px2_s3`` (> 0), ``measurement_sigma_px`` (> 0),
    ``jump_sigmas`` (> 0, dimensionless), ``max_gap_ms`` (> 0). The defaults suit
    screen px at ~30 Hz (see ``constants``).

    Restarts: the first sample, a sample whose ``t_ms`` is earlier than the previous
    one, a sample more than ``max_gap_ms`` after the previous one and a saccade
    (above) all restart the filter and pass through unchanged: position = the
    measurement (variance ``measurement_sigma_px^2``), velocity 0 (standard deviation
    ``KALMAN_START_SPEED_SIGMA_PX_S``). A sample at the same ``t_ms`` as the
    previous one returns the previous output unchanged.
    """

    def __init__(
        self,
        accel_psd_px2_s3=C.KALMAN_ACCEL_PSD_PX2_S3,
        measurement_sigma_px=C.KALMAN_MEASUREMENT_SIGMA_PX,
        jump_sigmas=C.KALMAN_JUMP_SIGMAS,
        max_gap_ms=C.FILTER_MAX_GAP_MS,
    ):
        """Raises InputError (a ValueError) naming any bad parameter."""
        self.accel_psd_px2_s3 = _check.positive(accel_psd_px2_s3, "accel_psd_px2_s3", " px^2/s^3")
        self.measurement_sigma_px = _check.positive(
            measurement_sigma_px, "measurement_sigma_px", " px")
        self.jump_sigmas = _check.positive(jump_sigmas, "jump_sigmas")
        self.max_gap_ms = _check.positive(max_gap_ms, "max_gap_ms", " ms")
        self._r = self.measurement_sigma_px ** 2
        self._jump2 = self.jump_sigmas ** 2
        self.reset()

    def reset(self) -> None:
        """Forget all state; the next sample passes through unchanged."""
        self._t_ms = None
        self._x = self._y = 0.0
        self._vx = self._vy = 0.0  # px/s
        # With the same noise on both axes and the same time steps, the x and y
        # covariances stay identical, so one symmetric 2x2 [[p_pp, p_pv], [p_pv,
        # p_vv]] (px^2, px^2/s, px^2/s^2) serves both; x and y never correlate.
        self._p_pp = self._p_pv = self._p_vv = 0.0

    def update(self, t_ms, x, y) -> tuple:
        """Filter one sample at time ``t_ms`` (ms); return the filtered ``(x, y)``.

        Raises InputError if any argument is not a finite number.
        """
        t_ms, x, y = _checked(t_ms, x, y)
        last = self._t_ms
        if _restarts(last, t_ms, self.max_gap_ms):
            return self._restart(t_ms, x, y)
        if t_ms == last:
            return self._x, self._y
        dt = (t_ms - last) * 1e-3
        q = self.accel_psd_px2_s3
        # Predict: x += v dt; P = F P F' + Q.
        px = self._x + dt * self._vx
        py = self._y + dt * self._vy
        p_pp = self._p_pp + dt * (2.0 * self._p_pv + dt * self._p_vv) + q * dt * dt * dt / 3.0
        p_pv = self._p_pv + dt * self._p_vv + 0.5 * q * dt * dt
        p_vv = self._p_vv + q * dt
        # Innovation e and its covariance S = s * I (the same s on both axes), so
        # the squared Mahalanobis distance is |e|^2 / s.
        ex = x - px
        ey = y - py
        s = p_pp + self._r
        if ex * ex + ey * ey > self._jump2 * s:
            return self._restart(t_ms, x, y)
        k_p = p_pp / s
        k_v = p_pv / s
        self._x = px + k_p * ex
        self._y = py + k_p * ey
        self._vx += k_v * ex
        self._vy += k_v * ey
        # P = (I - K H) P, written out for the 2x2 block.
        self._p_pp = p_pp * (1.0 - k_p)
        self._p_pv = p_pv * (1.0 - k_p)
        self._p_vv = p_vv - k_v * p_pv
        self._t_ms = t_ms
        return self._x, self._y

    def _restart(self, t_ms: float, x: float, y: float) -> tuple:
        self.reset()
        self._t_ms, self._x, self._y = t_ms, x, y
        self._p_pp = self._r
        self._p_vv = C.KALMAN_START_SPEED_SIGMA_PX_S ** 2
        return x, y


def filter_series(filt, samples) -> list:
    """Run a filter over recorded samples; return one ``GazeSample`` per sample.

    ``filt``: any filter of this module (an object with ``reset()`` and
    ``update(t_ms, x, y)``); it is reset first, so the result depends only on
    ``samples``, and is left holding the state after the last sample.
    ``samples``: an iterable of ``GazeSample``, ``{"t_ms", "x", "y"}`` dicts or
    ``(t_ms, x, y)`` sequences, times in ms, positions in CSS px. A sample whose x
    or y is None or NaN is a gap: it comes out as ``GazeSample(t_ms, None, None)``
    and the filter is reset, so the next valid sample starts afresh (as the live
    tracker does when the face is lost). Output times are the input times.

    Raises InputError naming the sample (``samples[i]``) if one is not of those
    forms, has a non-finite time or an infinite or non-numeric coordinate.
    """
    filt.reset()
    out = []
    append = out.append
    update = filt.update
    for i, sample in enumerate(samples):
        t, x, y = _sample_values(sample, i)
        if x is None:
            filt.reset()
            append(GazeSample(t, None, None))
        else:
            fx, fy = update(t, x, y)
            append(GazeSample(t, fx, fy))
    return out


def _sample_values(sample, index: int) -> tuple:
    """``(t_ms, x, y)`` of one sample as floats, with ``x = y = None`` for a gap.

    Shared with ``fixations``. Accepts a ``GazeSample``, a dict with ``t_ms``, ``x``
    and ``y``, or a 3-sequence; a gap is x or y None or NaN. Raises InputError
    naming ``samples[index]`` otherwise (non-finite time, infinite coordinate).
    """
    if isinstance(sample, GazeSample):
        t, x, y = sample.t_ms, sample.x, sample.y
    elif isinstance(sample, dict):
        try:
            t, x, y = sample["t_ms"], sample["x"], sample["y"]
        except KeyError as exc:
            raise InputError(f"samples[{index}] is missing {exc.args[0]}") from None
    else:
        try:
            t, x, y = sample
        except (TypeError, ValueError):
            raise InputError(
                f"samples[{index}] must be a GazeSample, a dict or a (t_ms, x, y) "
                f"sequence, got {sample!r}"
            ) from None
    if not (_check.is_number(t) and math.isfinite(t)):
        raise InputError(f"samples[{index}].t_ms must be a finite number, got {t!r}")
    if x is None or y is None:
        return float(t), None, None
    if not (_check.is_number(x) and _check.is_number(y)):
        raise InputError(f"samples[{index}]: x and y must be numbers or None, got {x!r}, {y!r}")
    x, y = float(x), float(y)
    if x != x or y != y:  # NaN marks a gap, as in the tracker's recording
        return float(t), None, None
    if math.isinf(x) or math.isinf(y):
        raise InputError(f"samples[{index}]: x and y must not be infinite, got {x!r}, {y!r}")
    return float(t), x, y


def _alpha(cutoff_hz: float, dt_s: float) -> float:
    return 1.0 / (1.0 + 1.0 / (_TWO_PI * cutoff_hz * dt_s))


def _checked(t_ms, x, y) -> tuple:
    """``(t_ms, x, y)`` as finite floats; InputError naming the first that is not."""
    return _check.finite(t_ms, "t_ms"), _check.finite(x, "x"), _check.finite(y, "y")


def _restarts(last_ms, t_ms, max_gap_ms) -> bool:
    """A filter starts afresh on its first sample, when time goes back, or after a gap
    longer than ``max_gap_ms`` (old state would drag the dot across the gap)."""
    return last_ms is None or t_ms < last_ms or t_ms - last_ms > max_gap_ms
