"""Stimulus geometry: what was shown, at what native size, and where in the viewport.

Gaze samples and fixations are in CSS px of the viewport. Heatmaps and gaze plots
are drawn in the stimulus's own pixels (an image at its native resolution), so a
``StimulusGeometry`` maps one to the other: the stimulus, ``width_px`` x
``height_px`` native pixels, was shown stretched over the rectangle ``rect_*_px``
of the viewport (CSS px, origin top-left)::

    stim_x = (x - rect_x_px) * width_px / rect_w_px
    stim_y = (y - rect_y_px) * height_px / rect_h_px

Sessions carry it as ``"stimulus": StimulusGeometry.to_dict()``; a session without
one was recorded over the whole viewport with nothing shown
(``StimulusGeometry.viewport``).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import _check
from .errors import InputError

__all__ = ["KINDS", "StimulusGeometry"]

#: What a stimulus can be: an image, an empty page, the calibration/test grid, or a
#: shared screen (screen capture).
KINDS = ("image", "blank", "grid", "screen")

_FIELDS = ("kind", "width_px", "height_px", "rect_x_px", "rect_y_px", "rect_w_px", "rect_h_px")


@dataclass(frozen=True)
class StimulusGeometry:
    """A stimulus of ``width_px`` x ``height_px`` native px (whole numbers >= 1) shown
    over the viewport rectangle at ``(rect_x_px, rect_y_px)`` of size ``rect_w_px`` x
    ``rect_h_px`` CSS px (finite; size > 0; it may extend past the viewport).
    ``kind``: one of ``KINDS``; ``name``: a label such as the image's file name.

    Raises InputError on a bad field (the constructor validates).
    """

    kind: str
    width_px: int
    height_px: int
    rect_x_px: float
    rect_y_px: float
    rect_w_px: float
    rect_h_px: float
    name: str = ""

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InputError(f"stimulus kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not isinstance(self.name, str):
            raise InputError(f"stimulus name must be a string, got {self.name!r}")
        checked = {
            "width_px": _check.positive_int(self.width_px, "stimulus width_px"),
            "height_px": _check.positive_int(self.height_px, "stimulus height_px"),
            "rect_x_px": _check.finite(self.rect_x_px, "stimulus rect_x_px"),
            "rect_y_px": _check.finite(self.rect_y_px, "stimulus rect_y_px"),
            "rect_w_px": _check.positive(self.rect_w_px, "stimulus rect_w_px", " px"),
            "rect_h_px": _check.positive(self.rect_h_px, "stimulus rect_h_px", " px"),
        }
        for key, value in checked.items():
            object.__setattr__(self, key, value)

    @classmethod
    def viewport(cls, width_px, height_px) -> StimulusGeometry:
        """No stimulus: the whole viewport (CSS px), kind ``"blank"``, one native px
        per CSS px (the native size is the viewport size rounded, at least 1).
        Raises InputError unless both sizes are finite and > 0."""
        w = _check.positive(width_px, "viewport width", " px")
        h = _check.positive(height_px, "viewport height", " px")
        return cls("blank", max(1, round(w)), max(1, round(h)), 0.0, 0.0, w, h)

    @classmethod
    def of_session(cls, session: dict) -> StimulusGeometry:
        """The geometry of a (validated) session: its ``"stimulus"`` if present, else
        ``viewport`` of its viewport. Raises InputError on a malformed stimulus."""
        stimulus = session.get("stimulus")
        if stimulus is not None:
            return cls.from_dict(stimulus)
        viewport = session["viewport"]
        return cls.viewport(viewport["width"], viewport["height"])

    @property
    def scale_x(self) -> float:
        """Native px per CSS px, horizontally."""
        return self.width_px / self.rect_w_px

    @property
    def scale_y(self) -> float:
        """Native px per CSS px, vertically."""
        return self.height_px / self.rect_h_px

    def to_stimulus(self, x_px, y_px) -> tuple:
        """Viewport CSS px -> stimulus native px ``(stim_x, stim_y)`` (not clipped:
        points off the stimulus map outside ``[0, width_px) x [0, height_px)``).
        None stays None."""
        if x_px is None or y_px is None:
            return None, None
        return ((x_px - self.rect_x_px) * self.scale_x, (y_px - self.rect_y_px) * self.scale_y)

    def contains(self, stim_x, stim_y) -> bool:
        """True if the stimulus point lies on the stimulus (``0 <= x < width_px``, same
        for y)."""
        return (stim_x is not None and stim_y is not None
                and 0.0 <= stim_x < self.width_px and 0.0 <= stim_y < self.height_px)

    def resized(self, width_px, height_px) -> StimulusGeometry:
        """The same stimulus at another native size (e.g. a smaller copy of the image):
        the viewport rectangle stays. Raises InputError on bad sizes."""
        return StimulusGeometry(self.kind, width_px, height_px, self.rect_x_px, self.rect_y_px,
                                self.rect_w_px, self.rect_h_px, self.name)

    def to_dict(self) -> dict:
        return {
            "kind": self.kind,
            "name": self.name,
            "width_px": self.width_px,
            "height_px": self.height_px,
            "rect_x_px": self.rect_x_px,
            "rect_y_px": self.rect_y_px,
            "rect_w_px": self.rect_w_px,
            "rect_h_px": self.rect_h_px,
        }

    @classmethod
    def from_dict(cls, d) -> StimulusGeometry:
        """Inverse of ``to_dict``; ``name`` may be missing (""), unknown keys are
        ignored. Raises InputError on a missing key or a bad value."""
        if not isinstance(d, dict):
            raise InputError(f"stimulus must be an object, got {type(d).__name__}")
        missing = [k for k in _FIELDS if k not in d]
        if missing:
            raise InputError(f"stimulus is missing {', '.join(missing)}")
        return cls(*(d[k] for k in _FIELDS), d.get("name", ""))
