"""gazeheat.stimulus: stimulus geometry (viewport CSS px <-> stimulus native px)."""

import pytest

from gazeheat.errors import InputError
from gazeheat.stimulus import KINDS, StimulusGeometry


def _geometry(**changes):
    d = {"kind": "image", "name": "poster.png", "width_px": 1920, "height_px": 1080,
         "rect_x_px": 160.0, "rect_y_px": 90.0, "rect_w_px": 960.0, "rect_h_px": 540.0}
    d.update(changes)
    return d


def test_maps_viewport_px_to_native_px():
    g = StimulusGeometry.from_dict(_geometry())
    assert (g.scale_x, g.scale_y) == (2.0, 2.0)
    assert g.to_stimulus(160.0, 90.0) == (0.0, 0.0)
    assert g.to_stimulus(1120.0, 630.0) == (1920.0, 1080.0)
    assert g.to_stimulus(640.0, 360.0) == (960.0, 540.0)
    assert g.to_stimulus(100.0, 50.0) == (-120.0, -80.0)  # off the stimulus: not clipped
    assert g.to_stimulus(None, None) == (None, None)
    assert g.contains(0.0, 0.0) and g.contains(1919.9, 1079.9)
    assert not g.contains(1920.0, 5.0) and not g.contains(-0.1, 5.0) and not g.contains(None, 1)


def test_stretched_stimulus_scales_each_axis():
    g = StimulusGeometry.from_dict(_geometry(width_px=100, height_px=300, rect_w_px=400.0,
                                             rect_h_px=150.0))
    assert (g.scale_x, g.scale_y) == (0.25, 2.0)
    assert g.to_stimulus(360.0, 165.0) == (50.0, 150.0)


def test_dict_round_trip_and_defaults():
    d = _geometry()
    g = StimulusGeometry.from_dict(d)
    assert g.to_dict() == d
    assert StimulusGeometry.from_dict(g.to_dict()) == g
    no_name = {k: v for k, v in d.items() if k != "name"}
    assert StimulusGeometry.from_dict({**no_name, "future_field": 1}).name == ""
    # integral floats are accepted for the native size (JSON numbers from JS)
    assert StimulusGeometry.from_dict(_geometry(width_px=1920.0)).width_px == 1920
    assert set(KINDS) == {"image", "blank", "grid", "screen"}


def test_viewport_geometry():
    g = StimulusGeometry.viewport(1280, 720.4)
    assert (g.kind, g.width_px, g.height_px) == ("blank", 1280, 720)
    assert (g.rect_x_px, g.rect_y_px, g.rect_w_px, g.rect_h_px) == (0.0, 0.0, 1280.0, 720.4)
    assert g.to_stimulus(640.0, 360.2) == pytest.approx((640.0, 360.0), abs=1e-9)


def test_of_session_and_resized():
    session = {"viewport": {"width": 800, "height": 600}}
    assert StimulusGeometry.of_session(session) == StimulusGeometry.viewport(800, 600)
    assert StimulusGeometry.of_session({**session, "stimulus": _geometry()}).name == "poster.png"
    half = StimulusGeometry.from_dict(_geometry()).resized(960, 540)
    assert (half.width_px, half.height_px, half.rect_w_px, half.scale_x) == (960, 540, 960.0, 1.0)


@pytest.mark.parametrize("changes, message", [
    ({"kind": "video"}, "kind"), ({"width_px": 0}, "width_px"), ({"width_px": 10.5}, "width_px"),
    ({"height_px": True}, "height_px"), ({"rect_x_px": float("nan")}, "rect_x_px"),
    ({"rect_w_px": 0.0}, "rect_w_px"), ({"rect_h_px": -5}, "rect_h_px"),
    ({"rect_y_px": "3"}, "rect_y_px"), ({"name": 7}, "name"),
])
def test_invalid_fields_raise(changes, message):
    with pytest.raises(InputError, match=message):
        StimulusGeometry.from_dict(_geometry(**changes))


def test_missing_keys_and_non_dicts_raise():
    d = _geometry()
    del d["rect_w_px"]
    with pytest.raises(InputError, match="rect_w_px"):
        StimulusGeometry.from_dict(d)
    with pytest.raises(InputError, match="object"):
        StimulusGeometry.from_dict([1, 2])
    with pytest.raises(InputError, match="viewport width"):
        StimulusGeometry.viewport(0, 10)
