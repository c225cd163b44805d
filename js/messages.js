// The one message schema shared by the page and the worker.
//
// Page -> worker: a Request {id, type, payload}. Worker -> page: a Reply {kind: "reply",
// id, ok, result} or {kind: "reply", id, ok: false, error: {type, message}}, and, during
// start-up, Progress {kind: "progress", ...} and StartupFailed {kind: "startup-failed", ...}.
// Errors always travel as data, never as thrown exceptions across the boundary.

/**
 * @typedef {Object} WorkerError
 * @property {string} type     exception class name (e.g. "CalibrationError") or a JS error name
 * @property {string} message  human-readable, says what went wrong
 */

/**
 * @typedef {Object} Request
 * @property {number} id
 * @property {keyof typeof PY_CALLS} type
 * @property {Object} payload  the named arguments listed for the type in PY_CALLS
 */

/**
 * @typedef {{kind: "reply", id: number, ok: true, result: *}
 *         | {kind: "reply", id: number, ok: false, error: WorkerError}} Reply
 */

/**
 * @typedef {Object} Progress
 * @property {"progress"} kind
 * @property {string} phase    one of STARTUP_PHASES' names
 * @property {string} label    what is loading, for people
 * @property {number} step     1-based index of the phase
 * @property {number} steps    number of phases
 * @property {boolean} done    true when this phase has finished
 */

/**
 * @typedef {Object} StartupFailed
 * @property {"startup-failed"} kind
 * @property {string} phase
 * @property {WorkerError} error
 */

/**
 * Per-frame observation sent to Python (payload of a "frame" request).
 * @typedef {Object} Observation
 * @property {number} t_ms            frame time, ms (performance clock)
 * @property {Float32Array} landmarks 478*3 floats: x, y normalised to the image, z relative
 * @property {Float32Array} matrix    4x4 facial transformation matrix, column-major
 * @property {number} image_w_px
 * @property {number} image_h_px
 * @property {?number} target_index  calibration target shown now, or null
 * @property {?number} target_x_px
 * @property {?number} target_y_px
 * @property {?Float32Array} [eye_patches]  both eyes' patches (js/eye_crop.js), null when
 *   the crop failed
 */

/**
 * Python's answer to a frame (result of "frame" and "noFace").
 * @typedef {Object} GazeSample
 * @property {number} t_ms
 * @property {?number} x      CSS px in the viewport, null when there is no valid gaze
 * @property {?number} y
 * @property {string} state   "tracking" | "calibrating" | "uncalibrated" | "blink" | "invalid" | a no-face reason
 */

/**
 * Result of "heatmap".
 * @typedef {Object} HeatmapResult
 * @property {Uint8Array} png          coarse-grid RGBA PNG, to be scaled to the viewport
 * @property {number} grid_w
 * @property {number} grid_h
 * @property {number} max_density
 * @property {number} n_points
 * @property {Array<[number, number[]]>} legend   [fraction, [r, g, b]] stops of the colormap
 */

/**
 * Result of "validationFinish" (gazeheat.validation.Validation.to_dict()).
 * @typedef {Object} ValidationResult
 * @property {number} accuracy_px     mean distance target -> mean gaze, CSS px
 * @property {number} accuracy_deg
 * @property {number} precision_px    RMS sample-to-sample distance, CSS px
 * @property {number} precision_deg
 * @property {number} mean_error_px   mean distance target -> each gaze sample, CSS px
 * @property {number} mean_error_deg
 * @property {number} px_per_deg
 * @property {"excellent"|"good"|"fair"|"poor"} grade
 * @property {Array<{target_index: number, x_px: number, y_px: number, mean_x_px: number,
 *   mean_y_px: number, accuracy_deg: number, mean_error_deg: number, n_samples: number}>} targets
 * @property {{variants: Object<string, {accuracy_deg: ?number, mean_error_deg: ?number}>,
 *   chosen: string}} [models]  each gaze model variant's accuracy and mean error, and the
 *   one chosen (the lowest mean error; the figures above are its own)
 */

/**
 * A fixation (gazeheat.fixations.Fixation.to_dict()).
 * @typedef {Object} Fixation
 * @property {number} start_ms
 * @property {number} end_ms
 * @property {number} duration_ms
 * @property {number} x               centroid, CSS px
 * @property {number} y
 * @property {number} dispersion_deg
 */

/**
 * Result of "live".
 * @typedef {Object} LiveResult
 * @property {Fixation[]} fixations        fixations ending after since_ms ([] unless asked)
 * @property {?HeatmapResult} heatmap       the whole recording's heatmap, when asked
 */

/**
 * Result of "pursuitPlan": the smooth-pursuit calibration pass for the current viewport
 * (gazeheat.tracker.GazeTracker.pursuit_plan). Times in ms, positions in viewport CSS px.
 * @typedef {Object} PursuitPlan
 * @property {number} first_index  target index of the first collected segment (segment k:
 *   first_index + k, k = floor((ms since the motion started - settle_ms) / segment_ms))
 * @property {number} still_ms     the dot waits still at points[0] this long first
 * @property {number} settle_ms    frames this soon after the motion started carry no target
 * @property {number} segment_ms   motion time per target index
 * @property {number} duration_ms  motion time (the last point's t_ms)
 * @property {number} lag_ms       the eyes trail the dot by this much: a frame's sample
 *   target is where the dot was lag_ms before it
 * @property {Array<{t_ms: number, x_px: number, y_px: number}>} points  the path, t_ms from
 *   the motion's start; linear interpolation between points
 */

/**
 * The calibration summary's "pursuit" entry (gazeheat.calibration.GazeModel.summary),
 * present after a smooth-pursuit pass.
 * @typedef {Object} PursuitSummary
 * @property {number} segments  segments used in the fit
 * @property {number} dropped   segments left out (too few samples or not followed)
 * @property {number} samples   samples of the used segments
 * @property {?number} follow_r how well the eyes followed the dot over the whole pass
 *   (the smaller per-axis correlation, -1..1; null when not judged); below
 *   PURSUIT_MIN_FOLLOW_R every segment is left out
 */

/** Worker start-up phases, in order; each is reported to the page. */
export const STARTUP_PHASES = Object.freeze([
  { name: "runtime", label: "Python runtime (Pyodide)" },
  { name: "package", label: "gazeheat Python package" },
  { name: "import", label: "starting the gaze engine" },
]);

/**
 * Request types and the Python function (in gazeheat._worker) each one calls, with the
 * payload fields passed as positional arguments in this order.
 */
export const PY_CALLS = Object.freeze({
  init: { fn: "init", args: ["viewport_w_px", "viewport_h_px"] },
  setViewport: { fn: "set_viewport", args: ["viewport_w_px", "viewport_h_px"] },
  frame: {
    fn: "frame",
    args: ["t_ms", "landmarks", "matrix", "image_w_px", "image_h_px",
      "target_index", "target_x_px", "target_y_px", "eye_patches"],
  },
  // Self-calibration: a click on the page while tracking (gazeheat.tracker.click).
  click: { fn: "click", args: ["t_ms", "x_px", "y_px"] },
  noFace: { fn: "no_face", args: ["t_ms", "reason"] },
  calibrationStart: { fn: "calibration_start", args: [] },
  calibrationFinish: { fn: "calibration_finish", args: [] },
  calibrationCancel: { fn: "calibration_cancel", args: [] },
  calibrationRetry: { fn: "calibration_retry", args: ["indices"] },
  // The smooth-pursuit pass after the dots (result: PursuitPlan).
  pursuitPlan: { fn: "pursuit_plan", args: [] },
  validationStart: { fn: "validation_start", args: [] },
  validationFinish: { fn: "validation_finish", args: [] },
  validationCancel: { fn: "validation_cancel", args: [] },
  recentreStart: { fn: "recentre_start", args: [] },
  recentreFinish: { fn: "recentre_finish", args: [] },
  calibrationSaved: { fn: "calibration_saved", args: [] },
  calibrationRestore: { fn: "calibration_restore", args: ["saved"] },
  recordingTail: { fn: "recording_tail", args: ["start"] },
  heatmap: { fn: "heatmap", args: ["width_px", "height_px"] },
  session: { fn: "session", args: ["created_iso"] },
  clear: { fn: "clear_recording", args: [] },
  settingsSchema: { fn: "settings_schema", args: [] },
  configure: { fn: "configure", args: ["settings"] },
  live: { fn: "live", args: ["since_ms", "with_fixations", "with_heatmap", "width_px", "height_px"] },
  recordingStart: { fn: "recording_start", args: ["stimulus", "rgba", "width_px", "height_px"] },
  recordingStop: { fn: "recording_stop", args: ["rgba", "width_px", "height_px"] },
  renderOptions: { fn: "render_options", args: [] },
  renderHeatmap: { fn: "render_heatmap", args: ["options"] },
  renderGazeplot: { fn: "render_gazeplot", args: ["options"] },
  exportCsv: { fn: "export_csv", args: ["kind"] },
  webcamRecordingZip: { fn: "webcam_recording_zip", args: ["video_name", "video_bytes", "targets"] },
  replayStart: { fn: "replay_start", args: ["recording_json", "settings"] },
  replayFrame: { fn: "replay_frame",
    args: ["t_ms", "landmarks", "matrix", "image_w_px", "image_h_px", "eye_patches"] },
  replayNoFace: { fn: "replay_no_face", args: ["t_ms", "reason"] },
  replayFinish: { fn: "replay_finish", args: ["created_iso"] },
  // Dashboard: stored sessions (JSON text, bytes or objects), several participants, AOIs.
  sessionCheck: { fn: "session_check", args: ["text"] },
  stimulusImage: { fn: "stimulus_image", args: ["data", "media_type"] },
  aggregateHeatmap: { fn: "aggregate_heatmap", args: ["sessions", "options"] },
  compareHeatmaps: { fn: "compare_heatmaps", args: ["group_a", "group_b", "options"] },
  sessionHeatmap: { fn: "session_heatmap", args: ["session", "options"] },
  sessionGazeplot: { fn: "session_gazeplot", args: ["session", "options"] },
  aoiTable: { fn: "aoi_table", args: ["sessions", "aois"] },
});

/**
 * @param {number} id
 * @param {keyof typeof PY_CALLS} type
 * @param {Object} payload
 * @returns {Request}
 */
export function makeRequest(id, type, payload = {}) {
  if (!(type in PY_CALLS)) throw new Error(`unknown request type: ${type}`);
  return { id, type, payload };
}

/** @returns {Reply} */
export function okReply(id, result) {
  return { kind: "reply", id, ok: true, result };
}

/** @returns {Reply} */
export function errorReply(id, error) {
  return { kind: "reply", id, ok: false, error: toWorkerError(error) };
}

/** @returns {Progress} */
export function progress(phaseIndex, done) {
  const phase = STARTUP_PHASES[phaseIndex];
  return { kind: "progress", phase: phase.name, label: phase.label, step: phaseIndex + 1,
    steps: STARTUP_PHASES.length, done };
}

/** @returns {StartupFailed} */
export function startupFailed(phaseIndex, error) {
  return { kind: "startup-failed", phase: STARTUP_PHASES[phaseIndex].name,
    error: toWorkerError(error) };
}

/**
 * Normalise anything thrown into a WorkerError.
 * @returns {WorkerError}
 */
export function toWorkerError(error) {
  if (error && typeof error === "object" && "type" in error && "message" in error) {
    return { type: String(error.type), message: String(error.message) };
  }
  if (error instanceof Error) return { type: error.name || "Error", message: error.message };
  return { type: "Error", message: String(error) };
}

/**
 * Result of "sessionCheck" (the call succeeds; `ok` says whether the file is valid).
 * @typedef {{ok: false, error: WorkerError} | {ok: true, participant: ?string,
 *   recording_id: ?string, created: string, duration_ms: number, n_samples: number,
 *   valid_fraction: number, n_fixations: ?number, accuracy_deg: ?number, grade: ?string,
 *   px_per_deg: number, stimulus_key: string, stimulus: Object,
 *   image_media_type: ?string}} SessionCheck
 */

/**
 * Result of "aggregateHeatmap" (and each side of "compareHeatmaps", without `legend`).
 * @typedef {Object} AggregateHeatmap
 * @property {Uint8Array} png
 * @property {"overlay"|"heatmap"|"coarse"} output
 * @property {number} width_px      stimulus native px
 * @property {number} height_px
 * @property {number} top_value     value at the top colour (shared by both sides of a comparison)
 * @property {string} unit          "fraction" (weighting "equal") or "s" (weighting "time")
 * @property {number[]} included    indices of the sessions used
 * @property {Array<{index: number, label: string, reason: string}>} excluded
 * @property {string} stimulus_key
 * @property {"given"|"embedded"|"none"} picture   where the stimulus picture came from
 * @property {Object} [legend]      gazeheat.heatmap.Legend.to_dict()
 */

/**
 * Result of "aoiTable": one row per session and AOI; `csv` is the same table as CSV text.
 * @typedef {{columns: string[], rows: Object[], csv: string}} AoiTable
 */
