// What the two Pyodide cost benchmarks (pyodide_cost.mjs, appearance_cost.mjs) share:
// unwrapping gazeheat._worker's {ok, result | error} replies, and a frontal face from
// tests/data whose irises are shifted to look at a point of a 1280x720 viewport.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const IRISES = [468, 469, 470, 471, 472, 473, 474, 475, 476, 477];
const face = JSON.parse(readFileSync(resolve(ROOT, "tests/data/landmarks_frontal.json")));

/** The face's 4x4 transformation matrix (column-major), as MediaPipe gives it. */
export const matrix = Float32Array.from(face.matrix);

/** A worker reply (PyProxy) as plain JS: its result, or throw its error. */
export function plain(proxy) {
  const value = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  proxy.destroy();
  if (!value.ok) throw new Error(`${value.error.type}: ${value.error.message}`);
  return value.result;
}

/** 478x3 landmarks looking at (x, y) CSS px, with a little jitter varying with t. */
export function landmarksLookingAt(x, y, t) {
  const lm = Float32Array.from(face.landmarks);
  const dx = ((x / 1280) - 0.5) * 0.006 + 0.0002 * Math.sin(t);
  const dy = ((y / 720) - 0.5) * 0.003 + 0.0002 * Math.cos(t);
  for (const i of IRISES) { lm[3 * i] += dx; lm[3 * i + 1] += dy; }
  return lm;
}
