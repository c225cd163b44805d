// Appearance model costs inside Pyodide (the worker's runtime), measured in Node, as
// bench/pyodide_cost.mjs does for the landmark model: a 9-target calibration whose
// frames carry eye patches (Float32Arrays, as the page sends them) through
// gazeheat._worker.frame, then
//   - fit_ms: the appearance and combined fits at the end of calibration (the
//     "appearance_fit_ms" that calibration_finish reports), one figure per run;
//   - pursuit_fit_ms: the same after the dots plus a smooth-pursuit pass (the plan's
//     path, one frame every 33.3 ms from its settle time on, as the page sends them);
//   - frame_ms per variant: one tracking frame through gazeheat._worker.frame
//     (features, patch features, the variant's prediction, filter, conversions);
//   - validation_frame_ms: one validation frame, where every variant predicts.
// The eyes are synthetic (a dark disc on a bright eye, moved with the gaze): cost does
// not depend on what the pixels show. Prints one JSON object on stdout.
//
// Usage: node bench/appearance_cost.mjs [RUNS]   (from the repository root)
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";
import { landmarksLookingAt, matrix, plain } from "./pyodide_face.mjs";
import { EYE_PATCH } from "../js/constants.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const RUNS = Number(process.argv[2] ?? 3);
const FRAMES = 600;
const W = EYE_PATCH.widthPx;
const H = EYE_PATCH.heightPx;

const pyodide = await loadPyodide();
pyodide.FS.mkdirTree("/repo");
pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: ROOT }, "/repo");
pyodide.pyimport("sys").path.insert(0, "/repo/py");
const api = pyodide.pyimport("gazeheat._worker");

let seed = 1;
const noise = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 - 0.5; };

/** Both eyes' normalised patches with the iris where the gaze (x, y) puts it. */
function patchesLookingAt(x, y) {
  const out = new Float32Array(2 * W * H);
  for (let eye = 0; eye < 2; eye++) {
    const cx = 2 + 16 * (0.5 + 0.2 * (x / 1280 - 0.5)), cy = 6 + 1.5 * (y / 720 - 0.5);
    let sum = 0;
    for (let j = 0; j < H; j++) {
      for (let i = 0; i < W; i++) {
        const g = 200 - 150 * Math.exp(-((i + 0.5 - cx) ** 2 + (j + 0.5 - cy) ** 2) / 12.5) + 10 * noise();
        out[eye * W * H + j * W + i] = g;
        sum += g;
      }
    }
    const base = eye * W * H, mean = sum / (W * H);
    let ss = 0;
    for (let k = base; k < base + W * H; k++) ss += (out[k] - mean) ** 2;
    const sd = Math.sqrt(ss / (W * H));
    for (let k = base; k < base + W * H; k++) out[k] = (out[k] - mean) / sd;
  }
  return out;
}

function frame(t, x, y, target) {
  return plain(api.frame(t, landmarksLookingAt(x, y, t), matrix, 640, 480,
    target?.index ?? null, target?.x_px ?? null, target?.y_px ?? null, patchesLookingAt(x, y)));
}

const pct = (times, p) => {
  const s = [...times].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
};

const fits = [];
const pursuitFits = [];
const frameMs = { landmark: [], appearance: [], combined: [] };
const validationMs = [];
let t = 0;
for (let run = 0; run < RUNS; run++) {
  plain(api.init(1280, 720));
  const targets = plain(api.calibration_start());
  for (const target of targets) {
    for (let k = 0; k < 45; k++, t += 33.3) frame(t, target.x_px, target.y_px, target);
  }
  const summary = plain(api.calibration_finish());
  fits.push(summary.appearance_fit_ms);
  pursuitFits.push(pursuitCalibration(targets));
  for (const variant of ["appearance", "combined"]) {
    if (summary.appearance_models[variant].error) throw new Error(summary.appearance_models[variant].error);
  }
  const validation = plain(api.validation_start());
  for (const target of validation) {
    for (let k = 0; k < 30; k++, t += 33.3) {
      const start = performance.now();
      frame(t, target.x_px, target.y_px, target);
      validationMs.push(performance.now() - start);
    }
  }
  plain(api.validation_finish());
  for (const variant of Object.keys(frameMs)) {
    // The benchmark times each variant as if validation had chosen it.
    pyodide.runPython(`import gazeheat._worker as w; w._tracker._chosen = ${JSON.stringify(variant)}`);
    for (let k = 0; k < FRAMES / RUNS; k++, t += 33.3) {
      const x = 640 + 300 * Math.sin(k / 50), y = 360 + 200 * Math.cos(k / 70);
      const start = performance.now();
      const sample = frame(t, x, y, null);
      frameMs[variant].push(performance.now() - start);
      if (sample.state !== "tracking") throw new Error(`unexpected state ${sample.state}`);
    }
  }
}

/** A calibration of the dots and a smooth-pursuit pass; its appearance fit time (ms). */
function pursuitCalibration(targets) {
  plain(api.calibration_start());
  for (const target of targets) {
    for (let k = 0; k < 45; k++, t += 33.3) frame(t, target.x_px, target.y_px, target);
  }
  const plan = plain(api.pursuit_plan());
  const points = plan.points;
  for (let s = plan.settle_ms; s < plan.duration_ms; s += 33.3, t += 33.3) {
    const k = Math.min(points.length - 2, Math.floor(s / (points[1].t_ms - points[0].t_ms)));
    const w = (s - points[k].t_ms) / (points[k + 1].t_ms - points[k].t_ms);
    const x = points[k].x_px + w * (points[k + 1].x_px - points[k].x_px);
    const y = points[k].y_px + w * (points[k + 1].y_px - points[k].y_px);
    const index = plan.first_index + Math.floor((s - plan.settle_ms) / plan.segment_ms);
    frame(t, x, y, { index, x_px: x, y_px: y });
  }
  const summary = plain(api.calibration_finish());
  if (!(summary.pursuit?.segments > 0)) throw new Error("the pursuit pass was not used");
  return summary.appearance_fit_ms;
}

console.log(JSON.stringify({
  fit_ms: { runs: fits, max: Math.max(...fits), median: pct(fits, 0.5) },
  pursuit_fit_ms: { runs: pursuitFits, max: Math.max(...pursuitFits), median: pct(pursuitFits, 0.5) },
  frame_ms: Object.fromEntries(Object.entries(frameMs).map(([k, v]) =>
    [k, { median: pct(v, 0.5), p99: pct(v, 0.99), n: v.length }])),
  validation_frame_ms: { median: pct(validationMs, 0.5), p99: pct(validationMs, 0.99), n: validationMs.length },
}));
