"""Fixtures for the browser tests: one server for dist/, one Playwright, browsers per scene."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
from chromium import RequestLog, VIEWPORT, launch, serve_dist

playwright_sync = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="session")
def base_url():
    with serve_dist() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    with playwright_sync.sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browsers(playwright):
    """Browsers by fake-camera scene, launched on first use, closed at the end."""
    opened = {}

    def get(scene):
        if scene not in opened:
            opened[scene] = launch(playwright, scene)
        return opened[scene]

    yield get
    for browser in opened.values():
        browser.close()


@pytest.fixture
def open_page(browsers, base_url):
    """open_page(scene, query) -> (page, request_log). Every request of every page opened
    through this fixture is checked at teardown: none may leave 127.0.0.1."""
    contexts = []
    logs = []

    def open_(scene="demo", query="", permissions=("camera",)):
        context = browsers(scene).new_context(viewport=VIEWPORT, accept_downloads=True,
                                              permissions=list(permissions))
        contexts.append(context)
        log = RequestLog(context)
        logs.append(log)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        page.goto(base_url + ("?" + query if query else ""))
        return page, log

    yield open_
    for context in contexts:
        context.close()  # closing also triggers MediaPipe's close-time telemetry attempt
    for log in logs:
        assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"


def calibrate_and_validate(page, timeout_s: float = 150.0, before_accept=None) -> tuple[dict, dict]:
    """Run the page's calibration and validation (the fake webcam's face), accept the
    result; return (calibration summary, validation result). ``before_accept(page)``
    runs while the validation dialog is open."""
    from chromium import poll

    page.click("#btn-calibrate")
    summary = poll(page, "window.gazeheatDebug.calibration", timeout_s)
    assert "error" not in summary, summary
    validation = poll(page, "window.gazeheatDebug.validation", timeout_s)
    assert "error" not in validation, validation
    poll(page, "document.getElementById('validation').open", 10)
    if before_accept is not None:
        before_accept(page)
    page.click("#validation-accept")
    return summary, validation


def download_webcam_recording(page, tmp_path: Path) -> Path:
    """Stop the page's webcam recording (key W), save the downloaded zip and unpack it
    into ``tmp_path / "rec"``; return that directory (recording.json + webcam.webm)."""
    import zipfile

    with page.expect_download(timeout=60000) as info:
        page.keyboard.press("w")
    archive = tmp_path / "recording.zip"
    info.value.save_as(archive)
    directory = tmp_path / "rec"
    with zipfile.ZipFile(archive) as z:
        assert sorted(z.namelist()) == ["recording.json", "webcam.webm"]
        z.extractall(directory)
    return directory


def switch_setting(page, key: str, value: str | None = None) -> str:
    """A setting as the settings panel shows it; with ``value``, choose it first and wait
    until Python has applied it."""
    from chromium import poll

    page.click("#btn-settings")
    select = f"#settings-form select[name={key}]"
    if value is not None:
        page.select_option(select, value)
        poll(page, f"window.gazeheatDebug.settings && gazeheatDebug.settings.{key} === '{value}'", 10)
    shown = page.eval_on_selector(select, "s => s.value")
    page.click("#settings-close")
    return shown
