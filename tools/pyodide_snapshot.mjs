// Build step: a Pyodide memory snapshot with the gazeheat package already imported.
//
// The browser worker restores it instead of starting Python from scratch (~1 s faster on
// a 2-core machine). Made with the same pinned Pyodide the site ships; gzip-compressed
// (~6 MB instead of ~31 MB). Usage: node tools/pyodide_snapshot.mjs PACKAGE.zip OUT.gz
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { loadPyodide } from "pyodide";
import { PATHS } from "../js/constants.js";

const [zipPath, outPath] = process.argv.slice(2);
if (!zipPath || !outPath) {
  console.error("usage: node tools/pyodide_snapshot.mjs PACKAGE.zip OUT.gz");
  process.exit(2);
}
let snapshot;
try {
  const pyodide = await loadPyodide({ _makeSnapshot: true });
  const zip = new Uint8Array(readFileSync(zipPath));
  pyodide.unpackArchive(zip, "zip", { extractDir: PATHS.pythonPackageDir });
  pyodide.pyimport("sys").path.insert(0, PATHS.pythonPackageDir);
  // Import every module of the package, so nothing is imported lazily from files later.
  const modules = pyodide.pyimport("pkgutil").walk_packages(
    [`${PATHS.pythonPackageDir}/gazeheat`], "gazeheat.");
  pyodide.pyimport("gazeheat");
  for (const info of modules) pyodide.pyimport(info.name);
  snapshot = pyodide.makeMemorySnapshot();
} catch (error) {
  // Pyodide's own stack is megabytes of minified code: print only the Python error.
  console.error(`snapshot failed: ${String(error.message ?? error).slice(-2000)}`);
  process.exit(1);
}
writeFileSync(outPath + ".part", gzipSync(snapshot, { level: 6 }));
renameSync(outPath + ".part", outPath);
console.log(`snapshot: ${(snapshot.length / 1e6).toFixed(1)} MB, written ${outPath}`);
