// Per-frame Python cost inside Pyodide (the worker's runtime), measured in Node:
// features + gaze model + filter through gazeheat._worker.frame, called from JS with a
// Float32Array and converted back as the worker does. Also fixation detection on one
// hour of 30 Hz samples, and a 100,000-sample heatmap at 1920x1080. Prints one JSON
// object on stdout.
//
// Usage (from build.py bench): node bench/pyodide_cost.mjs DIST_PY_ZIP
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";
import { landmarksLookingAt, matrix, plain } from "./pyodide_face.mjs";
import { PATHS } from "../js/constants.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FRAMES = 3000;

const pyodide = await loadPyodide();
pyodide.unpackArchive(new Uint8Array(readFileSync(process.argv[2])), "zip",
  { extractDir: PATHS.pythonPackageDir });
pyodide.pyimport("sys").path.insert(0, PATHS.pythonPackageDir);
const api = pyodide.pyimport("gazeheat._worker");

plain(api.init(1280, 720));
const targets = plain(api.calibration_start());
let t = 0;
for (const target of targets) {
  for (let k = 0; k < 40; k++, t += 33.3) {
    plain(api.frame(t, landmarksLookingAt(target.x_px, target.y_px, t), matrix, 640, 480,
      target.index, target.x_px, target.y_px));
  }
}
plain(api.calibration_finish());

const times = [];
for (let k = 0; k < FRAMES; k++, t += 33.3) {
  const lm = landmarksLookingAt(640 + 300 * Math.sin(k / 50), 360 + 200 * Math.cos(k / 70), t);
  const start = performance.now();
  const sample = plain(api.frame(t, lm, matrix, 640, 480, null, null, null));
  times.push(performance.now() - start);
  if (sample.state !== "tracking") throw new Error(`unexpected state ${sample.state}`);
}
times.sort((a, b) => a - b);
const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))];

// Fixations on one hour of 30 Hz samples (bench/fixations.py's synthetic scanpath).
pyodide.FS.mkdirTree("/repo");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: ROOT }, "/repo");
pyodide.pyimport("sys").path.insert(0, "/repo/bench");
const fixations = pyodide.pyimport("fixations").run().toJs({ dict_converter: Object.fromEntries });
// A heatmap of 100,000 samples at 1920x1080 (bench/heatmap.py): coarse grid, full size.
const heatmap = pyodide.pyimport("heatmap").run().toJs({ dict_converter: Object.fromEntries });

console.log(JSON.stringify({
  frame_ms: { median: pct(0.5), p99: pct(0.99), n: FRAMES },
  fixations,
  heatmap,
}));
