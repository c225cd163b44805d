// The calibration sequence: which target is shown when. Pure timing logic, no DOM.
import { CALIBRATION } from "./constants.js";

/**
 * @typedef {Object} Target
 * @property {number} x_px   CSS px in the viewport
 * @property {number} y_px
 */

/**
 * @typedef {Object} CalibrationStep
 * @property {number} index        target index, 0-based
 * @property {Target} target
 * @property {boolean} collecting  false during the lead-in, when the dot is still moving
 * @property {number} fraction     0..1 progress through this target's collecting time
 */

export class CalibrationRun {
  /**
   * @param {Target[]} targets   in presentation order (from Python's grid_targets)
   * @param {number} start_ms
   */
  constructor(targets, start_ms) {
    if (!Array.isArray(targets) || targets.length === 0) {
      throw new Error("calibration needs at least one target");
    }
    this.targets = targets;
    this.start_ms = start_ms;
    this.perTargetMs = CALIBRATION.leadInMs + CALIBRATION.targetMs;
  }

  /**
   * What is shown at time t_ms, or null once every target has been shown.
   * @returns {?CalibrationStep}
   */
  stepAt(t_ms) {
    const elapsed = Math.max(0, t_ms - this.start_ms);
    const index = Math.floor(elapsed / this.perTargetMs);
    if (index >= this.targets.length) return null;
    const within = elapsed - index * this.perTargetMs;
    const collecting = within >= CALIBRATION.leadInMs;
    const fraction = collecting ? (within - CALIBRATION.leadInMs) / CALIBRATION.targetMs : 0;
    return { index, target: this.targets[index], collecting, fraction };
  }

  /**
   * When target `index` is collected (the dot has arrived), in the clock of start_ms.
   * @returns {{start_ms: number, end_ms: number}}
   */
  interval(index) {
    const start_ms = this.start_ms + index * this.perTargetMs + CALIBRATION.leadInMs;
    return { start_ms, end_ms: start_ms + CALIBRATION.targetMs };
  }

  /** Total duration of the run, ms. */
  get duration_ms() {
    return this.targets.length * this.perTargetMs;
  }
}

/**
 * @typedef {Object} PursuitStep   a CalibrationStep of the smooth-pursuit pass
 * @property {number} index        plan.first_index + the segment since collecting began
 *   (segments of plan.segment_ms from plan.settle_ms into the motion, as replay cuts a
 *   recorded pursuit target; first_index while still or settling, not collected)
 * @property {Target} target       where the dot is at t_ms (interpolated along the path)
 * @property {Target} lookedAt     where the eyes trailing it look: the dot plan.lag_ms earlier
 * @property {boolean} collecting  false while still and during the settle time
 * @property {number} fraction     0..1 progress through the motion (0 while still)
 * @property {boolean} moving      the dot is moving (drawn without the glide between dots)
 * @property {true} pursuit
 */

/**
 * The smooth-pursuit pass (after the calibration dots): the dot waits still at its start
 * point, then moves along Python's path; every frame collected while it moves is a
 * calibration sample at the dot's position then. Same interface as CalibrationRun.
 */
export class PursuitRun {
  /**
   * @param {import("./messages.js").PursuitPlan} plan
   * @param {number} start_ms   when the still phase begins (performance.now() clock)
   * @throws {Error} when the plan has fewer than two points or times that do not increase
   */
  constructor(plan, start_ms) {
    const points = plan?.points;
    if (!Array.isArray(points) || points.length < 2) {
      throw new Error("the pursuit path needs at least two points");
    }
    for (let i = 1; i < points.length; i++) {
      if (!(points[i].t_ms > points[i - 1].t_ms)) throw new Error("pursuit path times must increase");
    }
    if (!(plan.segment_ms > 0) || !(plan.duration_ms > 0) || !(plan.lag_ms >= 0)) {
      throw new Error("the pursuit plan needs positive segment_ms and duration_ms, and lag_ms >= 0");
    }
    this.plan = plan;
    this.points = points;
    this.start_ms = start_ms;
    /** performance.now() time at which the dot starts moving */
    this.motion_start_ms = start_ms + plan.still_ms;
  }

  /** Total duration of the pass (still + moving), ms. */
  get duration_ms() {
    return this.plan.still_ms + this.plan.duration_ms;
  }

  /**
   * The dot's position `t` ms after the motion start (clamped to the path's ends).
   * @returns {Target}
   */
  positionAt(t) {
    const p = this.points;
    if (t <= p[0].t_ms) return { x_px: p[0].x_px, y_px: p[0].y_px };
    const last = p[p.length - 1];
    if (t >= last.t_ms) return { x_px: last.x_px, y_px: last.y_px };
    // Binary search for the point at or before t (p[lo].t_ms <= t < p[hi].t_ms).
    let lo = 0;
    let hi = p.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (p[mid].t_ms <= t) lo = mid;
      else hi = mid;
    }
    const w = (t - p[lo].t_ms) / (p[hi].t_ms - p[lo].t_ms);
    return { x_px: p[lo].x_px + w * (p[hi].x_px - p[lo].x_px),
      y_px: p[lo].y_px + w * (p[hi].y_px - p[lo].y_px) };
  }

  /**
   * What is shown at time t_ms, or null once the dot has stopped moving.
   * @returns {?PursuitStep}
   */
  stepAt(t_ms) {
    const t = t_ms - this.motion_start_ms; // time into the motion; negative while still
    if (t >= this.plan.duration_ms) return null;
    const moving = t >= 0;
    const collecting = t >= this.plan.settle_ms;
    const index = this.plan.first_index
      + (collecting ? Math.floor((t - this.plan.settle_ms) / this.plan.segment_ms) : 0);
    return { index, target: this.positionAt(t), lookedAt: this.positionAt(t - this.plan.lag_ms),
      collecting, fraction: moving ? t / this.plan.duration_ms : 0, moving,
      pursuit: true };
  }

  /**
   * When frames are collected (after the settle time, to the end of the motion), in the
   * clock of start_ms.
   * @returns {{start_ms: number, end_ms: number}}
   */
  interval() {
    return { start_ms: this.motion_start_ms + this.plan.settle_ms,
      end_ms: this.motion_start_ms + this.plan.duration_ms };
  }

  /**
   * The path over the collected interval in the clock of start_ms: strictly increasing
   * t_ms, the first point at interval().start_ms, the last at interval().end_ms.
   * @returns {{t_ms: number, x_px: number, y_px: number}[]}
   */
  collectedPath() {
    const { start_ms } = this.interval();
    const settle = this.plan.settle_ms;
    const path = [{ t_ms: start_ms, ...this.positionAt(settle) }];
    for (const p of this.points) {
      if (p.t_ms > settle && p.t_ms <= this.plan.duration_ms) {
        path.push({ t_ms: this.motion_start_ms + p.t_ms, x_px: p.x_px, y_px: p.y_px });
      }
    }
    const end = this.plan.duration_ms;
    if (path[path.length - 1].t_ms < this.motion_start_ms + end) {
      path.push({ t_ms: this.motion_start_ms + end, ...this.positionAt(end) });
    }
    return path;
  }
}
