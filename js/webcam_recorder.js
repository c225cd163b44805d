// Records the webcam video (MediaRecorder, WebM) with the targets shown while it runs,
// so a session can be re-analysed later with `python3 build.py replay` (recording
// format v1: docs/recording.md). No DOM: it is given the MediaStream.

/** @typedef {{phase: "calibration"|"validation", x: number, y: number, start_ms: number, end_ms: number}} RecordedTarget */
/**
 * The smooth-pursuit pass as one entry: the dot's path over the collected interval,
 * positions between points linear (docs/recording.md).
 * @typedef {{phase: "pursuit", x: number, y: number, start_ms: number, end_ms: number,
 *            path: {t_ms: number, x: number, y: number}[]}} RecordedPursuit
 */

const MIME_TYPES = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm"];

export class WebcamRecorder {
  /** @param {MediaStream} stream */
  constructor(stream) {
    const mimeType = MIME_TYPES.find((t) => MediaRecorder.isTypeSupported(t));
    if (!mimeType) throw new Error("this browser cannot record WebM video");
    this.recorder = new MediaRecorder(stream, { mimeType });
    this.chunks = [];
    /** @type {Array<RecordedTarget|RecordedPursuit>} in time order */
    this.targets = [];
    this.start_ms = null; // performance.now() of the first frame (recording start)
    this.recorder.ondataavailable = (e) => { if (e.data.size) this.chunks.push(e.data); };
    this.started = new Promise((resolve, reject) => {
      this.recorder.onstart = () => {
        this.start_ms = performance.now();
        resolve();
      };
      this.recorder.onerror = (e) => reject(e.error ?? new Error("recording failed"));
    });
    // Chunks every second: a crash loses at most the last second of video in memory.
    this.recorder.start(1000);
  }

  /**
   * Log a target shown from start_ms to end_ms (performance.now() times).
   * @param {"calibration"|"validation"} phase
   */
  logTarget(phase, x_px, y_px, start_ms, end_ms) {
    if (this.start_ms === null || start_ms < this.start_ms) return; // before the video began
    this.targets.push({ phase, x: x_px, y: y_px, start_ms: start_ms - this.start_ms,
      end_ms: end_ms - this.start_ms });
  }

  /**
   * Log the smooth-pursuit pass: frames were collected from start_ms to end_ms while the
   * dot followed `path` (all performance.now() times; path strictly increasing and
   * covering start_ms..end_ms). Dropped, like a target, if the video began after start_ms.
   * @param {{t_ms: number, x_px: number, y_px: number}[]} path
   */
  logPursuit(path, start_ms, end_ms) {
    if (this.start_ms === null || start_ms < this.start_ms || path.length < 2) return;
    const t0 = this.start_ms;
    this.targets.push({ phase: "pursuit", x: path[0].x_px, y: path[0].y_px, start_ms: start_ms - t0,
      end_ms: end_ms - t0, path: path.map((p) => ({ t_ms: p.t_ms - t0, x: p.x_px, y: p.y_px })) });
  }

  get recording() {
    return this.recorder.state === "recording";
  }

  /** Stop; resolves with the video as a Blob and the targets (ms after the first frame). */
  stop() {
    return new Promise((resolve) => {
      this.recorder.onstop = () => resolve({
        video: new Blob(this.chunks, { type: this.recorder.mimeType }), targets: this.targets });
      this.recorder.stop();
    });
  }
}
