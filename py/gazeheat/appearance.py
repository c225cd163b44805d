"""Appearance gaze model: ridge regression on small eye images, trained per user.

The page cuts both eyes out of every frame (``js/eye_crop.js``): each eye is warped so
its two corners land on fixed points of a ``EYE_PATCH_WIDTH_PX`` x
``EYE_PATCH_HEIGHT_PX`` grey patch, and normalised to zero mean and unit standard
deviation. ``EyePatches`` holds one frame's pair (right eye first, row-major).

Features. 480 pixels are too many columns for a per-user fit of a few hundred frames
in pure Python, so each patch goes through a fixed basis that needs no training: its
lowest ``APPEARANCE_DCT_COLS`` x ``APPEARANCE_DCT_ROWS`` orthonormal 2-D DCT-II
coefficients (the constant one left out: it is zero after normalisation).
``patch_features`` returns them, right eye first, each eye's row-major in
(vertical frequency, horizontal frequency), i.e. ``scipy.fft.dctn(patch, norm="ortho")
[:rows, :cols]`` flattened without its ``[0, 0]``.

Variants (``MODEL_VARIANTS``):

* ``"landmark"``: ``calibration.GazeModel`` (not in this module);
* ``"appearance"``: per screen axis, ``px = coef . [1, f]`` with ``f`` the appearance
  features;
* ``"combined"``: ``px = coef . [1, f, t] + prior . (inputs - input_mean)`` with ``t``
  the landmark model's regression terms (the union of its ``terms_x`` and ``terms_y``
  without the intercept, on inputs standardised by its ``input_mean`` /
  ``input_scale``) and its fixed head-term ``prior``: the eye images add what the
  landmarks miss, the landmark model's geometry still undoes head movement. The
  landmark part is taken from a fitted ``GazeModel``, so the combined model needs the
  landmark fit first and ``Features.vector()`` with every frame. Per axis, the
  combined model is a convex blend of this joint fit and the ``"appearance"`` fit
  (weights on a grid of ``APPEARANCE_BLEND_STEP``, chosen by the same
  leave-one-target-out misses as the strengths; the joint fit alone unless a blend
  lowers the RMS miss by more than 2 %): both are linear in the design row, so the
  blend is again of this form, with the prior scaled by the joint fit's weight. The
  joint fit alone lost to the eye patches alone under large head motion.

Fit (``AppearanceTrainer.fit``), as the landmark calibration does it: every target
weighs 1 however many frames it kept; ridge on standardised columns with the
intercept not penalised, which for the coefficients of the raw columns (what the
model stores) is a penalty ``lam * n_targets * scale_j**2`` on column ``j``
(``scale_j``: the column's spread over the calibration, floored; the landmark terms
are standardised already and get ``lam * n_targets``); the strength per axis chosen
from ``APPEARANCE_LAMBDAS`` by leave-one-target-out cross-validation (strongest first,
a weaker one must lower the RMS miss by more than 2 %; smooth-pursuit segments are left
out ``PURSUIT_CV_SEGMENTS`` consecutive ones at a time).

Incremental. Each frame is reduced to its features when it arrives (the per-frame
cost); each target's normal-equation pieces (``X^T W X`` of ``[1, f]``) are summed
once, when the samples move on to another target. At the end only the sums over
targets are formed, and the system without target ``i`` is the total minus target
``i``'s piece, so cross-validation needs no pass over the frames; each system is
solved by a Cholesky factorisation (tens of columns: a few ms in pure Python).

Cleaning per target: frames in the first ``CALIBRATION_SETTLE_MS`` after the target
appeared (not for smooth-pursuit segments, indices from ``PURSUIT_FIRST_INDEX``: their
target moves, each frame is fitted to its own position, and the page already left out
the motion's start), frames the caller marks invalid (blinks) and frames without patches are
not kept; then, when landmark features come with the frames, those with openness
below ``CALIBRATION_OPENNESS_FRACTION`` of the target's median (blink edges), and
frames whose features lie farther from the target's coordinate-wise median than
the median distance plus ``CALIBRATION_OUTLIER_MADS`` robust standard deviations of
the distances (a glance away, a hand in front of an eye). Targets with too few kept
frames (``MIN_TARGET_SAMPLES``, ``MIN_TARGET_SAMPLES_FRACTION``) are left out.

Model choice (``choose_model``): all variants are validated; the one with the lowest
error wins, ties (within ``MODEL_CHOICE_TIE_DEG``) going to the simpler. Optional
self-calibration from clicks: ``accept_click`` guards, ``AppearanceTrainer.
add_click_sample`` and ``refit`` update the model.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from array import array
from dataclasses import dataclass
from operator import mul

from . import _check
from . import constants as C
from ._linalg import cho_solve, cholesky, cross, dot, gram, parse_term, term_value
from .calibration import GazeModel
from .errors import CalibrationError, InputError
from .features import VECTOR_NAMES, Features

__all__ = [
    "APPEARANCE_FEATURE_COUNT",
    "APPEARANCE_VARIANTS",
    "AppearanceModel",
    "AppearanceTrainer",
    "EyePatches",
    "ModelChoice",
    "accept_click",
    "choose_model",
    "fit_variants",
    "patch_features",
]

_W, _H = C.EYE_PATCH_WIDTH_PX, C.EYE_PATCH_HEIGHT_PX
_EYE = _W * _H
_COLS, _ROWS = C.APPEARANCE_DCT_COLS, C.APPEARANCE_DCT_ROWS

#: Appearance features per frame (both eyes).
APPEARANCE_FEATURE_COUNT = 2 * (_COLS * _ROWS - 1)

_MODEL = "eye-patch-ridge"
_MODEL_VERSION = 1
#: The variants this module fits (the others of ``MODEL_VARIANTS`` live elsewhere).
APPEARANCE_VARIANTS = ("appearance", "combined")
_VARIANTS = APPEARANCE_VARIANTS
_OPENNESS = VECTOR_NAMES.index("openness")
#: What the solver's errors call this model's regression.
_WHAT = "appearance regression"
# Consistency constant: 1.4826 * MAD estimates the standard deviation of Gaussian data.
_MAD_TO_SD = 1.4826


# --- eye patches and features ----------------------------------------------------------


@dataclass(frozen=True)
class EyePatches:
    """One frame's eye patches: ``EYE_PATCH_VALUES`` floats, the right eye's
    ``EYE_PATCH_HEIGHT_PX`` rows of ``EYE_PATCH_WIDTH_PX`` values, then the left
    eye's; each eye normalised (zero mean, unit standard deviation) by the page.

    ``EyePatches(values)`` accepts any sequence of numbers (a list, a tuple, an
    ``array``, a memoryview of a Float32Array) and stores a tuple of floats. Raises
    InputError on a wrong length or a value that is not a finite number.
    """

    values: tuple

    def __post_init__(self):
        values = self.values
        try:
            n = len(values)
        except TypeError:
            raise InputError(f"eye patches must be a sequence of numbers, got "
                             f"{type(values).__name__}") from None
        if n != C.EYE_PATCH_VALUES:
            raise InputError(f"eye patches must hold {C.EYE_PATCH_VALUES} values "
                             f"(2 x {_H} x {_W}), got {n}")
        try:
            floats = array("d", values)
        except TypeError:
            floats = None
        if floats is None or not all(map(math.isfinite, floats)):
            for i, v in enumerate(values):  # name the first bad value
                _check.finite(v, f"eye patches[{i}]")
        object.__setattr__(self, "values", tuple(floats))

    def to_dict(self) -> dict:
        return {"width_px": _W, "height_px": _H, "values": list(self.values)}

    @classmethod
    def from_dict(cls, d: dict) -> EyePatches:
        """Rebuild from ``to_dict`` output; raises InputError on missing fields, a patch
        size other than this gazeheat's, or bad values."""
        _check.require_keys(d, ("width_px", "height_px", "values"), "eye patches")
        if d["width_px"] != _W or d["height_px"] != _H:
            raise InputError(f"eye patches are {d['width_px']!r} x {d['height_px']!r} px, "
                             f"expected {_W} x {_H}")
        return cls(d["values"])


@functools.cache
def _cosines() -> tuple:
    """Orthonormal DCT-II basis vectors: ``APPEARANCE_DCT_COLS`` of length
    ``EYE_PATCH_WIDTH_PX`` (horizontal) and ``APPEARANCE_DCT_ROWS`` of length
    ``EYE_PATCH_HEIGHT_PX`` (vertical)."""

    def cosines(n: int, k: int) -> tuple:
        s = math.sqrt((1.0 if k == 0 else 2.0) / n)
        return tuple(s * math.cos(math.pi * k * (2 * i + 1) / (2 * n)) for i in range(n))

    return tuple(cosines(_W, k) for k in range(_COLS)), tuple(cosines(_H, k) for k in range(_ROWS))


def patch_features(patches: EyePatches) -> tuple:
    """The ``APPEARANCE_FEATURE_COUNT`` appearance features of one frame (see the
    module docstring): the low-frequency orthonormal DCT-II coefficients of the right
    eye's patch, then the left eye's. Raises InputError unless given ``EyePatches``."""
    if not isinstance(patches, EyePatches):
        raise InputError(f"patch_features needs EyePatches, got {type(patches).__name__}")
    horizontal, vertical = _cosines()
    v = patches.values
    out = []
    for base in (0, _EYE):
        rows = [v[base + r * _W:base + (r + 1) * _W] for r in range(_H)]
        # Separable: each row's horizontal coefficients first (per frequency, one
        # value per row), then the vertical transform of those columns; half the
        # work of projecting on 23 full basis images. Plain sum: 20 or 12 O(1) terms,
        # rounding ~1e-15, far below the patches' noise, at twice fsum's speed.
        by_row = [[sum(map(mul, c, row)) for row in rows] for c in horizontal]
        for ky, c in enumerate(vertical):
            out += [sum(map(mul, c, by_row[kx])) for kx in range(1 if ky == 0 else 0, _COLS)]
    return tuple(out)


# --- the model -------------------------------------------------------------------------


@dataclass(frozen=True)
class AppearanceModel:
    """A fitted appearance (``variant == "appearance"``) or combined (``"combined"``)
    gaze model; the formula is in the module docstring.

    ``coef_x`` / ``coef_y``: px per unit of each design column ``[1, f..., t...]``
    (raw, not standardised columns). ``feature_mean`` / ``feature_scale``: per
    appearance feature, the calibration mean and (floored) spread, used to clamp
    features at ``PREDICT_MAX_Z`` spreads when predicting. The landmark part
    (empty tuples for ``"appearance"``): ``landmark_terms`` (names over
    ``VECTOR_NAMES``), ``landmark_mean`` / ``landmark_scale`` (standardisation) and
    ``prior_x`` / ``prior_y`` (fixed head-term px per input unit), all copied from
    the landmark ``GazeModel``. ``lam_x`` / ``lam_y``: ridge strengths used.
    ``n_targets``, ``n_used``: targets and frames fitted; ``n_clicks``: click samples
    fitted (self-calibration). ``rms_px``: training RMS distance over the used
    calibration frames. ``loto_px``: mean leave-one-target-out miss (None when not
    cross-validated, e.g. after ``refit``). ``correction_px``: drift correction
    ``(x_offset_px, y_offset_px)`` added to every prediction (``recentred``; zero after
    a fit). An offset, not the landmark model's offset-and-scale: re-centring shows
    one target, which can only measure an offset, and the appearance regression has
    no single output scale a drift would change. ``blend``: for ``"combined"``, the
    joint fit's weight per axis ``(x, y)`` in [0, 1] (the rest is the features-alone
    fit, at strengths ``lam_features``; the stored ``prior_x`` / ``prior_y`` are the
    landmark model's times these weights); ``(1.0, 1.0)``: the joint fit alone.
    """

    variant: str
    coef_x: tuple
    coef_y: tuple
    feature_mean: tuple
    feature_scale: tuple
    lam_x: float
    lam_y: float
    n_targets: int
    n_used: int
    rms_px: float
    loto_px: float | None
    landmark_terms: tuple = ()
    landmark_mean: tuple = ()
    landmark_scale: tuple = ()
    prior_x: tuple = ()
    prior_y: tuple = ()
    n_clicks: int = 0
    correction_px: tuple = (0.0, 0.0)
    blend: tuple = (1.0, 1.0)
    lam_features: tuple = (0.0, 0.0)

    def __post_init__(self):
        # Terms parsed once (predict runs every frame).
        object.__setattr__(self, "_terms", tuple(parse_term(t, VECTOR_NAMES)
                                                 for t in self.landmark_terms))

    def predict(self, patches, features=None) -> tuple:
        """Gaze ``(x_px, y_px)`` for one frame's ``EyePatches`` (or a sequence of
        patch values) and, for a combined model, its ``Features`` (or
        ``Features.vector()``). Validity is the caller's concern. Raises InputError on
        bad patches or when a combined model gets no features."""
        if not isinstance(patches, EyePatches):
            patches = EyePatches(patches)
        return self.predict_features(patch_features(patches), _vector(features))

    def predict_features(self, feats, inputs=None) -> tuple:
        """``predict`` from ``patch_features`` output and ``Features.vector()``."""
        lim = C.PREDICT_MAX_Z
        row = [1.0]
        row += [m + s * min(max((f - m) / s, -lim), lim)
                for f, m, s in zip(feats, self.feature_mean, self.feature_scale)]
        x = y = 0.0
        if self.variant == "combined":
            if inputs is None:
                raise InputError("a combined model needs the frame's landmark features")
            d = [a - m for a, m in zip(inputs, self.landmark_mean)]
            z = [min(max(a / s, -lim), lim) for a, s in zip(d, self.landmark_scale)]
            row += [term_value(z, t) for t in self._terms]
            x, y = dot(self.prior_x, d), dot(self.prior_y, d)
        cx, cy = self.correction_px
        return cx + x + dot(self.coef_x, row), cy + y + dot(self.coef_y, row)

    def recentred(self, points) -> AppearanceModel:
        """A copy with a drift correction from ``points``: one or more ``(pred_x_px,
        pred_y_px, target_x_px, target_y_px)`` (where *this* model put the gaze while
        the person looked at a known target). The correction is the mean miss per
        axis, added to this model's own. Raises InputError on no points or a point
        that is not 4 finite numbers."""
        pts = []
        for k, p in enumerate(points):
            if not isinstance(p, (list, tuple)) or len(p) != 4:
                raise InputError(f"points[{k}] must be (pred_x_px, pred_y_px, target_x_px, "
                                 f"target_y_px), got {p!r}")
            pts.append(tuple(_check.finite(v, f"points[{k}][{j}]") for j, v in enumerate(p)))
        if not pts:
            raise InputError("recentred needs at least one (predicted, target) point")
        dx = math.fsum(p[2] - p[0] for p in pts) / len(pts)
        dy = math.fsum(p[3] - p[1] for p in pts) / len(pts)
        cx, cy = self.correction_px
        return dataclasses.replace(self, correction_px=(cx + dx, cy + dy))

    def summary(self) -> dict:
        """``{"variant", "n_targets", "n_used", "n_clicks", "rms_px", "loto_px",
        "lam_x", "lam_y"}`` for the page."""
        return {"variant": self.variant, "n_targets": self.n_targets, "n_used": self.n_used,
                "n_clicks": self.n_clicks, "rms_px": self.rms_px, "loto_px": self.loto_px,
                "lam_x": self.lam_x, "lam_y": self.lam_y}

    def to_dict(self) -> dict:
        return {
            "model": _MODEL,
            "version": _MODEL_VERSION,
            "variant": self.variant,
            "patch": {"width_px": _W, "height_px": _H, "dct_cols": _COLS, "dct_rows": _ROWS},
            "coef_x": list(self.coef_x),
            "coef_y": list(self.coef_y),
            "feature_mean": list(self.feature_mean),
            "feature_scale": list(self.feature_scale),
            "landmark_terms": list(self.landmark_terms),
            "landmark_mean": list(self.landmark_mean),
            "landmark_scale": list(self.landmark_scale),
            "prior_x": list(self.prior_x),
            "prior_y": list(self.prior_y),
            "lam_x": self.lam_x,
            "lam_y": self.lam_y,
            "n_targets": self.n_targets,
            "n_used": self.n_used,
            "n_clicks": self.n_clicks,
            "rms_px": self.rms_px,
            "loto_px": self.loto_px,
            "correction": {"x_offset_px": self.correction_px[0],
                           "y_offset_px": self.correction_px[1]},
            "blend": {"joint_x": self.blend[0], "joint_y": self.blend[1],
                      "lam_features_x": self.lam_features[0],
                      "lam_features_y": self.lam_features[1]},
        }

    @classmethod
    def from_dict(cls, d: dict) -> AppearanceModel:
        """Rebuild from ``to_dict`` output. Raises InputError on anything off: missing
        keys, another model or version, a patch geometry other than this gazeheat's
        (calibrate again), lengths that do not fit together, non-finite numbers."""
        _check.require_keys(d, ("model", "version", "variant", "patch", "coef_x", "coef_y", "feature_mean",
                  "feature_scale", "landmark_terms", "landmark_mean", "landmark_scale",
                  "prior_x", "prior_y", "lam_x", "lam_y", "n_targets", "n_used", "rms_px",
                  "loto_px"), "appearance model")
        if d["model"] != _MODEL or d["version"] != _MODEL_VERSION:
            raise InputError(f"appearance model must be {_MODEL!r} version {_MODEL_VERSION}, "
                             f"got {d['model']!r} version {d['version']!r}")
        if d["variant"] not in _VARIANTS:
            raise InputError(f"appearance model variant must be one of {', '.join(_VARIANTS)}, "
                             f"got {d['variant']!r}")
        geometry = {"width_px": _W, "height_px": _H, "dct_cols": _COLS, "dct_rows": _ROWS}
        if d["patch"] != geometry:
            raise InputError(f"appearance model patch {d['patch']!r} is not this gazeheat's "
                             f"{geometry!r}: calibrate again")
        terms = d["landmark_terms"]
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            raise InputError("appearance model.landmark_terms must be a list of term names")
        for t in terms:
            parse_term(t, VECTOR_NAMES)
        combined = d["variant"] == "combined"
        if combined != bool(terms):
            raise InputError("appearance model.landmark_terms must be given exactly for the "
                             "combined variant")
        k = len(VECTOR_NAMES) if combined else 0
        p = 1 + APPEARANCE_FEATURE_COUNT + len(terms)
        scale = _check.finite_list(d["feature_scale"], APPEARANCE_FEATURE_COUNT, "appearance model.feature_scale")
        lm_scale = _check.finite_list(d["landmark_scale"], k, "appearance model.landmark_scale")
        if min(scale + lm_scale) <= 0.0:
            raise InputError("appearance model scales must be > 0")
        loto = d["loto_px"]
        # "correction" was added after the first version of this record: optional.
        c = d.get("correction") or {"x_offset_px": 0.0, "y_offset_px": 0.0}
        _check.require_keys(c, ("x_offset_px", "y_offset_px"), "appearance model.correction")
        # "blend" was added later too (predictions never need it, only refit): optional,
        # absent meaning the joint fit alone.
        bl = d.get("blend") or {"joint_x": 1.0, "joint_y": 1.0, "lam_features_x": 0.0,
                                "lam_features_y": 0.0}
        _check.require_keys(bl, ("joint_x", "joint_y", "lam_features_x", "lam_features_y"),
                            "appearance model.blend")
        weights = tuple(_check.non_negative(bl[k], f"appearance model.blend.{k}")
                        for k in ("joint_x", "joint_y"))
        if max(weights) > 1.0 or (not combined and weights != (1.0, 1.0)):
            raise InputError(f"appearance model.blend weights must lie in [0, 1] (1 unless "
                             f"combined), got {weights!r}")
        return cls(
            variant=d["variant"],
            coef_x=_check.finite_list(d["coef_x"], p, "appearance model.coef_x"),
            coef_y=_check.finite_list(d["coef_y"], p, "appearance model.coef_y"),
            feature_mean=_check.finite_list(d["feature_mean"], APPEARANCE_FEATURE_COUNT,
                                 "appearance model.feature_mean"),
            feature_scale=scale,
            lam_x=_check.non_negative(d["lam_x"], "appearance model.lam_x"),
            lam_y=_check.non_negative(d["lam_y"], "appearance model.lam_y"),
            n_targets=_check.non_negative_int(d["n_targets"], "appearance model.n_targets"),
            n_used=_check.non_negative_int(d["n_used"], "appearance model.n_used"),
            rms_px=_check.non_negative(d["rms_px"], "appearance model.rms_px"),
            loto_px=None if loto is None else _check.non_negative(loto, "appearance model.loto_px"),
            landmark_terms=tuple(terms),
            landmark_mean=_check.finite_list(d["landmark_mean"], k, "appearance model.landmark_mean"),
            landmark_scale=lm_scale,
            prior_x=_check.finite_list(d["prior_x"], k, "appearance model.prior_x"),
            prior_y=_check.finite_list(d["prior_y"], k, "appearance model.prior_y"),
            n_clicks=_check.non_negative_int(d.get("n_clicks", 0), "appearance model.n_clicks"),
            correction_px=(_check.finite(c["x_offset_px"], "appearance model.correction.x_offset_px"),
                           _check.finite(c["y_offset_px"], "appearance model.correction.y_offset_px")),
            blend=weights,
            lam_features=tuple(_check.non_negative(bl[k], f"appearance model.blend.{k}")
                               for k in ("lam_features_x", "lam_features_y")),
        )


# --- training --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Landmark:
    """The landmark part of a combined model: term names and parsed indices, the
    standardisation and the fixed head-term coefficients (from a ``GazeModel``)."""

    names: tuple
    parsed: tuple
    mean: tuple
    scale: tuple
    prior: tuple  # (prior_x, prior_y)

    @classmethod
    def of(cls, model) -> _Landmark:
        if isinstance(model, GazeModel):
            names = tuple(dict.fromkeys(t for t in model.terms_x + model.terms_y if t != "1"))
            return cls(names, tuple(parse_term(t, VECTOR_NAMES) for t in names),
                       model.input_mean, model.input_scale, (model.prior_x, model.prior_y))
        if isinstance(model, AppearanceModel) and model.variant == "combined":
            return cls(model.landmark_terms, model._terms, model.landmark_mean,
                       model.landmark_scale, (model.prior_x, model.prior_y))
        raise InputError(f"the combined model needs the fitted landmark GazeModel, got "
                         f"{type(model).__name__}")

    def row(self, inputs) -> tuple:
        """(terms, prior offset x, prior offset y) of one ``Features.vector()``."""
        d = [a - m for a, m in zip(inputs, self.mean)]
        z = [a / s for a, s in zip(d, self.scale)]
        return (tuple(term_value(z, t) for t in self.parsed),
                dot(self.prior[0], d), dot(self.prior[1], d))


class _Target:
    """One target's frames (kept so far) and the cached normal-equation piece. A
    ``moving`` target (a smooth-pursuit segment) keeps each frame's position in
    ``xy``; ``x_px``/``y_px`` is then its first frame's."""

    __slots__ = ("fold", "feats", "inputs", "piece", "piece_n", "x_px", "y_px", "xy")

    def __init__(self, x_px: float, y_px: float, moving: bool = False, fold: int = 0):
        self.fold = fold  # targets with the same fold are left out together (see _solve)
        self.x_px, self.y_px = x_px, y_px
        self.xy = [] if moving else None  # (x_px, y_px) per frame of a moving target
        self.feats: list = []
        self.inputs: list = []  # Features.vector() per frame, or None
        self.piece = None  # (kept indices, X^T W X of [1, f]) once summed
        self.piece_n = -1  # len(feats) when piece was summed


class AppearanceTrainer:
    """Collects calibration frames (eye patches, optionally landmark features) and
    fits ``AppearanceModel``s: the appearance and the combined variant from the same
    frames. Mirrors ``calibration.CalibrationCollector`` (same settling rule, same
    target starts) and can be fed alongside it.
    """

    def __init__(self, settle_ms=C.CALIBRATION_SETTLE_MS, outlier_mads=C.CALIBRATION_OUTLIER_MADS):
        """``settle_ms`` (>= 0): frames this soon after a target appeared are not kept.
        ``outlier_mads`` (> 0, or None for no outlier removal): see the module
        docstring. Raises InputError on bad values."""
        self.settle_ms = _check.non_negative(settle_ms, "settle_ms", " ms")
        self.outlier_mads = None if outlier_mads is None else _check.positive(outlier_mads,
                                                                              "outlier_mads")
        self._start_ms: dict = {}
        self._targets: dict = {}
        self._last = None  # target index of the latest kept frame
        self._clicks: list = []  # (features, inputs or None, x_px, y_px)
        self._features_fit = None  # (key, _solve output): see _features_alone

    # -- collecting --

    def start_target(self, target_index, t_ms) -> None:
        """Declare that target ``target_index`` appeared at ``t_ms`` (ms). Also sums
        the finished targets' pieces now, while the eyes travel and no frame is kept."""
        self._start_ms[_check.non_negative_int(target_index, "target_index")] = \
            _check.finite(t_ms, "t_ms")
        for target in self._targets.values():
            self._piece(target)

    def add(self, t_ms, target_index, target_x_px, target_y_px, patches, features=None,
            valid=True) -> bool:
        """Offer one calibration frame; return True if it was kept.

        ``patches``: ``EyePatches`` or a sequence of ``EYE_PATCH_VALUES`` numbers, or
        None (no patches this frame: not kept). ``features``: the frame's ``Features``
        or its ``vector()`` (needed for the combined variant and the blink-edge rule),
        or None. ``valid``: False for a frame the caller rejects (a blink); an invalid
        ``Features`` rejects it too. Frames earlier than ``settle_ms`` after the
        target started are not kept. Raises InputError on non-finite times or
        coordinates, a negative index, bad patches or features, or a target index seen
        before at another position.
        """
        return self._add(t_ms, target_index, target_x_px, target_y_px, patches, features, valid,
                         patch_features)

    def add_features(self, t_ms, target_index, target_x_px, target_y_px, feats, features=None,
                     valid=True) -> bool:
        """``add`` for a frame already reduced to ``patch_features`` output ``feats``
        (a sequence of ``APPEARANCE_FEATURE_COUNT`` numbers, or None: no patches),
        e.g. when the caller computed them to predict with. Raises as ``add``."""
        return self._add(t_ms, target_index, target_x_px, target_y_px, feats, features, valid,
                         _feature_row)

    def _add(self, t_ms, target_index, target_x_px, target_y_px, patches, features, valid,
             reduce) -> bool:
        t_ms = _check.finite(t_ms, "t_ms")
        index = _check.non_negative_int(target_index, "target_index")
        x = _check.finite(target_x_px, "target_x_px")
        y = _check.finite(target_y_px, "target_y_px")
        start = self._start_ms.setdefault(index, t_ms)
        if isinstance(features, Features) and not features.valid:
            valid = False
        # Smooth-pursuit segments: no settling (as CalibrationCollector), and the
        # target moves from frame to frame.
        pursuit = index >= C.PURSUIT_FIRST_INDEX
        if patches is None or not valid or t_ms - start < (0.0 if pursuit else self.settle_ms):
            return False
        if reduce is patch_features and not isinstance(patches, EyePatches):
            patches = EyePatches(patches)
        feats = reduce(patches)
        inputs = _vector(features)
        target = self._targets.get(index)
        if target is None:
            target = self._targets[index] = _Target(x, y, moving=pursuit, fold=_fold(index))
        elif not pursuit and (target.x_px, target.y_px) != (x, y):
            raise InputError(f"target {index} was at ({target.x_px}, {target.y_px}) px, "
                             f"now at ({x}, {y}) px")
        if self._last is not None and self._last != index and self._last in self._targets:
            # The previous target is finished: sum its piece now, while frames arrive,
            # so that the fit at the end has little left to do.
            self._piece(self._targets[self._last])
        self._last = index
        target.feats.append(feats)
        target.inputs.append(inputs)
        if target.xy is not None:
            target.xy.append((x, y))
        return True

    @property
    def n_targets(self) -> int:
        """Targets with at least one kept frame."""
        return len(self._targets)

    @property
    def n_samples(self) -> int:
        """Kept calibration frames (before cleaning)."""
        return sum(len(t.feats) for t in self._targets.values())

    def clear(self) -> None:
        """Forget all frames, target starts and click samples."""
        self._start_ms.clear()
        self._targets.clear()
        self._clicks.clear()
        self._last = None
        self._features_fit = None

    def drop_targets(self, indices) -> None:
        """Forget these targets' frames and start times (to show them again)."""
        for i in {_check.non_negative_int(i, "target index") for i in indices}:
            self._targets.pop(i, None)
            self._start_ms.pop(i, None)
        self._features_fit = None

    def add_click_sample(self, x_px, y_px, patches, features=None) -> None:
        """Add one self-calibration sample: the person clicked at ``(x_px, y_px)``
        (viewport CSS px) while this frame was taken. It weighs
        ``CLICK_SAMPLE_WEIGHT`` of a calibration target in the next ``refit``. Guard
        it with ``accept_click`` first. Raises InputError on bad values."""
        if not isinstance(patches, EyePatches):
            patches = EyePatches(patches)
        self.add_click_features(x_px, y_px, patch_features(patches), features)

    def add_click_features(self, x_px, y_px, feats, features=None) -> None:
        """``add_click_sample`` for a frame already reduced to ``patch_features``
        output ``feats``. Raises InputError on bad values."""
        x = _check.finite(x_px, "x_px")
        y = _check.finite(y_px, "y_px")
        self._clicks.append((_feature_row(feats), _vector(features), x, y))

    @property
    def n_clicks(self) -> int:
        return len(self._clicks)

    # -- fitting --

    def fit(self, variant="appearance", landmark_model=None, lambdas=C.APPEARANCE_LAMBDAS,
            min_targets=C.MIN_CALIBRATION_TARGETS, exclude_targets=(),
            blend_step=C.APPEARANCE_BLEND_STEP) -> AppearanceModel:
        """Fit the ``"appearance"`` or ``"combined"`` variant to the calibration frames
        (click samples are not used: see ``refit``).

        ``landmark_model``: the fitted landmark ``GazeModel``, required for
        ``"combined"`` (its terms, standardisation and head priors are used).
        ``lambdas``: ridge strengths tried per axis (one value: no choice).
        ``exclude_targets``: target indices to leave out (e.g. the landmark model's
        ``bad_targets``). ``blend_step``: for ``"combined"``, the grid step (0 < step
        <= 1, 1/step a whole number) of the blend weights of its two parts (see the
        module docstring), or None for the joint fit alone. Raises InputError on a bad
        variant, lambdas, blend step or missing
        landmark model; CalibrationError when fewer than ``min_targets`` targets have
        enough clean frames, a combined fit lacks landmark features, or the
        regression is singular.
        """
        if variant not in _VARIANTS:
            raise InputError(f"variant must be one of {', '.join(_VARIANTS)}, got {variant!r}")
        lambdas = tuple(_check.non_negative(v, "lambdas[]") for v in lambdas)
        if not lambdas:
            raise InputError("lambdas must not be empty")
        min_targets = _check.positive_int(min_targets, "min_targets")
        if blend_step is not None:
            blend_step = _check.positive(blend_step, "blend_step")
            if blend_step > 1.0 or abs(1.0 / blend_step - round(1.0 / blend_step)) > 1e-9:
                raise InputError(f"blend_step must be 1/n for a whole n >= 1, got {blend_step!r}")
        landmark = _Landmark.of(landmark_model) if variant == "combined" else None
        skip = {_check.non_negative_int(i, "exclude_targets[]") for i in exclude_targets}
        usable = self._usable(skip, min_targets)
        blocks = [self._block(t, landmark) for t in usable]
        mean, scale, pen = _standardisation(blocks, landmark)
        if landmark is None:
            fitted = self._features_alone(usable, pen, lambdas, blocks)
        else:
            fitted = _solve(blocks, pen, lambdas, lambdas, cross_validate=True)
        factor, alone = (1.0, 1.0), (0.0, 0.0)
        if landmark is not None and blend_step is not None:
            fitted, factor, alone = self._blend(usable, blocks, pen, lambdas, fitted, blend_step)
        return self._model(variant, landmark, fitted, blocks, mean, scale, n_clicks=0,
                           prior_factor=factor, lam_features=alone)

    def refit(self, model: AppearanceModel, exclude_targets=()) -> AppearanceModel:
        """``model`` refitted to the calibration frames plus every click sample, with
        ``model``'s variant, landmark part and ridge strengths (no cross-validation:
        one solve per axis, fast enough after every click). ``model``'s drift
        correction (``recentred``) is kept: the clicks were made under it, so the
        regression fits each click minus the correction. A blended combined model
        (``blend``) is refitted as the same blend of its two parts, each at its
        strengths. ``exclude_targets``: as
        for ``fit`` (pass the same). Raises InputError on a model that is not an
        ``AppearanceModel`` or clicks without the landmark features a combined model
        needs; CalibrationError as ``fit``."""
        if not isinstance(model, AppearanceModel):
            raise InputError(f"refit needs an AppearanceModel, got {type(model).__name__}")
        landmark = _Landmark.of(model) if model.variant == "combined" else None
        skip = {_check.non_negative_int(i, "exclude_targets[]") for i in exclude_targets}
        usable = self._usable(skip, 1)
        blocks = [self._block(t, landmark) for t in usable]
        mean, scale, pen = _standardisation(blocks, landmark)
        factor = (1.0, 1.0)
        if landmark is not None and model.blend != (1.0, 1.0):
            # The same blend of the joint and the features-alone fit, each refitted at
            # its strengths; the joint one with the landmark model's own prior.
            factor = model.blend
            landmark = dataclasses.replace(landmark, prior=tuple(
                tuple(v / w for v in prior) if w > 0.0 else (0.0,) * len(prior)
                for prior, w in zip(landmark.prior, factor)))
            blocks = [self._block(t, landmark) for t in usable]
        if self._clicks:
            blocks.append(self._click_block(landmark, model.correction_px))
        fitted = _solve(blocks, pen, (model.lam_x,), (model.lam_y,), cross_validate=False)
        if factor != (1.0, 1.0):
            alone = [self._block(t, None) for t in usable]
            if self._clicks:
                alone.append(self._click_block(None, model.correction_px))
            m1 = 1 + APPEARANCE_FEATURE_COUNT
            app = _solve(alone, pen[:m1], (model.lam_features[0],), (model.lam_features[1],),
                         cross_validate=False)
            pad = [0.0] * (len(pen) - m1)
            fitted = tuple([w * u + (1.0 - w) * v for u, v in zip(fitted[axis], list(app[axis]) + pad)]
                           for axis, w in ((0, factor[0]), (1, factor[1]))) + fitted[2:]
        refitted = self._model(model.variant, landmark, fitted, blocks, mean, scale,
                               n_clicks=len(self._clicks), prior_factor=factor,
                               lam_features=model.lam_features)
        return dataclasses.replace(refitted, correction_px=model.correction_px)

    # -- private --

    def _blend(self, usable, blocks, pen, lambdas, joint, step) -> tuple:
        """The combined model as the leave-one-target-out best convex blend, per axis,
        of the joint fit ``joint`` (``_solve`` output on ``blocks``) and the fit on
        the eye-patch features alone (its strength chosen as usual). Both are linear
        in the combined design row, and only the joint one has the head-term prior,
        so the blend is one combined model whose prior is scaled by the joint fit's
        weight. Returns (``_solve``-like output with the joint fit's strengths,
        (joint weight x, joint weight y), the features-alone strengths (x, y)); the
        joint fit alone when the features alone cannot be fitted."""
        m1 = 1 + APPEARANCE_FEATURE_COUNT
        try:
            app = self._features_alone(usable, pen[:m1], lambdas)
        except CalibrationError:
            return joint, (1.0, 1.0), (0.0, 0.0)
        grid = _blend_grid(step)
        pad = [0.0] * (len(pen) - m1)
        out, factor = [], []
        for axis in (0, 1):
            misses = (joint[5][axis], app[5][axis])
            w = _pick_blend(grid, misses)
            coef = list(app[axis]) + pad
            out.append(([w[0] * u + w[1] * v for u, v in zip(joint[axis], coef)],
                        [None if None in m else dot(w, m) for m in zip(*misses)]))
            factor.append(w[0])
        (coef_x, mx), (coef_y, my) = out
        return ((coef_x, coef_y, joint[2], joint[3], _mean_miss(mx, my), (mx, my)),
                tuple(factor), (app[2], app[3]))

    def _features_alone(self, usable, pen, lambdas, blocks=None) -> tuple:
        """``_solve`` output (cross-validated) of the eye-patch features alone on the
        targets ``usable``. Kept until the frames change: ``fit_variants`` fits the
        appearance variant and then needs the same solve inside the combined one."""
        key = (tuple(usable), tuple(len(t.feats) for t in usable), lambdas)
        cached = self._features_fit
        if (cached is not None and len(cached[0][0]) == len(usable)
                and all(a is b for a, b in zip(cached[0][0], usable)) and cached[0][1:] == key[1:]):
            return cached[1]
        if blocks is None:
            blocks = [self._block(t, None) for t in usable]
        fitted = _solve(blocks, pen, lambdas, lambdas, cross_validate=True)
        self._features_fit = (key, fitted)
        return fitted

    def _usable(self, skip: set, min_targets: int) -> list:
        targets = [t for i, t in sorted(self._targets.items()) if i not in skip]
        pieces = [self._piece(t) for t in targets]
        if not targets:
            raise CalibrationError("no calibration frames with eye patches: look at each target")
        need = max(C.MIN_TARGET_SAMPLES,
                   C.MIN_TARGET_SAMPLES_FRACTION * _median([len(p[0]) for p in pieces]))
        usable = [t for t, p in zip(targets, pieces) if len(p[0]) >= need]
        if len(usable) < min_targets:
            raise CalibrationError(
                f"only {len(usable)} targets have enough steady eye-patch frames, need "
                f"{min_targets}; look at each target until it disappears")
        return usable

    def _piece(self, target: _Target) -> tuple:
        """(kept indices, ``X^T W X`` of ``[1, f]`` over them, weights summing to 1),
        summed once per target and again only if frames were added since."""
        if target.piece_n != len(target.feats):
            kept = _clean(target.feats, target.inputs, self.outlier_mads)
            cols = _columns([target.feats[k] for k in kept])
            w = (1.0 / len(kept),) * len(kept) if kept else ()
            target.piece = (kept, gram(cols, w) if kept else None)
            target.piece_n = len(target.feats)
        return target.piece

    def _block(self, target: _Target, landmark) -> _Block:
        kept, g = self._piece(target)
        feats = [target.feats[k] for k in kept]
        n = len(kept)
        w = (1.0 / n,) * n
        cols = _columns(feats)
        ox = oy = (0.0,) * n
        if landmark is not None:
            rows = []
            for k in kept:
                if target.inputs[k] is None:
                    raise CalibrationError("the combined model needs landmark features with "
                                           "every calibration frame")
                rows.append(landmark.row(target.inputs[k]))
            terms = [list(c) for c in zip(*(r[0] for r in rows))]
            ox = tuple(r[1] for r in rows)
            oy = tuple(r[2] for r in rows)
            g = _extend_gram(g, cols, terms, w)
            cols = cols + terms
        # (g may be the cached piece itself: nothing below modifies it.)
        if target.xy is None:
            tx, ty = (target.x_px,) * n, (target.y_px,) * n
            centre = (target.x_px, target.y_px)
        else:
            # A moving target: each frame's own position; leave-one-target-out compares
            # the mean prediction with the mean position (both linear in the frames).
            tx, ty = (tuple(target.xy[k][axis] for k in kept) for axis in (0, 1))
            centre = (math.fsum(tx) / n, math.fsum(ty) / n)
        gx = [t - o for t, o in zip(tx, ox)]
        gy = [t - o for t, o in zip(ty, oy)]
        return _Block(weight=1.0, gram=g, bx=cross(cols, w, gx), by=cross(cols, w, gy),
                      mean=g[0][:], offset=(math.fsum(ox) / n, math.fsum(oy) / n),
                      target=centre, cols=cols, goal=(gx, gy), frame_targets=(tx, ty), fold=target.fold)

    def _click_block(self, landmark, correction_px=(0.0, 0.0)) -> _Block:
        """All click samples as one block, each weighing ``CLICK_SAMPLE_WEIGHT``; the
        goals are the clicks minus the model's drift correction."""
        feats = [c[0] for c in self._clicks]
        n = len(feats)
        w = (C.CLICK_SAMPLE_WEIGHT,) * n
        cols = _columns(feats)
        ox = oy = (0.0,) * n
        if landmark is not None:
            if any(c[1] is None for c in self._clicks):
                raise InputError("click samples need landmark features for a combined model")
            rows = [landmark.row(c[1]) for c in self._clicks]
            cols += [list(c) for c in zip(*(r[0] for r in rows))]
            ox = tuple(r[1] for r in rows)
            oy = tuple(r[2] for r in rows)
        cx, cy = correction_px
        gx = [c[2] - cx - o for c, o in zip(self._clicks, ox)]
        gy = [c[3] - cy - o for c, o in zip(self._clicks, oy)]
        return _Block(weight=C.CLICK_SAMPLE_WEIGHT * n, gram=gram(cols, w), bx=cross(cols, w, gx),
                      by=cross(cols, w, gy), mean=None, offset=None, target=None, cols=cols,
                      goal=(gx, gy))

    def _model(self, variant, landmark, fitted, blocks, mean, scale, n_clicks,
               prior_factor=(1.0, 1.0), lam_features=(0.0, 0.0)) -> AppearanceModel:
        coef_x, coef_y, lam_x, lam_y, loto = fitted[:5]
        fx, fy = prior_factor
        # Training error over the calibration frames: prediction minus target is the
        # design row times the coefficients minus the goal (target minus prior offset),
        # plus the part of the prior offset (target minus goal) a blend left out.
        squared, n_used = 0.0, 0
        for b in blocks:
            if b.target is None:
                continue
            for row, gx, gy, tx, ty in zip(zip(*b.cols), *b.goal, *b.frame_targets):
                squared += ((dot(coef_x, row) - gx + (fx - 1.0) * (tx - gx)) ** 2
                            + (dot(coef_y, row) - gy + (fy - 1.0) * (ty - gy)) ** 2)
                n_used += 1
        lm = landmark or _Landmark((), (), (), (), ((), ()))
        if prior_factor != (1.0, 1.0):
            lm = dataclasses.replace(lm, prior=(tuple(fx * v for v in lm.prior[0]),
                                                tuple(fy * v for v in lm.prior[1])))
        return AppearanceModel(
            variant=variant, coef_x=tuple(coef_x), coef_y=tuple(coef_y),
            feature_mean=mean, feature_scale=scale, lam_x=lam_x, lam_y=lam_y,
            n_targets=sum(1 for b in blocks if b.target is not None), n_used=n_used,
            rms_px=math.sqrt(squared / n_used) if n_used else 0.0, loto_px=loto,
            landmark_terms=lm.names, landmark_mean=tuple(lm.mean),
            landmark_scale=tuple(lm.scale), prior_x=tuple(lm.prior[0]),
            prior_y=tuple(lm.prior[1]), n_clicks=n_clicks, blend=tuple(prior_factor),
            lam_features=tuple(lam_features))


def fit_variants(trainer, landmark_model) -> tuple:
    """Fit every appearance-based variant (``APPEARANCE_VARIANTS``) from ``trainer``'s
    calibration frames, leaving out ``landmark_model``'s bad targets as it does
    (``GazeModel.excluded_targets``: bad dots and smooth-pursuit segments).
    Returns ``({variant: AppearanceModel}, {variant: why it could not be fitted})``:
    a variant that cannot be fitted (no patches, too few targets, singular) is not an
    error, the landmark model still works. ``trainer`` None counts as no patches."""
    models, errors = {}, {}
    for variant in APPEARANCE_VARIANTS:
        if trainer is None or trainer.n_targets == 0:
            errors[variant] = "no eye patches came with the calibration frames"
            continue
        try:
            models[variant] = trainer.fit(variant, landmark_model=landmark_model,
                                          exclude_targets=landmark_model.excluded_targets)
        except CalibrationError as exc:
            errors[variant] = str(exc)
    return models, errors


# --- model choice and self-calibration ---------------------------------------------------


@dataclass(frozen=True)
class ModelChoice:
    """Which gaze model variant a session uses, and why.

    ``errors_deg``: ``((name, mean_error_deg or None), ...)`` in ``MODEL_VARIANTS``
    order, one per variant that was tried: the validation's mean error (the mean
    distance of the gaze samples from the targets, ``Validation.mean_error_deg``),
    which the choice minimises; None: it could not be fitted or validated.
    ``accuracy_deg``: the same variants' validation accuracy (offset of the mean gaze),
    for reports. ``chosen``: the variant used. Stored in sessions as ``{"variants":
    {name: {"accuracy_deg": ..., "mean_error_deg": ...}}, "chosen": name}``.
    """

    errors_deg: tuple
    chosen: str
    accuracy_deg: tuple = ()

    @property
    def variants(self) -> dict:
        """``{name: mean_error_deg or None}``: what the choice compared."""
        return dict(self.errors_deg)

    def to_dict(self) -> dict:
        accuracy = dict(self.accuracy_deg)
        return {"variants": {name: {"accuracy_deg": accuracy.get(name), "mean_error_deg": err}
                             for name, err in self.errors_deg},
                "chosen": self.chosen}

    @classmethod
    def from_dict(cls, d: dict) -> ModelChoice:
        """Rebuild from ``to_dict`` output. A variant without ``mean_error_deg`` (sessions
        from before it was added, when the choice compared accuracies) is compared by its
        ``accuracy_deg``. Raises InputError on a missing key, an unknown variant, an error
        that is not None or a finite number >= 0, or a chosen variant that is not among
        the validated ones."""
        _check.require_keys(d, ("variants", "chosen"), "model choice")
        variants = d["variants"]
        if not isinstance(variants, dict) or not variants:
            raise InputError(f"model choice.variants must be a non-empty dict, got {variants!r}")
        errors, accuracy = {}, {}
        for name, entry in variants.items():
            if name not in C.MODEL_VARIANTS:
                raise InputError(f"model choice.variants has unknown variant {name!r} "
                                 f"(known: {', '.join(C.MODEL_VARIANTS)})")
            _check.require_keys(entry, ("accuracy_deg",), f"model choice.variants.{name}")
            values = {}
            for key in ("accuracy_deg", "mean_error_deg"):
                value = entry.get(key)
                values[key] = None if value is None else _check.non_negative(
                    value, f"model choice.variants.{name}.{key}")
            accuracy[name] = values["accuracy_deg"]
            errors[name] = values["mean_error_deg"] if "mean_error_deg" in entry else accuracy[name]
        chosen = d["chosen"]
        if not isinstance(chosen, str) or errors.get(chosen) is None:
            raise InputError(f"model choice.chosen must name a validated variant, got {chosen!r}")
        order = [n for n in C.MODEL_VARIANTS if n in errors]
        return cls(tuple((n, errors[n]) for n in order), chosen, tuple((n, accuracy[n]) for n in order))


def choose_model(validation_errors: dict, accuracy_deg: dict | None = None) -> ModelChoice:
    """Choose the gaze model variant with the lowest validation error.

    ``validation_errors``: ``{variant name: mean_error_deg}`` with names from
    ``MODEL_VARIANTS`` (``"landmark"``, ``"appearance"``, ``"combined"``) and errors
    in degrees (>= 0), or None for a variant that could not be fitted. The mean error
    (``Validation.mean_error_deg``) counts the jitter as well as the offset: a model
    whose mean gaze sits on the target but scatters around it puts each sample, and so
    the dot, the fixations and the heatmap, farther from where the person looked.
    Errors within ``MODEL_CHOICE_TIE_DEG`` of the lowest count as ties, won by the
    simplest variant (``MODEL_VARIANTS`` order). ``accuracy_deg``: optional ``{name:
    accuracy_deg}`` kept in the result for reports. Raises InputError on an unknown
    name, a bad error, or no variant with an error.
    """
    if not isinstance(validation_errors, dict):
        raise InputError(f"validation_errors must be a dict, got {type(validation_errors).__name__}")
    errors = {}
    for name, err in validation_errors.items():
        if name not in C.MODEL_VARIANTS:
            raise InputError(f"unknown model variant {name!r} (known: {', '.join(C.MODEL_VARIANTS)})")
        errors[name] = None if err is None else _check.non_negative(err, f"{name} error_deg", " deg")
    known = [(n, e) for n in C.MODEL_VARIANTS if (e := errors.get(n)) is not None]
    if not known:
        raise InputError(f"no model variant has a validation error: {validation_errors!r}")
    best = min(e for _, e in known)
    chosen = next(n for n, e in known if e <= best + C.MODEL_CHOICE_TIE_DEG)
    order = [n for n in C.MODEL_VARIANTS if n in errors]
    accuracy = accuracy_deg or {}
    return ModelChoice(tuple((n, errors[n]) for n in order), chosen,
                       tuple((n, accuracy.get(n)) for n in order))


def accept_click(gaze_xy, click_xy, px_per_deg, max_deg=C.SELF_CALIBRATION_MAX_DEG) -> bool:
    """True if a click at ``click_xy`` may train the model: the current gaze
    ``gaze_xy`` (CSS px; None, or an x or y of None, when there is no valid gaze) is
    within ``max_deg`` degrees of it, at ``px_per_deg`` CSS px per degree. With no
    gaze the click is refused: nothing shows that the person looked where they
    clicked. Raises InputError on non-finite coordinates, ``px_per_deg <= 0`` or
    ``max_deg < 0``.
    """
    cx, cy = _pair(click_xy, "click_xy")
    scale = _check.positive(px_per_deg, "px_per_deg", " px/deg")
    limit = _check.non_negative(max_deg, "max_deg", " deg")
    if gaze_xy is None or (isinstance(gaze_xy, (list, tuple)) and None in gaze_xy):
        return False
    gx, gy = _pair(gaze_xy, "gaze_xy")
    return math.hypot(gx - cx, gy - cy) / scale <= limit


# --- private helpers -------------------------------------------------------------------


@dataclass(frozen=True)
class _Block:
    """One target's (or the click samples') piece of the normal equations.

    ``gram``: ``X^T W X`` with weights summing to ``weight``; ``bx``, ``by``:
    ``X^T W goal`` per axis; ``mean``: the weighted mean design row; ``offset``: mean
    prior offset per axis; ``target``: the target's (x, y) px (None for clicks);
    ``cols``: design columns; ``goal``: per frame, target minus prior offset per axis;
    ``frame_targets``: per axis, each frame's target (a smooth-pursuit segment's moves;
    None for clicks); ``fold``: blocks with the same fold are left out together in
    cross-validation (see ``_fold``).
    """

    weight: float
    gram: list
    bx: list
    by: list
    mean: list | None
    offset: tuple | None
    target: tuple | None
    cols: list
    goal: tuple
    frame_targets: tuple | None = None
    fold: int = 0


def _vector(features):
    """``Features.vector()`` of a Features, a checked 8-number sequence, or None."""
    if features is None:
        return None
    if isinstance(features, Features):
        return features.vector()
    if not isinstance(features, (list, tuple)) or len(features) != len(VECTOR_NAMES):
        raise InputError(f"features must be Features or {len(VECTOR_NAMES)} numbers "
                         f"({', '.join(VECTOR_NAMES)}), got {features!r}")
    return tuple(_check.finite(v, f"features.{n}") for v, n in zip(features, VECTOR_NAMES))


def _feature_row(feats) -> tuple:
    """A checked tuple of ``APPEARANCE_FEATURE_COUNT`` finite numbers."""
    if not isinstance(feats, (list, tuple, array)) or len(feats) != APPEARANCE_FEATURE_COUNT:
        raise InputError(f"appearance features must be {APPEARANCE_FEATURE_COUNT} numbers "
                         f"(patch_features output), got {feats!r:.80}")
    row = tuple(feats)
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in row):
        for i, v in enumerate(row):
            _check.finite(v, f"appearance features[{i}]")
    return row


def _columns(feats: list) -> list:
    """Design columns ``[1, f_1, ..., f_m]`` of a list of feature rows."""
    n = len(feats)
    return [(1.0,) * n] + [list(c) for c in zip(*feats)] if n else \
        [[] for _ in range(1 + APPEARANCE_FEATURE_COUNT)]


def _extend_gram(g: list, cols: list, extra: list, w) -> list:
    """``X^T W X`` of ``cols + extra`` from ``g``, that of ``cols`` alone."""
    p, q = len(cols), len(extra)
    out = [row[:] + [0.0] * q for row in g] + [[0.0] * (p + q) for _ in range(q)]
    everything = cols + extra
    for k, column in enumerate(extra):
        for i, v in enumerate(cross(everything[:p + k + 1], w, column)):
            out[i][p + k] = out[p + k][i] = v
    return out


def _standardisation(blocks: list, landmark) -> tuple:
    """Appearance features' means and floored spreads over the targets (each target
    weighing 1), and the penalty factor per design column (0 for the intercept)."""
    targets = [b for b in blocks if b.target is not None]
    n = len(targets)
    mean, scale = [], []
    for j in range(1, 1 + APPEARANCE_FEATURE_COUNT):
        m = math.fsum(b.mean[j] for b in targets) / n
        second = math.fsum(b.gram[j][j] for b in targets) / n
        mean.append(m)
        scale.append(max(math.sqrt(max(second - m * m, 0.0)), C.APPEARANCE_SCALE_FLOOR))
    q = len(landmark.names) if landmark is not None else 0
    return tuple(mean), tuple(scale), [0.0] + [s * s for s in scale] + [1.0] * q


def _solve(blocks: list, pen: list, lams_x, lams_y, cross_validate: bool) -> tuple:
    """Ridge coefficients per axis; with ``cross_validate`` each axis's strength is
    chosen from its candidates by leave-one-target-out. Returns ``(coef_x, coef_y,
    lam_x, lam_y, loto_px or None, misses or None)``; ``misses``: per axis, each
    target's leave-one-out miss (px, prediction minus target; None where singular) at
    the chosen strength."""
    p = len(pen)
    total = [[math.fsum(b.gram[i][j] for b in blocks) for j in range(p)] for i in range(p)]
    tx = [math.fsum(b.bx[i] for b in blocks) for i in range(p)]
    ty = [math.fsum(b.by[i] for b in blocks) for i in range(p)]
    weight = math.fsum(b.weight for b in blocks)

    def system(a, lam, w):
        a = [row[:] for row in a]
        for i in range(p):
            a[i][i] += lam * w * pen[i]
        return a

    loto = chosen = None
    lam_x, lam_y = lams_x[0], lams_y[0]
    if cross_validate:
        targets = [b for b in blocks if b.target is not None]
        folds: dict = {}
        for k, b in enumerate(targets):
            folds.setdefault(b.fold, []).append(k)
        # Each fold's system without its targets, summed once for every strength.
        left_out = []
        for members in folds.values():
            out = [targets[k] for k in members]
            left_out.append((members,
                             [[u - math.fsum(b.gram[i][j] for b in out) for j, u in enumerate(r)]
                              for i, r in enumerate(total)],
                             [u - math.fsum(b.bx[i] for b in out) for i, u in enumerate(tx)],
                             [u - math.fsum(b.by[i] for b in out) for i, u in enumerate(ty)],
                             weight - math.fsum(b.weight for b in out)))
        misses = {}
        for lam in set(lams_x) | set(lams_y):
            mx, my = [None] * len(targets), [None] * len(targets)
            for members, a, bx, by, w in left_out:
                try:
                    low = cholesky(system(a, lam, w), _WHAT)
                except CalibrationError:
                    continue
                cx, cy = cho_solve(low, bx, _WHAT), cho_solve(low, by, _WHAT)
                for k in members:
                    b = targets[k]
                    mx[k] = dot(b.mean, cx) + b.offset[0] - b.target[0]
                    my[k] = dot(b.mean, cy) + b.offset[1] - b.target[1]
            misses[lam] = (mx, my)
        lam_x = _pick(lams_x, {lam: m[0] for lam, m in misses.items()})
        lam_y = _pick(lams_y, {lam: m[1] for lam, m in misses.items()})
        chosen = (misses[lam_x][0], misses[lam_y][1])
        loto = _mean_miss(*chosen)
    low = cholesky(system(total, lam_x, weight), _WHAT)
    coef_x = cho_solve(low, tx, _WHAT)
    if lam_y != lam_x:
        low = cholesky(system(total, lam_y, weight), _WHAT)
    coef_y = cho_solve(low, ty, _WHAT)
    return coef_x, coef_y, lam_x, lam_y, loto, chosen


def _fold(index: int) -> int:
    """Cross-validation fold of target ``index``: a dot is its own fold; smooth-pursuit
    segments are left out ``PURSUIT_CV_SEGMENTS`` consecutive ones at a time. Their
    neighbours in time see nearly the same eyes, head and screen region, so leaving one
    segment out alone would be optimistic (and ~4x as many solves at the end of a
    calibration with a pursuit pass)."""
    if index < C.PURSUIT_FIRST_INDEX:
        return index
    return C.PURSUIT_FIRST_INDEX + (index - C.PURSUIT_FIRST_INDEX) // C.PURSUIT_CV_SEGMENTS


def _mean_miss(mx, my):
    """Mean distance of per-target misses (px; None where unknown), or None."""
    pairs = [(ex, ey) for ex, ey in zip(mx, my) if ex is not None and ey is not None]
    return math.fsum(math.hypot(ex, ey) for ex, ey in pairs) / len(pairs) if pairs else None


def _blend_grid(step) -> tuple:
    """Weights ``(joint, features alone)`` on a grid of ``step``, the joint fit alone
    first."""
    n = round(1.0 / step)
    return tuple(((n - k) / n, k / n) for k in range(n + 1))


def _pick_blend(grid, parts) -> tuple:
    """The blend weights with the smallest RMS leave-one-target-out miss over the
    targets where every part's miss is known. ``parts``: per part, its misses on one
    axis; the blend's miss is the weighted sum (the parts' predictions are blended).
    The joint fit alone (``grid[0]``) stays unless another blend beats it by more than
    2 % (as ``_pick``: the score is noisy with few targets)."""
    rows = [m for m in zip(*parts) if None not in m]
    if not rows:
        return grid[0]

    def score(w):
        return math.fsum(dot(w, m) ** 2 for m in rows)

    best = min(grid[1:], key=score, default=grid[0])
    # RMS within 2 %: compare mean squares within 0.98 ** 2.
    return best if score(best) < 0.98 ** 2 * score(grid[0]) else grid[0]


def _pick(lambdas, misses: dict) -> float:
    """The strength with the smallest RMS miss, trying the strongest first; a weaker
    one must be better by more than 2 % (as the landmark calibration: with few targets
    the score is noisy, and the smoother model is the safer bet)."""
    best = None
    for lam in sorted(set(lambdas), reverse=True):
        known = [m for m in misses[lam] if m is not None]
        score = math.sqrt(math.fsum(m * m for m in known) / len(known)) if known else math.inf
        if best is None or score < 0.98 * best[0]:
            best = (score, lam)
    return best[1]


def _clean(feats: list, inputs: list, mads) -> list:
    """Indices of one target's frames kept after the blink-edge and outlier rules."""
    kept = list(range(len(feats)))
    if kept and all(v is not None for v in inputs):
        floor = C.CALIBRATION_OPENNESS_FRACTION * _median([v[_OPENNESS] for v in inputs])
        kept = [k for k in kept if inputs[k][_OPENNESS] >= floor]
    if mads is None or len(kept) < 3:
        return kept
    centre = [_median(c) for c in zip(*(feats[k] for k in kept))]
    dist = [math.dist(feats[k], centre) for k in kept]
    typical = _median(dist)
    spread = _MAD_TO_SD * _median([abs(d - typical) for d in dist])
    if spread <= 0.0:  # identical frames: nothing to call an outlier
        return kept
    limit = typical + mads * spread
    return [k for k, d in zip(kept, dist) if d <= limit]


def _median(values) -> float:
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else 0.5 * (v[n // 2 - 1] + v[n // 2])


def _pair(xy, name: str) -> tuple:
    if not isinstance(xy, (list, tuple)) or len(xy) != 2:
        raise InputError(f"{name} must be (x, y), got {xy!r}")
    return _check.finite(xy[0], f"{name}[0]"), _check.finite(xy[1], f"{name}[1]")

