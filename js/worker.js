// The gaze engine: Pyodide in a module Web Worker, running py/gazeheat.
//
// Start-up is the named phases of messages.STARTUP_PHASES, each reported to the page;
// a failing phase is reported as "startup-failed" and never hangs silently. Requests are
// answered in arrival order; each calls one named Python function in gazeheat._worker
// with plain data and returns plain data.
import { loadPyodide } from "../vendor/pyodide/pyodide.mjs";
import { PATHS } from "./constants.js";
import { PY_CALLS, errorReply, okReply, progress, startupFailed } from "./messages.js";

const SITE_ROOT = new URL("../", import.meta.url);

/** @type {?Object} the gazeheat._worker module, once imported */
let api = null;
/** Requests that arrived before start-up finished. */
const early = [];

// Start downloading the package now, in parallel with the runtime.
const packageBytes = fetch(new URL(PATHS.pythonPackage, SITE_ROOT)).then((response) => {
  if (!response.ok) throw new Error(`${PATHS.pythonPackage}: HTTP ${response.status}`);
  return response.arrayBuffer();
});
packageBytes.catch(() => {}); // reported by the "package" phase, not as an unhandled rejection

/** The build's memory snapshot, decompressed; rejects if missing or broken. */
async function snapshotBytes() {
  const response = await fetch(new URL(PATHS.pythonSnapshot, SITE_ROOT));
  if (!response.ok) throw new Error(`${PATHS.pythonSnapshot}: HTTP ${response.status}`);
  // A host that serves .gz with Content-Encoding: gzip hands the body over already
  // decompressed; otherwise gunzip it while it downloads.
  const stream = response.headers.get("Content-Encoding")
    ? response.body : response.body.pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Pyodide restored from the snapshot; if that fails for any reason, started afresh. */
async function startPyodide() {
  const indexURL = new URL(PATHS.pyodideDir, SITE_ROOT).href;
  try {
    return await loadPyodide({ indexURL, _loadSnapshot: await snapshotBytes() });
  } catch (error) {
    console.warn(`gazeheat: no usable Python snapshot (${error.message}); starting Python afresh`);
    return loadPyodide({ indexURL });
  }
}

self.onmessage = (event) => {
  if (api === null) early.push(event.data);
  else handle(event.data);
};

/** Run phase i; on failure report it and stop start-up. */
async function phase(i, work) {
  self.postMessage(progress(i, false));
  try {
    const value = await work();
    self.postMessage(progress(i, true));
    return value;
  } catch (error) {
    self.postMessage(startupFailed(i, error));
    throw error;
  }
}

async function start() {
  const pyodide = await phase(0, startPyodide);
  await phase(1, async () => {
    // Also after a snapshot: the files back tracebacks and anything imported later.
    pyodide.unpackArchive(await packageBytes, "zip", { extractDir: PATHS.pythonPackageDir });
    const path = pyodide.pyimport("sys").path;
    if (!path.includes(PATHS.pythonPackageDir)) path.insert(0, PATHS.pythonPackageDir);
  });
  api = await phase(2, () => pyodide.pyimport("gazeheat._worker"));
  for (const request of early.splice(0)) handle(request);
}

/** Python's None arrives as undefined; the message schema uses null. */
function noneToNull(value) {
  if (value === undefined) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = noneToNull(value[i]);
  } else if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
    for (const key of Object.keys(value)) value[key] = noneToNull(value[key]);
  }
  return value;
}

/** Convert a Python result to plain JS data (dicts to objects, bytes to Uint8Array). */
function toPlain(value) {
  if (value === null || typeof value !== "object" || typeof value.toJs !== "function") {
    return noneToNull(value);
  }
  try {
    return noneToNull(value.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false }));
  } finally {
    value.destroy();
  }
}

/** @param {import("./messages.js").Request} request */
function handle(request) {
  const spec = PY_CALLS[request.type];
  if (!spec) {
    self.postMessage(errorReply(request.id, { type: "ProtocolError",
      message: `unknown request type: ${request.type}` }));
    return;
  }
  try {
    const args = spec.args.map((name) => request.payload[name] ?? null);
    /** @type {{ok: boolean, result?: *, error?: Object}} */
    const answer = toPlain(api[spec.fn](...args));
    if (answer.ok) {
      const transfer = answer.result?.png instanceof Uint8Array ? [answer.result.png.buffer] : [];
      self.postMessage(okReply(request.id, answer.result), transfer);
    } else {
      self.postMessage(errorReply(request.id, answer.error));
    }
  } catch (error) {
    self.postMessage(errorReply(request.id, error));
  }
}

start().catch(() => {
  // Already reported by phase(); answer anything queued so no caller waits forever.
  for (const request of early.splice(0)) {
    self.postMessage(errorReply(request.id, { type: "StartupError",
      message: "the gaze engine failed to start" }));
  }
  self.onmessage = (event) => self.postMessage(errorReply(event.data.id, {
    type: "StartupError", message: "the gaze engine failed to start" }));
});
