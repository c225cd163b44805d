// A kept calibration (localStorage): the fitted gaze model plus the setup it was fitted
// on. It is offered again only while the camera, the screen and the window still match;
// otherwise it says in plain words why not. No DOM here.
import { SAVED_CALIBRATION, STORAGE_KEYS } from "./constants.js";
import { loadJson, removeKey, saveJson } from "./storage.js";

/**
 * The setup a calibration holds for.
 * @typedef {Object} Setup
 * @property {{label: string, width_px: number, height_px: number}} camera  video size in pixels
 * @property {{viewport_w_px: number, viewport_h_px: number, screen_w_px: number,
 *             screen_h_px: number, device_pixel_ratio: number}} screen   CSS px
 */

/**
 * What is kept.
 * @typedef {Object} SavedCalibration
 * @property {string} format         SAVED_CALIBRATION.format
 * @property {number} version        SAVED_CALIBRATION.version
 * @property {string} saved_at       ISO 8601 time
 * @property {Setup} setup
 * @property {{model: Object, viewing_distance_cm: number}} calibration  from "calibrationSaved"
 * @property {?number} accuracy_deg  of the validation that followed, if any
 * @property {?string} grade
 */

const DAY_MS = 24 * 3600 * 1000;

function size(w, h) {
  return `${Math.round(w)}×${Math.round(h)}`;
}

/**
 * Why `saved` cannot be used with `setup` now, or null when it can.
 * @param {*} saved  anything read from storage
 * @param {Setup} setup
 * @param {number} now_ms  Date.now()
 * @returns {?string} e.g. "the camera changed (was …, now …)"
 */
export function savedCalibrationProblem(saved, setup, now_ms) {
  if (saved?.format !== SAVED_CALIBRATION.format || typeof saved.version !== "number" ||
      typeof saved.calibration !== "object" || saved.calibration === null) {
    return "it is not a calibration this page can read";
  }
  if (saved.version !== SAVED_CALIBRATION.version) {
    return `it was kept by another version of gazeheat (format ${saved.version}, this page reads ${SAVED_CALIBRATION.version})`;
  }
  const age_ms = now_ms - Date.parse(saved.saved_at);
  if (!(age_ms >= 0)) return "its date is not valid";
  if (age_ms > SAVED_CALIBRATION.maxAgeDays * DAY_MS) {
    return `it is more than ${SAVED_CALIBRATION.maxAgeDays} days old`;
  }
  const was = saved.setup?.camera ?? {};
  const now = setup.camera;
  if (was.label !== now.label) return `the camera changed (was “${was.label}”, now “${now.label}”)`;
  if (was.width_px !== now.width_px || was.height_px !== now.height_px) {
    return `the camera's picture size changed (was ${size(was.width_px, was.height_px)}, ` +
      `now ${size(now.width_px, now.height_px)})`;
  }
  const a = saved.setup?.screen ?? {};
  const b = setup.screen;
  if (a.screen_w_px !== b.screen_w_px || a.screen_h_px !== b.screen_h_px ||
      a.device_pixel_ratio !== b.device_pixel_ratio) {
    return `the screen changed (was ${size(a.screen_w_px, a.screen_h_px)} at ×${a.device_pixel_ratio}, ` +
      `now ${size(b.screen_w_px, b.screen_h_px)} at ×${b.device_pixel_ratio})`;
  }
  if (a.viewport_w_px !== b.viewport_w_px || a.viewport_h_px !== b.viewport_h_px) {
    return `the window size changed (was ${size(a.viewport_w_px, a.viewport_h_px)}, ` +
      `now ${size(b.viewport_w_px, b.viewport_h_px)}): restore it or calibrate again`;
  }
  return null;
}

/**
 * The kept calibration and whether it fits this setup.
 * @param {Setup} setup
 * @returns {{saved: ?SavedCalibration, problem: ?string}}  saved null when there is none
 *   usable; problem says why one that exists cannot be used (null when none exists)
 */
export function loadSavedCalibration(setup) {
  const { value, error } = loadJson(STORAGE_KEYS.calibration);
  if (error) return { saved: null, problem: error };
  if (value === null) return { saved: null, problem: null };
  const problem = savedCalibrationProblem(value, setup, Date.now());
  return problem ? { saved: null, problem } : { saved: value, problem: null };
}

/**
 * Keep a calibration for next time.
 * @param {Setup} setup
 * @param {{model: Object, viewing_distance_cm: number}} calibration
 * @param {?{accuracy_deg: number, grade: string}} validation
 * @returns {?string} null when kept, else why not
 */
export function keepCalibration(setup, calibration, validation) {
  /** @type {SavedCalibration} */
  const record = {
    format: SAVED_CALIBRATION.format, version: SAVED_CALIBRATION.version,
    saved_at: new Date().toISOString(), setup, calibration,
    accuracy_deg: validation?.accuracy_deg ?? null, grade: validation?.grade ?? null,
  };
  return saveJson(STORAGE_KEYS.calibration, record, "the calibration");
}

/** Drop the kept calibration (it failed to load, or the person asked). */
export function forgetCalibration() {
  removeKey(STORAGE_KEYS.calibration);
}
