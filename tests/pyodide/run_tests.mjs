// Runs the Python unit tests inside Pyodide (the same runtime the page's worker uses),
// under Node, so Pyodide-only breakage is caught. Tests needing numpy/scipy/PIL skip
// there by design (see tests/conftest.py); golden fixtures and pure tests run.
//
// Environment (set by `python3 build.py test`):
//   GAZEHEAT_PYODIDE_WHEELS  pure-Python wheels (pytest and its dependencies), ':'-separated
// Exit code: pytest's.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const MOUNT = "/repo";

const wheels = (process.env.GAZEHEAT_PYODIDE_WHEELS || "").split(":").filter(Boolean);
if (wheels.length === 0) {
  console.error("GAZEHEAT_PYODIDE_WHEELS is empty: run through `python3 build.py test`");
  process.exit(2);
}

// Optional arguments: test files or node ids relative to the repository (default: all),
// e.g. `node tests/pyodide/run_tests.mjs tests/test_session.py` (with the env var above).
const targets = (process.argv.length > 2 ? process.argv.slice(2) : ["tests"])
  .map((path) => `${MOUNT}/${path.replace(/^\.\//, "")}`);

const pyodide = await loadPyodide();
pyodide.FS.mkdirTree(MOUNT);
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: ROOT }, MOUNT);
for (const wheel of wheels) {
  pyodide.unpackArchive(new Uint8Array(readFileSync(wheel)), "wheel");
}
const code = pyodide.runPython(`
import sys
sys.path.insert(0, "${MOUNT}/py")
sys.dont_write_bytecode = True
import pytest
print("Python", sys.version.split()[0], "on", sys.platform)
int(pytest.main([*${JSON.stringify(targets)}, "-q", "-p", "no:cacheprovider",
                 "--ignore=${MOUNT}/tests/browser", "--ignore=${MOUNT}/tests/pyodide"]))
`);
process.exit(code);
