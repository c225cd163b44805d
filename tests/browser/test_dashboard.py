"""The dashboard in headless Chromium: import several session files at once (bad ones
refused with a message, changing nothing), aggregate heatmap with an exclusion, group
comparison, a session's heatmap/gaze plot/replay, an AOI drawn with the mouse and its
table as CSV (checked against gazeheat.aoi on the same files), export → delete →
re-import of a session, and no request leaving 127.0.0.1."""
from __future__ import annotations

import json
import random
import struct
from pathlib import Path

import pytest

from chromium import poll
from gazeheat.aoi import aoi_csv, aoi_table
from gazeheat.png import decode_png_rgba
from gazeheat.session import load_session, make_session, make_stimulus_image, stimulus_key

STARTUP_S = 90
ROOT = Path(__file__).resolve().parents[2]
COFFEE = ROOT / "dist" / "media" / "samples" / "coffee.png"
VIEWPORT = (1280, 720)
MAX_IMPORT_BYTES = 512 * 1024 * 1024  # js/constants.js DASHBOARD.maxImportBytes


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def coffee_geometry() -> dict:
    """coffee.png fitted into the viewport as the tracker shows a stimulus."""
    w, h = png_size(COFFEE.read_bytes())
    scale = min(VIEWPORT[0] / w, VIEWPORT[1] / h)
    return {"kind": "image", "name": "coffee.png", "width_px": w, "height_px": h,
            "rect_x_px": (VIEWPORT[0] - w * scale) / 2, "rect_y_px": (VIEWPORT[1] - h * scale) / 2,
            "rect_w_px": w * scale, "rect_h_px": h * scale}


def gaze_samples(rng: random.Random, geometry: dict, seconds: float = 8.0) -> list[dict]:
    """30 Hz gaze that dwells ~0.4-0.8 s at random places on the stimulus (fixations),
    with jitter and a few blinks (null samples)."""
    samples, t = [], 0.0
    while t < seconds * 1000:
        x = geometry["rect_x_px"] + rng.uniform(0.05, 0.95) * geometry["rect_w_px"]
        y = geometry["rect_y_px"] + rng.uniform(0.05, 0.95) * geometry["rect_h_px"]
        for _ in range(rng.randint(12, 24)):
            if rng.random() < 0.03:
                samples.append({"t_ms": t, "x": None, "y": None})
            else:
                samples.append({"t_ms": t, "x": x + rng.gauss(0, 3), "y": y + rng.gauss(0, 3)})
            t += 1000 / 30
    return samples


def session_file(tmp_path: Path, name: str, participant: str, seed: int, accuracy_deg: float) -> Path:
    rng = random.Random(seed)
    geometry = coffee_geometry()
    session = make_session(gaze_samples(rng, geometry), *VIEWPORT,
                           created=f"2026-03-0{seed}T10:00:00.000+00:00", app_version="test")
    session.update({
        "participant": participant, "recording_id": f"test-{seed}", "stimulus": geometry,
        "px_per_deg": 40.0,
        "validation": {"accuracy_deg": accuracy_deg, "accuracy_px": 40 * accuracy_deg,
                       "precision_deg": 0.3, "precision_px": 12.0, "px_per_deg": 40.0,
                       "grade": "good" if accuracy_deg < 2 else "fair", "targets": []},
        "stimulus_image": make_stimulus_image(COFFEE.read_bytes(), "image/png"),
    })
    path = tmp_path / name
    path.write_text(json.dumps(session), "utf-8")
    load_session(path.read_bytes())  # a valid file, by gazeheat's own reader
    return path


def rows(page) -> int:
    return page.evaluate("document.querySelectorAll('#session-rows tr').length")


def import_files(page, paths, expected_lines: int) -> list[dict]:
    page.evaluate("window.gazeheatDashboard.imports = []")
    page.set_input_files("#import-files", [str(p) for p in paths])
    return poll(page, f"window.gazeheatDashboard.imports.length === {expected_lines} "
                      "&& window.gazeheatDashboard.imports", 60)


def download(page, selector, tmp_path) -> Path:
    with page.expect_download() as info:
        page.click(selector)
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    return path


@pytest.fixture
def files(tmp_path):
    good = [session_file(tmp_path, "p1.json", "P1", 1, 0.8),
            session_file(tmp_path, "p2.json", "=P2, \"quoted\"", 2, 1.4),
            session_file(tmp_path, "p3.json", "P3", 3, 3.0)]
    text = good[0].read_text("utf-8")
    bad = {
        "corrupt.json": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "truncated.json": text[: len(text) // 2].encode("utf-8"),
        "nested.json": b"[" * 100_000 + b"]" * 100_000,
        "types.json": json.dumps({"format": "gazeheat.session", "version": 1, "created": 12,
                                  "viewport": "big", "samples": {"t_ms": []}}).encode(),
        "huge-number.json": text.replace('"t_ms": 0.0', '"t_ms": 1e400', 1).encode(),
        "not-a-session.json": json.dumps({"hello": "world"}).encode(),
    }
    bad_paths = []
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
        bad_paths.append(tmp_path / name)
    oversized = tmp_path / "oversized.json"
    with oversized.open("wb") as f:  # sparse: no disk space, never read by the page
        f.truncate(MAX_IMPORT_BYTES + 1)
    bad_paths.append(oversized)
    return good, bad_paths


def test_import_aggregate_aois_export(open_page, base_url, files, tmp_path):
    good, bad = files
    page, _ = open_page(None, permissions=())
    page.goto(base_url + "dashboard.html")
    poll(page, "window.gazeheatDashboard && window.gazeheatDashboard.ready", STARTUP_S)
    assert rows(page) == 0
    assert page.is_visible("#session-empty")

    # Bad files, several at once: each refused with its reason; nothing is listed.
    report = import_files(page, bad, len(bad))
    assert [line["outcome"] for line in report] == ["rejected"] * len(bad), report
    reasons = {line["name"]: line["reason"] for line in report}
    assert "too large" in reasons["oversized.json"] and "not read" in reasons["oversized.json"]
    assert "UTF-8" in reasons["corrupt.json"]
    assert "JSON" in reasons["truncated.json"]
    assert "nested" in reasons["nested.json"] or "deep" in reasons["nested.json"]
    assert "created" in reasons["types.json"] or "viewport" in reasons["types.json"]
    assert "t_ms" in reasons["huge-number.json"]
    assert "format" in reasons["not-a-session.json"]
    shown = page.inner_text("#import-report")
    assert "oversized.json: rejected" in shown and "truncated.json: rejected" in shown
    assert rows(page) == 0

    # Dropped onto the page: the same checks.
    page.evaluate("window.gazeheatDashboard.imports = []")
    page.evaluate("""() => {
        const files = new DataTransfer();
        files.items.add(new File(['{"format": "gazeheat.session", "version": 2}'], "dropped.json"));
        document.body.dispatchEvent(new DragEvent("drop", { dataTransfer: files, bubbles: true, cancelable: true }));
    }""")
    report = poll(page, "window.gazeheatDashboard.imports.length === 1 && window.gazeheatDashboard.imports", 30)
    assert report[0]["outcome"] == "rejected" and "version" in report[0]["reason"], report
    assert rows(page) == 0

    # Three good files and a bad one together: the bad one changes nothing.
    report = import_files(page, [*good, bad[1]], 4)
    assert [line["outcome"] for line in report] == ["imported"] * 3 + ["rejected"], report
    poll(page, "document.querySelectorAll('#session-rows tr').length === 3", 10)
    listed = page.inner_text("#session-rows")
    for label in ("P1", "P3"):
        assert page.locator(f"#session-rows tr[data-participant='{label}']").count() == 1
    assert "coffee.png (600×400)" in listed and "imported" in listed and "3.0° (fair)" in listed
    assert page.locator("#session-rows img.thumb").count() == 3
    # The page groups by the same stimulus key as gazeheat.session.stimulus_key.
    key = stimulus_key(load_session(good[0].read_bytes()))
    options = page.evaluate("[...document.querySelectorAll('#filter-stimulus option')].map(o => o.value)")
    assert options == ["", key]

    # Sorting by accuracy, both ways.
    page.click("#session-table th button[data-sort=accuracy]")
    first = page.eval_on_selector("#session-rows tr input.participant", "e => e.value")
    assert first == "P1"
    page.click("#session-table th button[data-sort=accuracy]")
    assert page.eval_on_selector("#session-rows tr input.participant", "e => e.value") == "P3"
    # Filtering by text.
    page.fill("#filter-text", "p3")
    assert rows(page) == 1
    page.fill("#filter-text", "")
    assert rows(page) == 3

    # Aggregate: tick all, leave out validation errors above 2°.
    assert page.is_disabled("#btn-aggregate")
    page.check("#select-all")
    page.fill("#render-options input[name=max_error_deg]", "2")
    page.click("#btn-aggregate")
    aggregate = poll(page, "window.gazeheatDashboard.aggregate", 60)
    assert aggregate["included"] == 2
    assert [e["reason"] for e in aggregate["excluded"]] == ["validation 3.0° > 2.0°"]
    assert "P3" in page.inner_text("#aggregate-excluded")
    png = download(page, "#aggregate-download", tmp_path).read_bytes()
    width, height, _ = decode_png_rgba(png)
    assert width >= 600 and height > 400, (width, height)  # the map, the legend under it

    # Compare: P1 in group A, P2 and P3 in group B (no limit: all of them count).
    page.fill("#render-options input[name=max_error_deg]", "")
    page.uncheck("#select-all")
    page.check("#session-rows tr[data-participant='P1'] input.select")
    page.click("#btn-group-a")
    page.uncheck("#select-all")
    page.check("#select-all")
    page.uncheck("#session-rows tr[data-participant='P1'] input.select")
    page.click("#btn-group-b")
    page.click("#btn-compare")
    compare = poll(page, "window.gazeheatDashboard.compare", 60)
    assert compare["titles"] == ["A: 1 of 1 sessions", "B: 2 of 2 sessions"]
    png = download(page, "#compare-download", tmp_path).read_bytes()
    width, _, _ = decode_png_rgba(png)
    assert width >= 2 * 600

    # Areas of interest: one rectangle dragged with the mouse, then the table as CSV.
    page.check("#select-all")
    page.click("#btn-aois-selection")
    poll(page, "!document.getElementById('aois').hidden", 10)
    canvas = page.locator("#aoi-editor canvas")
    poll(page, "document.querySelector('#aoi-editor canvas').width === 600", 10)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.1 * box["width"], box["y"] + 0.1 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.4 * box["width"], box["y"] + 0.3 * box["height"], steps=5)
    page.mouse.move(box["x"] + 0.7 * box["width"], box["y"] + 0.8 * box["height"], steps=5)
    page.mouse.up()
    assert page.locator("#aoi-editor input.aoi-name").count() == 1
    page.fill("#aoi-editor input.aoi-name", "Cup")
    page.press("#aoi-editor input.aoi-name", "Tab")
    page.click("#aoi-table-run")
    poll(page, "window.gazeheatDashboard.aoiTable", 60)
    assert page.locator("#aoi-table tbody tr").count() == 3
    csv_text = download(page, "#aoi-table-download", tmp_path).read_text("utf-8")
    aois = page.evaluate("window.gazeheatDashboard.aois")
    assert [a["name"] for a in aois] == ["Cup"] and aois[0]["kind"] == "rect"
    (x0, y0), (x1, y1) = aois[0]["points_px"]
    assert abs(x0 - 60) < 3 and abs(y0 - 40) < 3 and abs(x1 - 420) < 3 and abs(y1 - 320) < 3, aois
    # The same table from gazeheat.aoi on the original files, in the table's order.
    order = page.evaluate("window.gazeheatDashboard.aoiTable.sessions")
    by_id = {s["recording_id"]: s for s in (load_session(p.read_bytes()) for p in good)}
    expected = aoi_csv(aoi_table([by_id[i] for i in order], aois))
    assert csv_text == expected
    assert csv_text.splitlines()[0].startswith("participant,session,aoi,ttff_ms,dwell_ms")
    assert "'=P2" in csv_text  # a formula-looking label is defused

    # The areas are kept with the stimulus: reopening shows them again.
    page.click("#aois-close")
    page.click("#btn-aois-selection")
    poll(page, "document.querySelectorAll('#aoi-editor input.aoi-name').length === 1", 10)

    # One session: heatmap, gaze plot, replay; export, delete, import again.
    page.click("#session-rows tr[data-participant='P1'] button")
    poll(page, "!document.getElementById('detail').hidden && window.gazeheatDashboard.rendered >= 1", 60)
    width, height, _ = decode_png_rgba(download(page, "#detail-download", tmp_path).read_bytes())
    assert (width, height) == (600, 400)
    page.click("#detail .tabs button[data-view=gazeplot]")
    poll(page, "window.gazeheatDashboard.rendered >= 2", 60)
    page.click("#detail .tabs button[data-view=replay]")
    poll(page, "document.querySelector('#detail-view-replay canvas').width === 600", 10)
    page.eval_on_selector("#detail-view-replay input[type=range]",
                          "e => { e.value = '4000'; e.dispatchEvent(new Event('input')); }")
    assert page.inner_text("#detail-view-replay .player-time").startswith("0:04.0")
    exported = download(page, "#detail-export", tmp_path)
    session = load_session(exported.read_bytes())
    original = load_session(good[0].read_bytes())
    assert session["samples"] == original["samples"]
    assert session["stimulus_image"] == original["stimulus_image"]
    assert session["participant"] == "P1" and session["recording_id"] == "test-1"

    page.click("#detail-delete")
    poll(page, "document.getElementById('confirm').open", 5)
    page.click("#confirm button[value=cancel]")
    assert rows(page) == 3
    page.click("#detail-delete")
    poll(page, "document.getElementById('confirm').open", 5)
    page.click("#confirm-ok")
    poll(page, "document.querySelectorAll('#session-rows tr').length === 2", 10)
    assert page.is_hidden("#detail")

    report = import_files(page, [exported], 1)
    assert report[0]["outcome"] == "imported", report
    poll(page, "document.querySelectorAll('#session-rows tr').length === 3", 10)
    report = import_files(page, [exported], 1)
    assert report[0]["outcome"] == "skipped" and "already" in report[0]["reason"], report
    assert rows(page) == 3

    # Renaming from the list sticks (IndexedDB), also after a reload.
    page.fill("#session-rows tr[data-participant='P3'] input.participant", "P3 renamed")
    page.press("#session-rows tr[data-participant='P3'] input.participant", "Enter")
    poll(page, "document.querySelectorAll(\"#session-rows tr[data-participant='P3 renamed']\").length === 1", 10)
    page.reload()
    poll(page, "window.gazeheatDashboard && window.gazeheatDashboard.ready", STARTUP_S)
    poll(page, "document.querySelectorAll('#session-rows tr').length === 3", 10)
    assert page.locator("#session-rows tr[data-participant='P3 renamed']").count() == 1
    assert page.is_hidden("#dash-message")
    assert page.evaluate("window.gazeheatDashboard.errors") == []
    assert page.errors == []
