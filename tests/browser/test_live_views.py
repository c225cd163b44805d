"""Live views (trail, fixations, live heatmap), keyboard shortcuts, the help and the
settings panel with persistence, in headless Chromium on the fake webcam."""
from __future__ import annotations

import time

from chromium import poll

STARTUP_S = 90

LIVE_PIXELS = """() => {
    const c = document.getElementById('live');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 16) if (d[i] > 0) n++;
    return n;
}"""


def test_trail_fixations_and_live_heatmap_draw_while_frames_keep_coming(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    page.keyboard.press("c")  # calibrate by keyboard
    summary = poll(page, "window.gazeheatDebug.calibration", 60)
    assert "error" not in summary, summary
    poll(page, "window.gazeheatDebug.validation", 60)
    page.keyboard.press("Enter")  # the focused Accept button
    poll(page, "(window.gazeheatDebug.states.tracking || 0) > 30", 30)
    assert page.evaluate(LIVE_PIXELS) > 0, "the trail is not drawn"

    page.keyboard.press("f")
    page.keyboard.press("h")
    assert page.get_attribute('#view-toggles button[data-view="fixations"]', "aria-pressed") == "true"
    refreshes = page.evaluate("gazeheatDebug.liveRefreshes || 0")
    before = page.evaluate("({a: gazeheatDebug.answered, t: performance.now()})")
    time.sleep(4)
    after = page.evaluate("({a: gazeheatDebug.answered, t: performance.now()})")
    assert page.evaluate("gazeheatDebug.liveRefreshes") >= refreshes + 2, "live views not refreshed"
    assert page.is_visible("#heatmap") and page.is_visible("#legend")
    # Loose bound (the benchmark measures speed): frames keep flowing during refreshes.
    fps = (after["a"] - before["a"]) / ((after["t"] - before["t"]) / 1000)
    assert fps > 10, f"only {fps:.1f} frames/s answered while the live heatmap refreshed"
    assert page.evaluate("gazeheatDebug.engineErrors") == 0

    page.keyboard.press("t")  # trail off: the canvas clears (fixations stay)
    page.keyboard.press("f")
    poll(page, f"({LIVE_PIXELS})() === 0", 5)
    page.keyboard.press("d")
    poll(page, "document.getElementById('gaze-dot').hidden", 5)
    assert page.errors == []


def test_help_lists_the_shortcuts(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    page.keyboard.press("?")
    poll(page, "document.getElementById('help').open", 5)
    text = page.inner_text("#help-shortcuts")
    for words in ("Trail on/off", "Fixations on/off", "Live heatmap on/off", "Calibrate", "Settings"):
        assert words in text, text


def test_settings_are_validated_and_kept_across_reloads(open_page, base_url):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    page.keyboard.press("s")
    poll(page, "document.getElementById('settings').open", 5)
    page.select_option("select[name=filter]", "kalman")
    page.fill("input[name=heatmap_sigma_deg]", "2.5")
    page.press("input[name=heatmap_sigma_deg]", "Enter")
    poll(page, "window.gazeheatDebug.settings && gazeheatDebug.settings.heatmap_sigma_deg === 2.5", 10)
    page.fill("input[name=ivt_velocity_threshold_deg_s]", "9999")
    page.press("input[name=ivt_velocity_threshold_deg_s]", "Enter")
    poll(page, "!document.getElementById('settings-error').hidden", 10)
    assert "between" in page.inner_text("#settings-error")

    page.reload()
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert page.input_value("select[name=filter]") == "kalman"
    assert page.input_value("input[name=heatmap_sigma_deg]") == "2.5"
    page.keyboard.press("s")
    page.click("#settings-reset")
    poll(page, "window.gazeheatDebug.settings && gazeheatDebug.settings.filter === 'one_euro'", 10)

    # A corrupt saved entry falls back to the defaults with a message, never a dead page.
    page.evaluate("localStorage.setItem('gazeheat.settings.v1', '{not json')")
    page.reload()
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert "corrupt" in page.inner_text("#message")
    assert page.input_value("select[name=filter]") == "one_euro"


def test_recentre_after_calibration(open_page):
    from conftest import calibrate_and_validate

    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert page.is_disabled("#btn-recentre")
    calibrate_and_validate(page)
    page.keyboard.press("x")
    poll(page, "!document.getElementById('cal-target').hidden", 10)
    result = poll(page, "window.gazeheatDebug.recentre", 30)
    assert "error" not in result and result["n_samples"] > 10, result
    assert "Re-centred" in page.inner_text("#message")


def test_match_a_card_sets_the_screen_scale(open_page):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    page.keyboard.press("s")
    page.click("#settings-card")
    poll(page, "document.getElementById('card-dialog').open", 5)
    page.fill("#card-width", "428")  # a card measured 428 CSS px wide: 50 px/cm
    page.dispatch_event("#card-width", "input")
    assert page.evaluate("document.getElementById('card-outline').getBoundingClientRect().width") == 428
    page.click("#card-use")
    poll(page, "window.gazeheatDebug.settings && gazeheatDebug.settings.screen_px_per_cm === 50", 10)
