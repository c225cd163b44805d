"""Sessions kept in IndexedDB, in headless Chromium: written every second while recording,
so a reload mid-recording keeps the data; a finished recording is kept whole; a full
storage quota is reported and damages nothing already kept."""
from __future__ import annotations

import time

from chromium import poll
from conftest import calibrate_and_validate

STARTUP_S = 90

LIST = """async () => {
  const { SessionStore } = await import('/js/session_store.js');
  const store = await SessionStore.open();
  const all = await store.list();
  const out = [];
  for (const meta of all) {
    const session = await store.session(meta.id);
    const image = await store.image(meta.id);
    out.push({ meta: { ...meta, header: undefined }, n: session.samples.length,
               participant: session.participant, stimulus: session.stimulus ?? null,
               valid: session.samples.filter((s) => s.x !== null).length,
               times_ok: session.samples.every((s, i, a) => i === 0 || a[i - 1].t_ms <= s.t_ms),
               image: image && { type: image.media_type, size: image.blob.size } });
  }
  return out;
}"""


def record(page, participant, stimulus="grid"):
    page.click("#btn-record")
    page.fill("#record-participant", participant)
    page.check(f'#record-form input[value="{stimulus}"]')
    page.click("#record-start")
    poll(page, "!document.getElementById('rec-badge').hidden", 20)


def test_a_reload_mid_recording_keeps_the_data_and_a_finished_one_is_kept_whole(open_page, base_url):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    calibrate_and_validate(page)
    record(page, "P01 — reloaded")
    kept = poll(page, "window.gazeheatDebug.kept?.chunks >= 3 && window.gazeheatDebug.kept", 30)
    page.reload()  # the tab goes away mid-recording

    [interrupted] = page.evaluate(LIST)
    assert interrupted["meta"]["status"] == "interrupted"
    assert interrupted["participant"] == "P01 — reloaded"
    assert interrupted["n"] >= kept["samples"] > 30, "at most the last second may be lost"
    assert interrupted["n"] == interrupted["meta"]["n_samples"] and interrupted["times_ok"]
    assert interrupted["valid"] > 0
    assert interrupted["stimulus"]["kind"] == "grid" and interrupted["image"]["type"] == "image/png"

    # The returning page skips the calibration (kept), records again and stops normally.
    poll(page, "window.gazeheatDebug.savedCalibration?.offered", STARTUP_S)
    page.click("#btn-saved-calibration")
    poll(page, "document.getElementById('validation').open", STARTUP_S)
    page.click("#validation-accept")
    record(page, "P02", stimulus="sample:0")
    time.sleep(2.5)
    page.keyboard.press("Escape")
    poll(page, "window.gazeheatDebug.kept?.finished", 30)
    poll(page, "document.getElementById('results').open", 30)
    assert "Kept in this browser" in page.inner_text("#results-summary")
    summary = page.evaluate("gazeheatDebug.recording")
    sessions = {s["participant"]: s for s in page.evaluate(LIST)}
    assert set(sessions) == {"P01 — reloaded", "P02"}
    done = sessions["P02"]
    assert done["meta"]["status"] == "complete" and done["n"] == summary["n_samples"]
    assert done["meta"]["accuracy_deg"] is not None and done["meta"]["grade"]
    assert done["stimulus"]["kind"] == "image" and done["image"]["type"] == "image/png"
    assert sessions["P01 — reloaded"]["n"] == interrupted["n"], "the older session is untouched"
    assert page.errors == []

    # Both are listed in the dashboard, the interrupted one marked as such.
    page.goto(base_url + "dashboard.html")
    poll(page, "window.gazeheatDashboard?.ready && window.gazeheatDashboard.listed === 2", STARTUP_S)
    labels = page.evaluate("""[...document.querySelectorAll('#session-rows input')]
        .filter((i) => i.type !== 'checkbox').map((i) => i.value)""")
    assert sorted(labels) == ["P01 — reloaded", "P02"], labels
    assert "interrupted" in page.inner_text("#session-rows")
    assert page.errors == []


def test_a_full_storage_quota_is_reported_and_damages_nothing(open_page, base_url):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    calibrate_and_validate(page)
    record(page, "kept")
    poll(page, "window.gazeheatDebug.kept?.chunks >= 1", 30)
    page.keyboard.press("Escape")
    poll(page, "window.gazeheatDebug.kept?.finished", 30)
    page.click("#results-close")
    [before] = page.evaluate(LIST)

    # A real quota error: Chromium is told this origin may store (almost) nothing more.
    cdp = page.context.new_cdp_session(page)
    usage = page.evaluate("navigator.storage.estimate().then((e) => e.usage)")
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": base_url.rstrip("/"), "quotaSize": usage + 1})
    record(page, "too much")
    poll(page, "document.getElementById('message').textContent.includes('full')", 30)
    time.sleep(1.5)
    page.keyboard.press("Escape")  # the recording itself went on and finishes normally
    poll(page, "document.getElementById('results').open", 30)
    results = page.inner_text("#results-summary")
    assert "being kept in the browser" in results and "full" in results, results
    assert page.evaluate("gazeheatDebug.recording.n_samples") > 10
    cdp.send("Storage.overrideQuotaForOrigin", {"origin": base_url.rstrip("/")})
    after = page.evaluate(LIST)
    assert before in after, "what was kept before is intact"
    # The new recording keeps what fitted before the quota ran out (perhaps nothing).
    assert all(s["meta"]["status"] == "interrupted" for s in after if s != before)
    assert page.errors == []
