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
