"""Heatmap studio in headless Chromium: open an image, record over it with the fake
webcam, download the overlay PNG, the gaze plot and both CSVs; check sizes and contents."""
from __future__ import annotations

import csv
import io
import time
from pathlib import Path

from chromium import poll
from conftest import calibrate_and_validate
from gazeheat.cli import main as cli_main
from gazeheat.png import decode_png_rgba

STARTUP_S = 90
STIMULUS = Path(__file__).resolve().parents[1] / "data" / "stimulus_160x90.png"


def download(page, what, tmp_path):
    with page.expect_download() as info:
        page.click(f'[data-download="{what}"]')
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    assert "stimulus_160x90" in path.name, path.name
    return path


def test_record_over_an_image_and_download_everything(open_page, tmp_path):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    assert page.is_disabled("#btn-record"), "recording needs a calibration first"
    calibrate_and_validate(page)
    page.click("#btn-record")
    page.set_input_files("#record-file", str(STIMULUS))
    page.click("#record-start")
    poll(page, "!document.getElementById('rec-badge').hidden", 20)
    assert page.is_visible("#stimulus img") and not page.is_visible("#toolbar")
    time.sleep(3)
    page.keyboard.press("Escape")
    poll(page, "document.getElementById('results').open", 30)
    summary = page.evaluate("gazeheatDebug.recording")
    assert summary["n_samples"] >= 30, summary
    assert "stimulus_160x90.png" in page.inner_text("#results-summary")

    for what in ("overlay", "gazeplot"):
        width, height, rgba = decode_png_rgba(download(page, what, tmp_path).read_bytes())
        assert (width, height) == (160, 90), f"{what} is not at the stimulus's native size"
        assert len(set(rgba[i:i + 3] for i in range(0, len(rgba), 4 * 7))) > 50, "no real picture"

    rows = list(csv.DictReader(io.StringIO(download(page, "samples", tmp_path).read_text("utf-8"))))
    assert len(rows) == summary["n_samples"]
    assert {"t_ms", "x_px", "y_px", "stim_x_px", "stim_y_px"} <= set(rows[0])
    times = [float(r["t_ms"]) for r in rows]
    assert times == sorted(times)
    fixations = download(page, "fixations", tmp_path).read_text("utf-8").splitlines()
    assert fixations[0].startswith("index,start_ms,end_ms,duration_ms,x_px,y_px")
    assert len(fixations) - 1 == summary["n_fixations"]

    # The same session renders identically from the command line.
    session = download(page, "session", tmp_path)
    overlay = download(page, "overlay", tmp_path)
    cli_png = tmp_path / "cli.png"
    assert cli_main(["heatmap", str(session), "--stimulus", str(STIMULUS), "-o", str(cli_png)]) == 0
    assert cli_png.read_bytes() == overlay.read_bytes(), "the page and the CLI rendered differently"

    # Changing the look in the results panel changes the download the same way.
    page.fill("#results-options input[name=opacity]", "0.4")
    page.select_option("#results-options select[name=colormap]", "viridis")
    page.dispatch_event("#results-options", "change")
    restyled = download(page, "overlay", tmp_path)
    assert restyled.read_bytes() != overlay.read_bytes()
    assert cli_main(["heatmap", str(session), "--stimulus", str(STIMULUS), "--opacity", "0.4",
                     "--colormap", "viridis", "-o", str(cli_png)]) == 0
    assert cli_png.read_bytes() == restyled.read_bytes()

    # An absolute scale (one top value for several maps) matches the CLI's --scale-max.
    page.fill("#results-options input[name=scale_max]", "0.25")
    page.dispatch_event("#results-options", "change")
    absolute = download(page, "overlay", tmp_path)
    assert absolute.read_bytes() != restyled.read_bytes()
    assert cli_main(["heatmap", str(session), "--stimulus", str(STIMULUS), "--opacity", "0.4",
                     "--colormap", "viridis", "--scale-max", "0.25", "-o", str(cli_png)]) == 0
    assert cli_png.read_bytes() == absolute.read_bytes()
    assert page.errors == []


def test_a_broken_image_is_refused_with_a_message(open_page, tmp_path):
    page, _ = open_page("demo", "source=camera")
    poll(page, "window.gazeheatDebug.answered > 0", STARTUP_S)
    calibrate_and_validate(page)
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    page.click("#btn-record")
    page.set_input_files("#record-file", str(broken))
    page.click("#record-start")
    poll(page, "!document.getElementById('record-error').hidden", 10)
    assert "could not be opened" in page.inner_text("#record-error")
    assert page.is_hidden("#rec-badge")
