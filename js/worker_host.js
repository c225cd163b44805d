// Page side of the worker: starts it, relays start-up progress, and turns requests into
// promises. Never blocks the main thread; a reply that never comes times out.
import { PATHS, WORKER } from "./constants.js";
import { makeRequest } from "./messages.js";

export class WorkerHost {
  /**
   * @param {(p: import("./messages.js").Progress) => void} onProgress
   * @param {(f: import("./messages.js").StartupFailed) => void} onStartupFailed
   */
  constructor(onProgress, onStartupFailed) {
    this.nextId = 1;
    /** @type {Map<number, {resolve: Function, reject: Function, timer: number}>} */
    this.pending = new Map();
    this.worker = new Worker(new URL(PATHS.worker, import.meta.url), { type: "module" });
    this.worker.onmessage = (event) => this.receive(event.data, onProgress, onStartupFailed);
    this.worker.onerror = (event) => {
      event.preventDefault();
      onStartupFailed({ kind: "startup-failed", phase: "load",
        error: { type: "WorkerError", message: event.message || "the worker script failed to load" } });
    };
  }

  receive(message, onProgress, onStartupFailed) {
    if (message.kind === "progress") return onProgress(message);
    if (message.kind === "startup-failed") return onStartupFailed(message);
    const waiting = this.pending.get(message.id);
    if (!waiting) return;
    this.pending.delete(message.id);
    clearTimeout(waiting.timer);
    if (message.ok) waiting.resolve(message.result);
    else waiting.reject(Object.assign(new Error(message.error.message), { type: message.error.type }));
  }

  /** Number of requests not yet answered. */
  get inFlight() {
    return this.pending.size;
  }

  /**
   * Send a request; resolves with the result, rejects with an Error carrying `.type`.
   * @param {keyof typeof import("./messages.js").PY_CALLS} type
   * @param {Object} payload
   * @param {Transferable[]} transfer
   */
  call(type, payload = {}, transfer = []) {
    const id = this.nextId++;
    const request = makeRequest(id, type, payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(Object.assign(new Error(`the gaze engine did not answer "${type}"`), { type: "Timeout" }));
      }, WORKER.requestTimeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.worker.postMessage(request, transfer);
    });
  }
}
