// The live gaze views over the page: the gaze dot, a fading trail of the last seconds,
// and fixation circles sized by duration. Draws on one canvas, once per animation frame
// and only when something changed. Never draws across a gap (null sample).
import { VIEW } from "./constants.js";

const $ = (id) => document.getElementById(id);

export class LiveView {
  constructor() {
    this.canvas = $("live");
    this.dot = $("gaze-dot");
    /** @type {{dot: boolean, trail: boolean, fixations: boolean}} */
    this.visible = { dot: true, trail: true, fixations: false };
    /** @type {Array<{t_ms: number, x: ?number, y: ?number}>} */
    this.samples = [];
    /** @type {Array<{start_ms: number, end_ms: number, duration_ms: number, x: number, y: number}>} */
    this.fixations = [];
    this.dirty = false;
    this.frame = 0;
  }

  /** @param {"dot"|"trail"|"fixations"} key */
  setVisible(key, on) {
    this.visible[key] = on;
    if (key === "dot" && !on) this.dot.hidden = true;
    this.request();
  }

  /** @param {import("./messages.js").GazeSample} sample */
  addSample(sample) {
    const valid = sample.x !== null && sample.y !== null;
    this.dot.hidden = !(valid && this.visible.dot);
    if (valid && this.visible.dot) this.dot.style.transform = `translate(${sample.x}px, ${sample.y}px)`;
    this.samples.push({ t_ms: sample.t_ms, x: sample.x, y: sample.y });
    const oldest = sample.t_ms - VIEW.trailMs;
    let drop = 0;
    while (drop < this.samples.length && this.samples[drop].t_ms < oldest) drop++;
    if (drop) this.samples.splice(0, drop);
    if (this.visible.trail) this.request();
  }

  /** No gaze now (no face, hidden tab, …): hide the dot and break the trail. */
  gap(t_ms) {
    this.addSample({ t_ms, x: null, y: null });
  }

  setFixations(fixations) {
    this.fixations = fixations;
    if (this.visible.fixations) this.request();
  }

  clear() {
    this.samples = [];
    this.fixations = [];
    this.dot.hidden = true;
    this.request();
  }

  request() {
    if (this.dirty) return;
    this.dirty = true;
    requestAnimationFrame(() => this.draw());
  }

  draw() {
    this.dirty = false;
    this.frame++;
    const canvas = this.canvas;
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round(window.innerWidth * dpr);
    const h = Math.round(window.innerHeight * dpr);
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, window.innerWidth, window.innerHeight);
    if (this.visible.fixations) this.drawFixations(ctx);
    if (this.visible.trail) this.drawTrail(ctx);
    canvas.dataset.drawn = String(this.frame);
  }

  drawTrail(ctx) {
    const n = this.samples.length;
    if (n < 2) return;
    const newest = this.samples[n - 1].t_ms;
    ctx.lineWidth = 3;
    ctx.lineCap = "round";
    for (let i = 1; i < n; i++) {
      const a = this.samples[i - 1];
      const b = this.samples[i];
      if (a.x === null || b.x === null) continue; // a gap: never a line across it
      const age = (newest - b.t_ms) / VIEW.trailMs;
      ctx.strokeStyle = `rgba(217, 72, 15, ${(0.8 * (1 - age)).toFixed(3)})`;
      ctx.beginPath();
      ctx.moveTo(a.x, a.y);
      ctx.lineTo(b.x, b.y);
      ctx.stroke();
    }
  }

  drawFixations(ctx) {
    ctx.lineWidth = 2;
    for (const f of this.fixations) {
      const r = Math.min(VIEW.fixationMaxRadiusPx,
        VIEW.fixationMinRadiusPx + (VIEW.fixationRadiusPxPerS * f.duration_ms) / 1000);
      ctx.fillStyle = "rgba(25, 113, 194, 0.25)";
      ctx.strokeStyle = "rgba(25, 113, 194, 0.9)";
      ctx.beginPath();
      ctx.arc(f.x, f.y, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }
}
