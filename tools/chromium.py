"""Headless Chromium for the browser tests, the benchmarks and `build.py replay`: serve
dist/, launch Chromium (optionally with a fake webcam fed from a video file), and record
every request a page makes.

Chromium is Debian's (/usr/bin/chromium); Playwright only drives it. The browser is kept
off the network: every host name but localhost/127.0.0.1 resolves to nothing.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import build  # noqa: E402  (the same server and paths as `python3 build.py serve`)

MEDIA = Path(os.environ.get("GAZEHEAT_MEDIA", build.MEDIA_CACHE))
VIEWPORT = {"width": 1280, "height": 720}
OFFLINE_ARGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--disable-sync", "--disable-quic", "--no-sandbox", "--disable-gpu",
    "--autoplay-policy=no-user-gesture-required",
]


def fake_camera_args(scene: str | None) -> list[str]:
    """Chromium flags for a fake webcam playing MEDIA/<scene>.y4m; None = no camera grant."""
    if scene is None:
        return []
    video = MEDIA / f"{scene}.y4m"
    if not video.exists():
        raise FileNotFoundError(f"{video} is missing: run through `python3 build.py test`")
    return ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}"]


@contextmanager
def serve_dist(mounts: dict | None = None):
    """Serve dist/ (plus ``mounts``: URL prefix -> directory) on a free 127.0.0.1 port;
    yields the base URL."""
    server = build.make_server(0, mounts)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def launch(playwright, scene: str | None, extra_args: list[str] = ()):
    """Launch headless Chromium with the fake webcam for `scene`."""
    return playwright.chromium.launch(
        executable_path=str(build.CHROMIUM), headless=True,
        args=[*OFFLINE_ARGS, *fake_camera_args(scene), *extra_args])


class RequestLog:
    """Every request a page (and its workers) makes, by URL."""

    def __init__(self, context):
        self.urls: list[str] = []
        context.on("request", lambda request: self.urls.append(request.url))

    def foreign(self) -> list[str]:
        """Requests that left 127.0.0.1 (data:/blob: URLs stay inside the page)."""
        return [u for u in self.urls
                if not (u.startswith("http://127.0.0.1:") or u.startswith(("data:", "blob:")))]


def poll(page, expression: str, timeout_s: float = 60.0, interval_s: float = 0.25):
    """Evaluate `expression` until it is truthy; return its value.

    (Playwright's wait_for_function evaluates a string, which the page's CSP refuses.)
    """
    deadline = time.monotonic() + timeout_s
    value = None
    while time.monotonic() < deadline:
        value = page.evaluate(expression)
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"timed out after {timeout_s}s waiting for: {expression} (last: {value!r})")
