// Replay of one session's gaze over its stimulus: a canvas at the stimulus's native size
// (shown scaled to fit), a fading trail and a dot, play/pause, speed and a timeline
// scrubber. Only the DOM and the samples: no Python needed.
import { DASHBOARD } from "./constants.js";

/**
 * @typedef {Object} ReplayInput
 * @property {?ImageBitmap} image        the stimulus picture, null for a blank or grid page
 * @property {import("./stimulus_view.js").StimulusGeometry} geometry
 * @property {Array<{t_ms: number, x: ?number, y: ?number}>} samples  viewport CSS px
 */

/** "m:ss.s" of a time in ms. */
function clock(ms) {
  const s = Math.max(0, ms) / 1000;
  return `${Math.floor(s / 60)}:${(s % 60).toFixed(1).padStart(4, "0")}`;
}

export class GazePlayer {
  /** @param {HTMLElement} container  emptied and filled with the player */
  constructor(container) {
    this.canvas = Object.assign(document.createElement("canvas"), { className: "stimulus-canvas" });
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Replay of the gaze over the stimulus");
    this.play = Object.assign(document.createElement("button"), { type: "button", textContent: "Play" });
    this.scrubber = Object.assign(document.createElement("input"), { type: "range", min: "0", step: "1", value: "0" });
    this.scrubber.setAttribute("aria-label", "Replay position");
    this.time = Object.assign(document.createElement("span"), { className: "player-time" });
    this.speed = document.createElement("select");
    this.speed.setAttribute("aria-label", "Replay speed");
    this.speed.append(...DASHBOARD.replaySpeeds.map((s) => new Option(`${s}×`, String(s), s === 1, s === 1)));
    const controls = document.createElement("div");
    controls.className = "player-controls";
    controls.append(this.play, this.scrubber, this.time, this.speed);
    container.replaceChildren(this.canvas, controls);

    this.play.onclick = () => (this.playing ? this.pause() : this.start());
    this.scrubber.oninput = () => this.seek(Number(this.scrubber.value));
    this.canvas.tabIndex = 0;
    this.canvas.onkeydown = (event) => {
      if (event.key === " ") {
        event.preventDefault();
        this.play.click();
      }
    };
    /** @type {?ReplayInput} */
    this.input = null;
    this.t0 = 0;
    this.duration = 0;
    this.position = 0; // ms after the first sample
    this.playing = false;
    this.frame = 0;
  }

  /** Show a session from its start, paused. @param {ReplayInput} input */
  load(input) {
    this.pause();
    this.input = input;
    const { samples, geometry } = input;
    this.canvas.width = geometry.width_px;
    this.canvas.height = geometry.height_px;
    this.t0 = samples.length ? samples[0].t_ms : 0;
    this.duration = samples.length ? samples[samples.length - 1].t_ms - this.t0 : 0;
    // Stimulus px of every sample, once; NaN for no gaze.
    const sx = geometry.width_px / geometry.rect_w_px;
    const sy = geometry.height_px / geometry.rect_h_px;
    this.xs = Float64Array.from(samples, (s) => (s.x === null ? NaN : (s.x - geometry.rect_x_px) * sx));
    this.ys = Float64Array.from(samples, (s) => (s.y === null ? NaN : (s.y - geometry.rect_y_px) * sy));
    this.ts = Float64Array.from(samples, (s) => s.t_ms - this.t0);
    this.scrubber.max = String(Math.max(1, Math.round(this.duration)));
    this.seek(0);
  }

  start() {
    if (!this.input || this.duration <= 0) return;
    if (this.position >= this.duration) this.position = 0;
    this.playing = true;
    this.play.textContent = "Pause";
    let last = performance.now();
    const step = (now) => {
      if (!this.playing) return;
      this.position = Math.min(this.duration, this.position + (now - last) * Number(this.speed.value));
      last = now;
      this.draw();
      if (this.position >= this.duration) this.pause();
      else this.frame = requestAnimationFrame(step);
    };
    this.frame = requestAnimationFrame(step);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.frame);
    this.play.textContent = "Play";
  }

  /** @param {number} ms  position after the first sample */
  seek(ms) {
    this.position = Math.max(0, Math.min(this.duration, ms));
    this.draw();
  }

  /** Index of the last sample at or before `ms` (-1 if none). */
  indexAt(ms) {
    let lo = 0;
    let hi = this.ts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ts[mid] <= ms) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  draw() {
    if (!this.input) return;
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    if (this.input.image) ctx.drawImage(this.input.image, 0, 0, width, height);
    // Sizes in stimulus px that look the same on screen whatever the canvas's scale.
    const perCss = width / Math.max(1, this.canvas.clientWidth || width);
    const end = this.indexAt(this.position);
    let i = end;
    ctx.lineCap = "round";
    ctx.lineWidth = 3 * perCss;
    while (i > 0 && this.position - this.ts[i - 1] <= DASHBOARD.replayTrailMs) {
      const ok = !Number.isNaN(this.xs[i]) && !Number.isNaN(this.xs[i - 1]);
      if (ok) {
        const age = (this.position - this.ts[i]) / DASHBOARD.replayTrailMs;
        ctx.strokeStyle = `rgba(217, 72, 15, ${(0.8 * (1 - age)).toFixed(3)})`;
        ctx.beginPath();
        ctx.moveTo(this.xs[i - 1], this.ys[i - 1]);
        ctx.lineTo(this.xs[i], this.ys[i]);
        ctx.stroke();
      }
      i--;
    }
    const gaze = end >= 0 && !Number.isNaN(this.xs[end]);
    if (gaze) {
      ctx.fillStyle = "rgba(217, 72, 15, 0.75)";
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 2 * perCss;
      ctx.beginPath();
      ctx.arc(this.xs[end], this.ys[end], DASHBOARD.replayDotCssPx * perCss, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    this.scrubber.value = String(Math.round(this.position));
    this.time.textContent = `${clock(this.position)} / ${clock(this.duration)}${gaze || end < 0 ? "" : " · no gaze"}`;
  }

  /** Stop playing (the panel closes or another session opens). */
  stop() {
    this.pause();
    this.input = null;
  }
}
