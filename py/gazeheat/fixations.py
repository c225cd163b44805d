"""Fixation detection in webcam gaze samples: I-VT (velocity) and I-DT (dispersion).

Input: samples ``(t_ms, x, y)`` in time order (``GazeSample``, ``{"t_ms", "x",
"y"}`` dicts or 3-sequences), positions in viewport CSS px, x and y None (or NaN)
where there was no valid gaze. Output: ``Fixation`` records in time order, not
overlapping. ``detect_fixations`` is the entry point; ``ivt`` and ``idt`` are the
two methods.

Angles. Thresholds are visual angles in degrees, samples are CSS px; the
conversion is ``px_per_deg``, the CSS px spanning one degree at the screen centre::

    px_per_deg = px_per_cm * viewing_distance_cm * tan(1 deg)

where ``px_per_cm`` is CSS px per cm of the physical screen (CSS defines 96 px per
inch, 37.8 px/cm, but browser zoom and OS scaling change it: measure it, e.g. with
a credit card, 8.56 cm wide, resized on screen). ``DEFAULT_PX_PER_DEG`` (~39.6)
assumes 96 px per inch and 60 cm, a typical laptop.

Gaps. Where consecutive valid samples are at most ``max_gap_ms`` apart, the missing
samples between them (a dropped frame) are filled by linear interpolation for
detection only: they never count in a fixation's centroid, dispersion or
``n_samples``. A longer gap (a blink, the face lost) ends any fixation, and no
fixation is merged across it. ``max_gap_ms`` must therefore exceed the frame
interval (33 ms at 30 Hz).

Timing. A sample stands for its frame, which lasts until the next sample: a
fixation starts at the time of its first valid sample and ends at the time of the
next sample after its last valid one (or, at the end of the data or before a long
gap, one frame interval after it). So 3 frames at 30 Hz last 100 ms.

Post-processing, in this order. (1) Edges: a jump between two frames also flags
the samples either side of it (the last at the old place, the first at the new
one); each detected run takes back one valid neighbour per side if it lies within
``merge_max_angle_deg`` of the run's centroid. (2) Merging, as in Tobii's I-VT
filter: adjacent fixations are merged when the time between them is at most
``merge_max_gap_ms`` and their centroids are at most ``merge_max_angle_deg`` apart
(noise split them); the merged fixation spans both in time, but its centroid,
dispersion and ``n_samples`` come from their samples only, not from the outlying
samples between. (3) Fixations shorter than ``min_duration_ms`` are discarded.

Noise. Both detectors look at the positions twice, raw and smoothed by a centred
3-sample moving average, and take the more lenient reading: the smoothed positions
make jitter look ~1.7 times smaller, the raw ones keep the smoothing from blurring
a saccade into the fixations on either side (so fixations of 3 frames survive).

Default parameters, and why (values in ``constants``). Tobii's defaults (velocity
threshold 30 deg/s, merge within 75 ms and 0.5 deg, discard under 60 ms) are made
for infrared trackers at 60-1200 Hz with ~0.1-0.3 deg of noise. Webcam gaze comes
at ~30 Hz and jitters by ~1-2 deg, so:

- I-VT threshold 50 deg/s, not 30: at 30 Hz, 1 deg of jitter between frames is
  already ~30 deg/s of apparent velocity (1 deg / 33 ms). Speeds are taken across
  two frame intervals (sample i-1 to i+1); on the smoothed positions 1 deg of
  jitter gives ~10 deg/s per axis and a saccade of A deg between two frames peaks
  at ~10*A deg/s, so 50 deg/s catches saccades over ~5 deg (about what webcam gaze
  resolves) while 1 deg of jitter crosses it in well under 1 % of samples.
- I-DT dispersion threshold 4 deg, not Salvucci & Goldberg's ~1 deg: the (max -
  min) x + (max - min) y of 10-20 samples with 1 deg of jitter is 6-7.5 deg raw
  and 3-4 deg smoothed. (The reported ``dispersion_deg`` is that of the raw
  samples.) Windows still close early on noise peaks; merging joins most pieces
  again. I-DT is the more noise-sensitive method: prefer I-VT (the default) when
  the jitter reaches ~1 deg.
- Minimum duration 90 ms, not 60 ms: 60 ms is under two frames at 30 Hz, so one or
  two noisy samples would make a "fixation". Three frames (nominally 100 ms) are
  the least kept; 90 rather than 100 so that frame-time jitter does not drop them
  at random, while two frames (~67 ms) stay out.
- Merge within 75 ms (two frames, e.g. one or two noisy samples taken for a
  saccade) and 2 deg, not 0.5 deg: two pieces of one fixation with 1 deg of jitter
  have centroids up to ~1.5 deg apart; and neither detector separates fixations
  that close anyway (I-VT misses saccades under ~5 deg, an I-DT window spans
  4 deg), so merging at 2 deg loses nothing they resolve.
- Gaps up to 75 ms bridged: one dropped frame at 30 Hz (66.7 ms between valid
  samples), while a blink (100-400 ms) splits.

On synthetic 30 Hz scanpaths (18 fixations 6+ deg apart, 250-700 ms, with blinks
and dropped frames), these defaults find exactly the true fixations in all of 40
scanpaths at 0.5 and 0.7 deg of jitter per axis; at 1 deg, I-VT in 39 of 40 and
I-DT in 28 (it splits fixations).
"""

from __future__ import annotations

import math
from array import array
from collections import deque
from dataclasses import dataclass

from . import _check
from . import constants as C
from .errors import InputError
from .filters import _sample_values

__all__ = [
    "Fixation",
    "as_fixations",
    "METHODS",
    "DEFAULT_PX_PER_DEG",
    "detect_fixations",
    "ivt",
    "idt",
]

#: The detection methods ``detect_fixations`` knows.
METHODS = ("ivt", "idt")
#: CSS px per degree of visual angle for a typical laptop (96 px/inch, 60 cm).
DEFAULT_PX_PER_DEG = C.DEFAULT_PX_PER_DEG

_NAN = math.nan
# A jump between frames i and i+1 makes both samples look fast (the speed at a
# sample spans its two neighbours), though i is still at the old place and i+1
# already at the new one; so each detected run takes back up to this many
# neighbouring valid samples per side that lie within merge_max_angle_deg (the
# "same place" radius) of its centroid.
_EDGE_SAMPLES = 1


@dataclass(frozen=True)
class Fixation:
    """One fixation: time span (ms), centroid (viewport CSS px), spread (degrees).

    ``start_ms``: time of its first valid sample; ``end_ms``: end of its last
    sample's frame (see the module docstring); ``duration_ms = end_ms - start_ms``.
    ``x``, ``y``: mean position of its valid samples. ``dispersion_deg``: (max x -
    min x) + (max y - min y) of those samples, in degrees. ``n_samples``: how many
    valid samples (interpolated ones excluded).
    """

    start_ms: float
    end_ms: float
    duration_ms: float
    x: float
    y: float
    dispersion_deg: float
    n_samples: int

    def to_dict(self) -> dict:
        return {
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
            "duration_ms": self.duration_ms,
            "x": self.x,
            "y": self.y,
            "dispersion_deg": self.dispersion_deg,
            "n_samples": self.n_samples,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Fixation:
        """Raises InputError on a missing key, a non-finite number, ``end_ms <
        start_ms``, a negative dispersion or ``n_samples`` < 1."""
        keys = ("start_ms", "end_ms", "duration_ms", "x", "y", "dispersion_deg", "n_samples")
        if not isinstance(d, dict) or any(k not in d for k in keys):
            raise InputError(f"fixation must be a dict with {', '.join(keys)}, got {d!r}")
        start = _check.finite(d["start_ms"], "fixation.start_ms")
        end = _check.finite(d["end_ms"], "fixation.end_ms")
        if end < start:
            raise InputError(f"fixation.end_ms ({end}) is before fixation.start_ms ({start})")
        return cls(
            start,
            end,
            _check.non_negative(d["duration_ms"], "fixation.duration_ms", " ms"),
            _check.finite(d["x"], "fixation.x"),
            _check.finite(d["y"], "fixation.y"),
            _check.non_negative(d["dispersion_deg"], "fixation.dispersion_deg", " deg"),
            _check.positive_int(d["n_samples"], "fixation.n_samples"),
        )


def as_fixations(items) -> list:
    """``Fixation`` records from records or their dicts (as sessions store them).
    Raises InputError naming the first bad one, e.g. ``fixations[3]: ...``."""
    records = []
    for i, f in enumerate(items):
        if not isinstance(f, Fixation):
            try:
                f = Fixation.from_dict(f)
            except InputError as exc:
                raise InputError(f"fixations[{i}]: {exc}") from None
        records.append(f)
    return records


def detect_fixations(samples, method="ivt", px_per_deg=DEFAULT_PX_PER_DEG, **params) -> list:
    """Fixations in ``samples`` by ``method`` (``"ivt"`` or ``"idt"``).

    ``params``: the keyword parameters of ``ivt`` or ``idt`` (defaults in
    ``constants``). Returns a list of ``Fixation`` in time order. Raises InputError
    on an unknown method or parameter name, a bad parameter value, a malformed
    sample or time going backwards.
    """
    if method == "ivt":
        function, names = ivt, _IVT_PARAMS
    elif method == "idt":
        function, names = idt, _IDT_PARAMS
    else:
        raise InputError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    for name in params:
        if name not in names:
            raise InputError(
                f"unknown parameter {name!r} for method {method!r} (known: {', '.join(names)})"
            )
    return function(samples, px_per_deg, **params)


def ivt(
    samples,
    px_per_deg=DEFAULT_PX_PER_DEG,
    *,
    velocity_threshold_deg_s=C.IVT_VELOCITY_THRESHOLD_DEG_S,
    min_duration_ms=C.FIXATION_MIN_DURATION_MS,
    max_gap_ms=C.FIXATION_MAX_GAP_MS,
    merge_max_gap_ms=C.FIXATION_MERGE_MAX_GAP_MS,
    merge_max_angle_deg=C.FIXATION_MERGE_MAX_ANGLE_DEG,
) -> list:
    """Velocity-threshold fixations (I-VT); returns a list of ``Fixation``.

    Each sample's speed is the distance between its two neighbours over their time
    difference (one-sided at the ends of a stretch without long gaps), the smaller
    of that on the raw and on the 3-sample-smoothed positions (see the module
    docstring); samples at or below ``velocity_threshold_deg_s`` (deg/s, > 0) are
    fixation samples, and each run of them is a fixation candidate. Then edges,
    merging and the minimum duration (see the module docstring). ``px_per_deg`` > 0;
    ``min_duration_ms``, ``merge_max_gap_ms``, ``merge_max_angle_deg`` >= 0;
    ``max_gap_ms`` > 0.

    Raises InputError on a bad parameter, a malformed sample or time going back.
    """
    ppd = _check.positive(px_per_deg, "px_per_deg", " px/deg")
    threshold = _check.positive(velocity_threshold_deg_s, "velocity_threshold_deg_s", " deg/s")
    post = _PostProcess(ppd, min_duration_ms, merge_max_gap_ms, merge_max_angle_deg)
    series = _Series(samples, max_gap_ms)
    # Compare squared speeds in px/ms: no square root per sample.
    limit2 = (threshold * ppd * 1e-3) ** 2
    t = series.t
    runs = []
    bx, by = series.bx, series.by
    for lo, hi in series.stretches:
        sx, sy = _smooth3(bx, by, lo, hi)
        start = -1
        for i in range(lo, hi + 1):
            a = i - 1 if i > lo else i
            b = i + 1 if i < hi else i
            span = t[b] - t[a]
            dx = sx[b - lo] - sx[a - lo]
            dy = sy[b - lo] - sy[a - lo]
            ex = bx[b] - bx[a]
            ey = by[b] - by[a]
            d2 = min(dx * dx + dy * dy, ex * ex + ey * ey)
            # A zero time span (repeated timestamps) measures no speed: still unless
            # the position changed, which is then treated as a jump.
            slow = d2 <= limit2 * span * span if span > 0.0 else d2 == 0.0
            if slow:
                if start < 0:
                    start = i
            elif start >= 0:
                runs.append((start, i - 1))
                start = -1
        if start >= 0:
            runs.append((start, hi))
    return post.finish(series, runs)


def idt(
    samples,
    px_per_deg=DEFAULT_PX_PER_DEG,
    *,
    dispersion_threshold_deg=C.IDT_DISPERSION_THRESHOLD_DEG,
    min_duration_ms=C.FIXATION_MIN_DURATION_MS,
    max_gap_ms=C.FIXATION_MAX_GAP_MS,
    merge_max_gap_ms=C.FIXATION_MERGE_MAX_GAP_MS,
    merge_max_angle_deg=C.FIXATION_MERGE_MAX_ANGLE_DEG,
) -> list:
    """Dispersion-threshold fixations (I-DT, Salvucci & Goldberg 2000); returns a
    list of ``Fixation``.

    Dispersion = (max x - min x) + (max y - min y) of a window of samples, in
    degrees, the smaller of that of the raw and of the 3-sample-smoothed positions
    (see the module docstring). A window
    starts as the fewest samples covering ``min_duration_ms``; if its dispersion
    exceeds ``dispersion_threshold_deg`` (> 0) its first sample is dropped and the
    window regrown, otherwise it grows while the dispersion stays within the
    threshold and becomes a fixation candidate, and the next window starts after
    it. Window minima and maxima come from monotonic deques, so the whole pass is
    O(n). Then edges, merging and the minimum duration (see the module docstring);
    other parameters as in ``ivt``.

    Raises InputError on a bad parameter, a malformed sample or time going back.
    """
    ppd = _check.positive(px_per_deg, "px_per_deg", " px/deg")
    threshold = _check.positive(dispersion_threshold_deg, "dispersion_threshold_deg", " deg")
    post = _PostProcess(ppd, min_duration_ms, merge_max_gap_ms, merge_max_angle_deg)
    series = _Series(samples, max_gap_ms)
    limit = threshold * ppd
    min_ms = post.min_duration_ms
    t = series.t
    frame_end = series.frame_end
    runs = []
    for lo, hi in series.stretches:
        sx, sy = _smooth3(series.bx, series.by, lo, hi)
        # Window = samples [i, j) of the stretch (offsets from lo), with running
        # extremes of the raw and of the smoothed positions.
        raw = (_Extremes(series.bx[lo:hi + 1]), _Extremes(series.by[lo:hi + 1]))
        smooth = (_Extremes(sx), _Extremes(sy))
        both = raw + smooth
        n = hi - lo + 1
        i = j = 0
        while i < n:
            while j < n and (j == i or frame_end(lo + j - 1) - t[lo + i] < min_ms):
                for e in both:
                    e.push(j)
                j += 1
            if frame_end(lo + j - 1) - t[lo + i] < min_ms:
                break  # the rest of the stretch is too short for a fixation
            if min(raw[0].span() + raw[1].span(), smooth[0].span() + smooth[1].span()) > limit:
                i += 1
                for e in both:
                    e.drop_before(i)
                continue
            while j < n and min(raw[0].span_with(j) + raw[1].span_with(j),
                                smooth[0].span_with(j) + smooth[1].span_with(j)) <= limit:
                for e in both:
                    e.push(j)
                j += 1
            runs.append((lo + i, lo + j - 1))
            i = j
            for e in both:
                e.clear()
    return post.finish(series, runs)


_IVT_PARAMS = ("velocity_threshold_deg_s", "min_duration_ms", "max_gap_ms",
               "merge_max_gap_ms", "merge_max_angle_deg")
_IDT_PARAMS = ("dispersion_threshold_deg", "min_duration_ms", "max_gap_ms",
               "merge_max_gap_ms", "merge_max_angle_deg")


# --- private helpers ---------------------------------------------------------------


class _Series:
    """Samples as arrays, with short gaps bridged and long ones marking stretches.

    ``t``, ``x``, ``y``: the input (x, y NaN at gaps). ``bx``, ``by``: the same with
    samples inside short gaps interpolated (for detection). ``stretches``: inclusive
    index ranges ``(lo, hi)``, each from a valid sample to a valid sample, with no
    two consecutive valid samples more than ``max_gap_ms`` apart inside.
    """

    def __init__(self, samples, max_gap_ms):
        self.max_gap_ms = gap = _check.positive(max_gap_ms, "max_gap_ms", " ms")
        t, x, y = array("d"), array("d"), array("d")
        last_t = -math.inf
        for i, sample in enumerate(samples):
            ts, xs, ys = _sample_values(sample, i)
            if ts < last_t:
                raise InputError(
                    f"samples[{i}].t_ms ({ts}) is less than samples[{i - 1}].t_ms ({last_t}); "
                    "times must not decrease"
                )
            last_t = ts
            t.append(ts)
            if xs is None:
                x.append(_NAN)
                y.append(_NAN)
            else:
                x.append(xs)
                y.append(ys)
        self.t, self.x, self.y = t, x, y
        bx, by = array("d", x), array("d", y)
        stretches = []
        lo = prev = -1  # current stretch start, last valid sample
        for i in range(len(t)):
            if x[i] != x[i]:
                continue
            if prev < 0 or t[i] - t[prev] > gap:
                if prev >= 0:
                    stretches.append((lo, prev))
                lo = i
            elif i - prev > 1:
                # Bridge the short gap (prev, i) linearly in time.
                span = t[i] - t[prev]
                for k in range(prev + 1, i):
                    f = (t[k] - t[prev]) / span if span > 0.0 else 0.0
                    bx[k] = x[prev] + f * (x[i] - x[prev])
                    by[k] = y[prev] + f * (y[i] - y[prev])
            prev = i
        if prev >= 0:
            stretches.append((lo, prev))
        self.bx, self.by, self.stretches = bx, by, stretches

    def frame_end(self, i: int) -> float:
        """End of sample i's frame: the next sample's time, if within max_gap_ms;
        else one previous frame interval (if within max_gap_ms) after t[i]."""
        t = self.t
        if i + 1 < len(t) and t[i + 1] - t[i] <= self.max_gap_ms:
            return t[i + 1]
        if i > 0 and t[i] - t[i - 1] <= self.max_gap_ms:
            return t[i] + (t[i] - t[i - 1])
        return t[i]


class _Stats:
    """Running sums, minima and maxima of the valid samples of an index range."""

    __slots__ = ("n", "sx", "sy", "x0", "x1", "y0", "y1", "first", "last")

    def __init__(self):
        self.n = 0
        self.sx = self.sy = 0.0
        self.x0 = self.y0 = math.inf
        self.x1 = self.y1 = -math.inf
        self.first = self.last = -1

    def add_range(self, x, y, a: int, b: int) -> None:
        """Add the valid samples a..b (inclusive)."""
        for i in range(a, b + 1):
            xi = x[i]
            if xi != xi:
                continue
            yi = y[i]
            self.n += 1
            self.sx += xi
            self.sy += yi
            if xi < self.x0:
                self.x0 = xi
            if xi > self.x1:
                self.x1 = xi
            if yi < self.y0:
                self.y0 = yi
            if yi > self.y1:
                self.y1 = yi
            if self.first < 0:
                self.first = i
            self.last = i

    def add(self, later: _Stats) -> None:
        """Add the samples of another range that comes after this one."""
        self.n += later.n
        self.sx += later.sx
        self.sy += later.sy
        self.x0 = min(self.x0, later.x0)
        self.x1 = max(self.x1, later.x1)
        self.y0 = min(self.y0, later.y0)
        self.y1 = max(self.y1, later.y1)
        self.last = later.last


class _PostProcess:
    """Candidate runs -> Fixation records: edges, statistics, merging, minimum duration."""

    def __init__(self, ppd, min_duration_ms, merge_max_gap_ms, merge_max_angle_deg):
        self.ppd = ppd
        self.min_duration_ms = _check.non_negative(min_duration_ms, "min_duration_ms", " ms")
        self.merge_max_gap_ms = _check.non_negative(merge_max_gap_ms, "merge_max_gap_ms", " ms")
        self.merge_max_angle_deg = _check.non_negative(
            merge_max_angle_deg, "merge_max_angle_deg", " deg")

    def finish(self, series: _Series, runs: list) -> list:
        """``runs``: inclusive index ranges in time order, each inside one stretch."""
        x, y, t = series.x, series.y, series.t
        stretch_of = _stretch_index(series.stretches, runs)
        merge_px = self.merge_max_angle_deg * self.ppd
        runs = _grow_runs(series, runs, stretch_of, merge_px)
        merged = []  # (stats, stretch index)
        for (a, b), k in zip(runs, stretch_of, strict=True):
            stats = _Stats()
            stats.add_range(x, y, a, b)
            if stats.n == 0:
                continue
            if merged and merged[-1][1] == k:
                prev = merged[-1][0]
                gap_ms = t[stats.first] - series.frame_end(prev.last)
                dx = stats.sx / stats.n - prev.sx / prev.n
                dy = stats.sy / stats.n - prev.sy / prev.n
                if gap_ms <= self.merge_max_gap_ms and math.hypot(dx, dy) <= merge_px:
                    # The merged fixation spans the samples between the two in time,
                    # but they were too fast or too far out to be fixation samples,
                    # so they stay out of its centroid and dispersion.
                    prev.add(stats)
                    continue
            merged.append((stats, k))
        out = []
        for stats, _ in merged:
            start = t[stats.first]
            end = series.frame_end(stats.last)
            if end - start < self.min_duration_ms:
                continue
            out.append(Fixation(
                start_ms=start,
                end_ms=end,
                duration_ms=end - start,
                x=stats.sx / stats.n,
                y=stats.sy / stats.n,
                dispersion_deg=((stats.x1 - stats.x0) + (stats.y1 - stats.y0)) / self.ppd,
                n_samples=stats.n,
            ))
        return out


def _grow_runs(series: _Series, runs: list, stretch_of: list, radius_px: float) -> list:
    """Give each run up to ``_EDGE_SAMPLES`` valid neighbours on each side that lie
    within ``radius_px`` of its centroid (not crossing a long gap or another run;
    bridged samples between are passed over). See ``_EDGE_SAMPLES``."""
    x, y = series.x, series.y
    r2 = radius_px * radius_px
    out = []
    for m, ((a, b), k) in enumerate(zip(runs, stretch_of, strict=True)):
        n, sx, sy = 0, 0.0, 0.0
        for i in range(a, b + 1):
            if x[i] == x[i]:
                n += 1
                sx += x[i]
                sy += y[i]
        if n:
            cx, cy = sx / n, sy / n
            lo, hi = series.stretches[k]
            floor = max(lo, out[-1][1] + 1) if out else lo
            ceiling = min(hi, runs[m + 1][0] - 1) if m + 1 < len(runs) else hi
            for step in (-1, 1):
                edge = a if step < 0 else b
                j, taken = edge + step, 0
                while taken < _EDGE_SAMPLES and floor <= j <= ceiling:
                    if x[j] == x[j]:
                        if (x[j] - cx) ** 2 + (y[j] - cy) ** 2 > r2:
                            break
                        edge = j
                        taken += 1
                    j += step
                if step < 0:
                    a = edge
                else:
                    b = edge
        out.append((a, b))
    return out


def _stretch_index(stretches: list, runs: list) -> list:
    """For each run (in order), the index of the stretch that contains it."""
    out, k = [], 0
    for a, _ in runs:
        while stretches[k][1] < a:
            k += 1
        out.append(k)
    return out


def _smooth3(bx, by, lo: int, hi: int) -> tuple:
    """Centred 3-sample moving average of bx, by over lo..hi (2 samples at the
    ends); returned arrays are indexed from 0 = lo."""
    n = hi - lo + 1
    if n < 3:
        return array("d", bx[lo:hi + 1]), array("d", by[lo:hi + 1])
    third = 1.0 / 3.0
    sx, sy = array("d", bytes(8 * n)), array("d", bytes(8 * n))
    sx[0] = 0.5 * (bx[lo] + bx[lo + 1])
    sy[0] = 0.5 * (by[lo] + by[lo + 1])
    for k in range(1, n - 1):
        i = lo + k
        sx[k] = (bx[i - 1] + bx[i] + bx[i + 1]) * third
        sy[k] = (by[i - 1] + by[i] + by[i + 1]) * third
    sx[n - 1] = 0.5 * (bx[hi - 1] + bx[hi])
    sy[n - 1] = 0.5 * (by[hi - 1] + by[hi])
    return sx, sy


class _Extremes:
    """Maximum and minimum of ``values[i:j]`` for a window whose ends only move
    forward: each deque holds the offsets that can still become the window's
    extreme, their values monotonic from the front, so the front is the extreme and
    every offset is pushed and popped once (amortised O(1))."""

    __slots__ = ("values", "high", "low")

    def __init__(self, values):
        self.values = values
        self.high = deque()
        self.low = deque()

    def push(self, j: int) -> None:
        values, high, low = self.values, self.high, self.low
        v = values[j]
        while high and values[high[-1]] <= v:
            high.pop()
        high.append(j)
        while low and values[low[-1]] >= v:
            low.pop()
        low.append(j)

    def drop_before(self, i: int) -> None:
        """The window start moved from i - 1 to i."""
        if self.high[0] < i:
            self.high.popleft()
        if self.low[0] < i:
            self.low.popleft()

    def clear(self) -> None:
        self.high.clear()
        self.low.clear()

    def span(self) -> float:
        return self.values[self.high[0]] - self.values[self.low[0]]

    def span_with(self, j: int) -> float:
        """The span if value j were added."""
        values = self.values
        v = values[j]
        return max(values[self.high[0]], v) - min(values[self.low[0]], v)
