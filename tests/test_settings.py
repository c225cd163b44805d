"""gazeheat.settings: the schema the settings panel is built from, and validation."""
import pytest

from gazeheat import constants as C
from gazeheat.errors import InputError
from gazeheat.filters import KalmanFilter, OneEuroFilter
from gazeheat.settings import (SETTINGS, default_settings, fixation_params, heatmap_sigma_px,
                               make_filter, settings_schema, validate_settings)


def test_schema_lists_every_setting_with_a_valid_default():
    schema = settings_schema()
    assert [s["key"] for s in schema] == [s.key for s in SETTINGS]
    for spec in schema:
        assert spec["label"] and spec["help"]
        if spec["kind"] == "number":
            assert spec["min"] <= spec["default"] <= spec["max"], spec
        else:
            assert spec["default"] in [k for k, _ in spec["choices"]], spec
    assert validate_settings({}) == default_settings()


def test_defaults_come_from_constants():
    d = default_settings()
    assert d["one_euro_min_cutoff_hz"] == C.ONE_EURO_MIN_CUTOFF_HZ
    assert d["ivt_velocity_threshold_deg_s"] == C.IVT_VELOCITY_THRESHOLD_DEG_S
    assert d["heatmap_sigma_deg"] == C.HEATMAP_SIGMA_DEG


def test_unknown_keys_are_dropped_and_missing_keys_defaulted():
    values = validate_settings({"filter": "kalman", "from_the_future": 3})
    assert values["filter"] == "kalman" and "from_the_future" not in values
    assert values["fixation_method"] == "ivt"


@pytest.mark.parametrize("bad, words", [
    ({"filter": "median"}, "Smoothing"),
    ({"one_euro_beta": -1}, "between"),
    ({"heatmap_sigma_deg": float("nan")}, "finite"),
    ({"fixation_min_duration_ms": "100"}, "number"),
    ({"fixation_method": None}, "Fixation algorithm"),
    ([("filter", "none")], "object"),
    ({"smooth_pursuit": True}, "Smooth-pursuit pass"),
])
def test_bad_values_are_refused_with_the_setting_named(bad, words):
    with pytest.raises(InputError, match=words):
        validate_settings(bad)


def test_objects_built_from_settings():
    assert isinstance(make_filter(validate_settings({})), OneEuroFilter)
    assert isinstance(make_filter(validate_settings({"filter": "kalman"})), KalmanFilter)
    assert make_filter(validate_settings({"filter": "none"})) is None
    ivt = fixation_params(validate_settings({}))
    assert ivt["method"] == "ivt" and "velocity_threshold_deg_s" in ivt
    idt = fixation_params(validate_settings({"fixation_method": "idt"}))
    assert idt["method"] == "idt" and "dispersion_threshold_deg" in idt
    assert heatmap_sigma_px(validate_settings({"heatmap_sigma_deg": 2.0}), 40.0) == 80.0


def test_smooth_pursuit_is_a_switch_on_by_default():
    spec = next(s for s in settings_schema() if s["key"] == "smooth_pursuit")
    assert spec["kind"] == "choice" and spec["label"] == "Smooth-pursuit pass"
    assert default_settings()["smooth_pursuit"] == "on"
    assert validate_settings({"smooth_pursuit": "off"})["smooth_pursuit"] == "off"
