// Wires the app: start-up, the per-frame loop (video -> MediaPipe -> worker -> dot),
// calibration, heatmap. The only module that knows all the others.
import { CalibrationRun, PursuitRun } from "./calibration.js";
import { forgetCalibration, keepCalibration, loadSavedCalibration } from "./calibration_store.js";
import { CameraError, closeSource, openCamera, openDemo } from "./camera.js";
import { EyeCropper } from "./eye_crop.js";
import { FRAME_CHECK, LIVE_VIEWS, PURSUIT, SESSION_STORE, STORAGE_KEYS, VIEW, WORKER } from "./constants.js";
import { FrameChecker } from "./frame_check.js";
import { LiveView } from "./live_view.js";
import { STARTUP_PHASES } from "./messages.js";
import { RecordPanel } from "./record_panel.js";
import { SessionStore, newRecordingId } from "./session_store.js";
import { SettingsPanel } from "./settings_panel.js";
import { StimulusView, loadImage } from "./stimulus_view.js";
import { loadJson, removeKey, saveJson } from "./storage.js";
import * as ui from "./ui.js";
import { WebcamRecorder } from "./webcam_recorder.js";
import { WorkerHost } from "./worker_host.js";

const params = new URLSearchParams(location.search);

/** Exposed for tests and benchmarks: counters only, no video. */
const debug = {
  frames: 0, faceFrames: 0, answered: 0, skipped: 0, engineErrors: 0,
  firstAnswer_ms: null, states: {}, lastSample: null, calibration: null,
  /** Start-up milestones, ms since navigation: "<phase>:done" → time. */
  startup: {},
  /** Latest landmarks (only with ?debug=1, copied before transfer). */
  lastLandmarks: null,
  /** Frames sent with eye patches, and without (the crop failed). */
  eyePatches: { sent: 0, missing: 0 },
  /** Self-calibration clicks sent to Python ("Learn from clicks" on), by outcome. */
  clicks: { accepted: 0, rejected: 0, lastReason: null },
  /**
   * The last smooth-pursuit pass: dot positions drawn (count, distinct, bounding box in
   * CSS px) and video frames sent with a pursuit target; null before the first pass.
   * @type {?{drawn: number, distinct: number, collected: number, min_x_px: number,
   *          max_x_px: number, min_y_px: number, max_y_px: number, last_x_px: ?number,
   *          last_y_px: ?number, finished: boolean}}
   */
  pursuit: null,
};
window.gazeheatDebug = debug;

// --- start-up: the model and the Python engine load in parallel, at once -----------
/** @type {Map<string, import("./ui.js").LoadingItem>} */
const loading = new Map([["model", { label: "face model (MediaPipe)", state: "busy" }],
  ...STARTUP_PHASES.map((p) => [p.name, { label: p.label, state: "waiting" }])]);
ui.showLoading(loading);

let resolveEngine;
let rejectEngine;
const engineReady = new Promise((resolve, reject) => { resolveEngine = resolve; rejectEngine = reject; });
const host = new WorkerHost((p) => {
  loading.get(p.phase).state = p.done ? "done" : "busy";
  debug.startup[`${p.phase}:${p.done ? "done" : "start"}`] = performance.now();
  ui.showLoading(loading);
  if (p.done && p.step === p.steps) resolveEngine();
}, (failure) => {
  const item = loading.get(failure.phase);
  if (item) item.state = "failed";
  ui.showLoading(loading);
  rejectEngine(new Error(`Loading failed at "${item?.label ?? failure.phase}": ` +
    `${failure.error.type}: ${failure.error.message}`));
});

// Imported dynamically so the worker above starts before MediaPipe's large bundle loads.
const landmarkerModule = import("./landmarker.js");
const landmarkerReady = landmarkerModule.then((m) => m.createLandmarker()).then((landmarker) => {
  loading.get("model").state = "done";
  debug.startup["model:done"] = performance.now();
  ui.showLoading(loading);
  return landmarker;
}, (error) => {
  loading.get("model").state = "failed";
  ui.showLoading(loading);
  throw new Error(`Loading failed at "face model (MediaPipe)": ${error.message ?? error}`);
});
const everythingReady = Promise.all([landmarkerReady, engineReady, landmarkerModule]);
everythingReady.catch((error) => ui.showStartupError(`${error.message} — reload the page to try again.`));

// --- app state ---------------------------------------------------------------------
const app = {
  running: false,
  /** @type {?import("./camera.js").Source} */
  source: null,
  landmarker: null,
  /** landmarker.detectFace, once its module has loaded */
  detectFace: null,
  checker: new FrameChecker(),
  /** @type {?EyeCropper} made on the first frame with a face */
  cropper: null,
  /** the "Learn from clicks" setting is on */
  learnFromClicks: false,
  /** the "Smooth-pursuit pass" setting is on: the dots are followed by a moving dot */
  smoothPursuit: false,
  /** @type {?import("./messages.js").PursuitPlan} fetched when a calibration starts */
  pursuitPlan: null,
  /** @type {?CalibrationRun} the dots of this calibration, logged to the webcam
   *  recording together with the pursuit pass once it has finished */
  dotsBeforePursuit: null,
  /** @type {?{segments: number, dropped: number, samples: number}} the last calibration's */
  pursuitSummary: null,
  lastFrameTime_ms: 0,
  lastVideoFrame_ms: 0,
  /** @type {?(CalibrationRun|PursuitRun)} the calibration or validation targets being shown */
  run: null,
  /** @type {"calibration"|"pursuit"|"validation"|"recentre"} */
  runPhase: "calibration",
  /** bad calibration targets have been shown again once in this calibration */
  retriedTargets: false,
  calibrated: false,
  samples: 0,
  errorShown: false,
  live: new LiveView(),
  /** @type {Object<string, boolean>} which live views are on (LIVE_VIEWS keys) */
  views: Object.fromEntries(LIVE_VIEWS.map((v) => [v.key, v.initially])),
  /** @type {?SettingsPanel} */
  settings: null,
  liveBusy: false,
  stimulus: new StimulusView(),
  /** @type {?RecordPanel} */
  recordPanel: null,
  /** @type {?Object} rendering choices from Python: colormaps and weightings */
  renderOptions: null,
  /** @type {?WebcamRecorder} */
  webcamRecorder: null,
  /** @type {?import("./calibration_store.js").SavedCalibration} offered for this setup */
  keptCalibration: null,
  /** @type {?Object} the last validation result, kept with the calibration */
  validation: null,
  /** @type {?Promise<SessionStore>} opened on first use */
  store: null,
  /**
   * The recording being written to the session store: its id, the next chunk number,
   * how many samples are stored, the queue of writes, the flush timer.
   * @type {?{id: string, participant: string, created: string, seq: number, stored: number,
   *          queue: Promise<void>, timer: number}}
   */
  keeping: null,
  /** @type {?string} why the current or last recording is not (wholly) kept, null if it is */
  keepingError: null,
  /** @type {?{width_px: number, height_px: number}} the viewport Python knows */
  viewport: null,
  /** @type {?{width_px: number, height_px: number}} the viewport the model was fitted in */
  calibratedViewport: null,
};

function updateControls() {
  ui.setControls({ calibrated: app.calibrated, samples: app.samples,
    calibrating: app.run !== null });
}

function countState(state) {
  debug.states[state] = (debug.states[state] ?? 0) + 1;
}

// --- sources -----------------------------------------------------------------------
async function begin(open) {
  ui.setStartBusy(true);
  ui.showCameraError("");
  const video = ui.elements.video;
  try {
    const source = await open(video);
    app.source = source;
    ui.setSourceLabel(source.label);
  } catch (error) {
    ui.setStartBusy(false);
    ui.showCameraError(error instanceof CameraError ? error.message : `Could not start: ${error.message}`);
    return;
  }
  ui.showScreen("stage");
  ui.showState("starting");
  updateControls();
  try {
    [app.landmarker, , { detectFace: app.detectFace }] = await everythingReady;
    app.viewport = ui.viewportSize();
    await host.call("init", { viewport_w_px: app.viewport.width_px, viewport_h_px: app.viewport.height_px });
    await setUpSettings();
    offerKeptCalibration();
  } catch (error) {
    closeSource(video);
    ui.showScreen("start");
    ui.setStartBusy(false);
    return;
  }
  app.running = true;
  app.checker.reset();
  app.lastVideoFrame_ms = performance.now();
  video.requestVideoFrameCallback(onVideoFrame);
}

async function stop() {
  if (app.webcamRecorder) await toggleWebcamRecording(); // save it, never lose it
  app.running = false;
  app.run = null;
  ui.showCalibrationStep(null);
  closeSource(ui.elements.video);
  ui.showScreen("start");
  ui.setStartBusy(false);
}

// --- the per-frame loop ------------------------------------------------------------
/** MediaPipe's VIDEO mode needs strictly increasing timestamps. */
function frameTime() {
  const t = Math.max(performance.now(), app.lastFrameTime_ms + 0.001);
  app.lastFrameTime_ms = t;
  return t;
}

/** A frame that yields no gaze: show why, and tell Python (null sample, filter reset). */
function noGaze(state, t_ms) {
  countState(state);
  ui.showState(state);
  app.live.gap(t_ms);
  if (host.inFlight < WORKER.maxFramesInFlight) {
    host.call("noFace", { t_ms, reason: state }).catch(onEngineError);
  }
}

function onVideoFrame() {
  if (!app.running) return;
  const video = ui.elements.video;
  video.requestVideoFrameCallback(onVideoFrame);
  if (document.hidden) return;
  const t_ms = frameTime();
  app.lastVideoFrame_ms = t_ms;
  debug.frames++;

  const step = app.run ? app.run.stepAt(t_ms) : null;
  if (app.run && step === null) finishRun();
  // The moving dot is drawn every animation frame (drawPursuit), not only per video frame.
  if (!(app.run instanceof PursuitRun)) ui.showCalibrationStep(step);

  const quality = app.checker.check(video, t_ms);
  if (quality.dark) return noGaze("dark", t_ms);
  if (quality.frozen) return noGaze("frozen", t_ms);
  const face = app.detectFace(app.landmarker, video, t_ms);
  if (face.faces === 0) {
    ui.drawLandmarks(null);
    return noGaze("noface", t_ms);
  }
  if (face.faces > 1) {
    ui.drawLandmarks(null);
    return noGaze("multiple", t_ms);
  }
  debug.faceFrames++;
  ui.drawLandmarks(face.landmarks);
  if (params.has("debug")) debug.lastLandmarks = Array.from(face.landmarks);
  if (host.inFlight >= WORKER.maxFramesInFlight) {
    debug.skipped++; // Python is behind: skip rather than queue (the page never waits)
    return;
  }
  const collecting = step !== null && step.collecting;
  if (collecting && step.pursuit) debug.pursuit.collected++;
  // The eye images for the appearance model; cut before the landmarks are transferred.
  app.cropper ??= new EyeCropper();
  const patches = app.cropper.crop(video, video.videoWidth, video.videoHeight, face.landmarks);
  debug.eyePatches[patches ? "sent" : "missing"]++;
  host.call("frame", {
    t_ms, landmarks: face.landmarks, matrix: face.matrix,
    image_w_px: video.videoWidth, image_h_px: video.videoHeight,
    target_index: collecting ? step.index : null,
    // A pursuit frame's target is where the eyes trailing the dot look (step.lookedAt).
    target_x_px: collecting ? (step.lookedAt ?? step.target).x_px : null,
    target_y_px: collecting ? (step.lookedAt ?? step.target).y_px : null,
    eye_patches: patches,
  }, [face.landmarks.buffer, face.matrix.buffer, ...(patches ? [patches.buffer] : [])])
    .then(onSample, onEngineError);
}

/** @param {import("./messages.js").GazeSample} sample */
function onSample(sample) {
  debug.answered++;
  debug.lastSample = sample;
  if (debug.firstAnswer_ms === null) debug.firstAnswer_ms = performance.now();
  if (!app.running || document.hidden) return; // a late answer must not hide the paused state
  countState(sample.state);
  ui.showState(sample.state);
  app.live.addSample(sample);
  if (sample.x !== null && sample.state === "tracking") {
    app.samples++;
    if (app.samples === 1 || app.samples % 30 === 0) updateControls();
  }
}

/**
 * Self-calibration: with "Learn from clicks" on, every click while tracking goes to
 * Python with its time; Python pairs it with the latest frame and refuses clicks far
 * from the gaze. Refused clicks are silent (counted in gazeheatDebug.clicks).
 * @param {MouseEvent} event
 */
function onPageClick(event) {
  if (!app.learnFromClicks || !app.running || !app.calibrated || app.run) return;
  host.call("click", { t_ms: performance.now(), x_px: event.clientX, y_px: event.clientY })
    .then((result) => {
      debug.clicks[result.accepted ? "accepted" : "rejected"]++;
      debug.clicks.lastReason = result.reason;
    }, onEngineError);
}
document.addEventListener("click", onPageClick);

function onEngineError(error) {
  debug.engineErrors++;
  if (!app.errorShown) {
    app.errorShown = true;
    ui.showMessage(`The gaze engine reported an error: ${error.type ?? "Error"}: ${error.message}`, true);
  }
}

// Frames stop arriving (camera unplugged, stream frozen): say so instead of a stale dot.
setInterval(() => {
  if (app.running && !document.hidden &&
      performance.now() - app.lastVideoFrame_ms > FRAME_CHECK.frozenAfterMs) {
    countState("frozen");
    ui.showState("frozen");
    app.live.gap(performance.now());
  }
}, FRAME_CHECK.watchdogIntervalMs);

// --- the window: full screen, and size changes --------------------------------------
// Gaze is in CSS px of the viewport: the model holds only for the size it was fitted in.
function sameSize(a, b) {
  return a !== null && b !== null && a.width_px === b.width_px && a.height_px === b.height_px;
}

async function onViewportChange() {
  const size = ui.viewportSize();
  if (!app.running || sameSize(size, app.viewport)) return;
  app.viewport = size;
  if (app.run) cancelCalibration("The window changed size during calibration. Calibrate again.");
  try {
    await host.call("setViewport", { viewport_w_px: size.width_px, viewport_h_px: size.height_px });
  } catch (error) {
    onEngineError(error);
    return;
  }
  debug.viewport = size;
  if (!app.calibrated) {
    offerKeptCalibration(); // a kept calibration may fit this size
  } else if (sameSize(size, app.calibratedViewport)) {
    ui.showMessage("Back at the size you calibrated in: the calibration holds again.");
  } else {
    ui.showMessage(`The window changed size since calibrating (${app.calibratedViewport.width_px}×` +
      `${app.calibratedViewport.height_px} → ${size.width_px}×${size.height_px}): gaze is off ` +
      "until you calibrate again (C) or restore the size.", true);
  }
}

let resizeTimer = 0;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(onViewportChange, VIEW.resizeSettleMs);
});

/** Full screen on or off (best before calibrating: the calibration holds for one size). */
async function toggleFullscreen() {
  try {
    if (document.fullscreenElement) await document.exitFullscreen();
    else await document.documentElement.requestFullscreen();
  } catch (error) {
    ui.showMessage(`Full screen is not available here: ${error.message}`, true);
  }
}

document.addEventListener("visibilitychange", () => {
  if (!app.running) return;
  if (document.hidden) {
    cancelCalibration("Calibration was interrupted because the tab was hidden. Calibrate again.");
    noGaze("hidden", frameTime());
  } else {
    app.checker.reset();
    app.lastVideoFrame_ms = performance.now();
  }
});

// --- calibration, then validation on targets the model never saw --------------------
async function startCalibration() {
  try {
    app.retriedTargets = false;
    app.dotsBeforePursuit = null;
    // Fetched now (the window cannot change size during calibration without cancelling
    // it), so the moving dot follows the last dot without a pause.
    app.pursuitPlan = app.smoothPursuit ? await host.call("pursuitPlan", {}) : null;
    const targets = await host.call("calibrationStart", {});
    ui.hideHeatmap();
    app.live.clear();
    ui.showMessage("");
    ui.hideValidation();
    app.run = new CalibrationRun(targets, performance.now());
    app.runPhase = "calibration";
    updateControls();
  } catch (error) {
    ui.showMessage(`Calibration could not start: ${error.message}`, true);
  }
}

function cancelCalibration(reason = "Calibration cancelled.") {
  if (!app.run) return;
  const phase = app.runPhase;
  app.run = null;
  app.pursuitPlan = null;
  app.dotsBeforePursuit = null; // a cancelled calibration is not logged to the webcam recording
  ui.showCalibrationStep(null);
  if (phase === "validation" || phase === "recentre") {
    host.call("validationCancel", {}).catch(onEngineError);
    ui.showMessage(phase === "validation"
      ? "Validation skipped: the calibration is in use, its accuracy was not measured."
      : "Re-centring cancelled: the calibration is unchanged.");
  } else {
    host.call("calibrationCancel", {}).catch(onEngineError);
    ui.showMessage(reason + (app.calibrated ? " The previous calibration is still in use." : ""), true);
  }
  updateControls();
}

/** Log the targets of a finished run to the webcam recording (when it records). */
function logRun(phase, run) {
  if (!app.webcamRecorder) return;
  if (run instanceof PursuitRun) {
    const { start_ms, end_ms } = run.interval();
    app.webcamRecorder.logPursuit(run.collectedPath(), start_ms, end_ms);
    return;
  }
  run.targets.forEach((t, i) => {
    const { start_ms, end_ms } = run.interval(i);
    app.webcamRecorder.logTarget(phase, t.x_px, t.y_px, start_ms, end_ms);
  });
}

/** The last target has been shown: fit (calibration) or measure (validation). */
async function finishRun() {
  const phase = app.runPhase;
  const run = app.run;
  app.run = null;
  // The first run of dots of a calibration (not the retry of bad dots): the moving dot
  // follows at once, and the fit waits for it.
  if (phase === "calibration" && app.pursuitPlan !== null && !app.retriedTargets && startPursuit(run)) return;
  if (phase === "pursuit") {
    logRun("calibration", app.dotsBeforePursuit);
    app.dotsBeforePursuit = null;
    debug.pursuit.finished = true;
  }
  logRun(phase, run);
  ui.showCalibrationStep(null);
  updateControls();
  if (phase === "calibration" || phase === "pursuit") await finishCalibration();
  else if (phase === "validation") await finishValidation();
  else await finishRecentre();
  updateControls();
}

/**
 * Start the smooth-pursuit pass after `dots` (the calibration run just finished); false
 * when the plan is unusable (the calibration then goes on with the dots alone).
 * @param {CalibrationRun} dots
 */
function startPursuit(dots) {
  const plan = app.pursuitPlan;
  app.pursuitPlan = null;
  try {
    app.run = new PursuitRun(plan, performance.now());
  } catch (error) {
    ui.showMessage(`The smooth-pursuit pass was skipped: ${error.message}`, true);
    return false;
  }
  app.runPhase = "pursuit";
  app.dotsBeforePursuit = dots;
  debug.pursuit = { drawn: 0, distinct: 0, collected: 0, min_x_px: Infinity, max_x_px: -Infinity,
    min_y_px: Infinity, max_y_px: -Infinity, last_x_px: null, last_y_px: null, finished: false };
  drawPursuit(app.run);
  return true;
}

/**
 * Draw the moving dot where it is now, every animation frame while `run` is the pass
 * being shown (video frames come at only ~30 per second).
 * @param {PursuitRun} run
 */
function drawPursuit(run) {
  if (app.run !== run) return; // finished or cancelled
  const step = run.stepAt(performance.now());
  if (step === null) return; // the next video frame finishes the run
  ui.showCalibrationStep(step);
  const p = debug.pursuit;
  const { x_px, y_px } = step.target;
  if (x_px !== p.last_x_px || y_px !== p.last_y_px) p.distinct++;
  p.drawn++;
  Object.assign(p, { last_x_px: x_px, last_y_px: y_px, min_x_px: Math.min(p.min_x_px, x_px),
    max_x_px: Math.max(p.max_x_px, x_px), min_y_px: Math.min(p.min_y_px, y_px),
    max_y_px: Math.max(p.max_y_px, y_px) });
  requestAnimationFrame(() => drawPursuit(run));
}

async function finishCalibration() {
  try {
    const summary = await host.call("calibrationFinish", {});
    const bad = summary.bad_targets ?? [];
    if (bad.length > 0 && !app.retriedTargets) {
      // A target the gaze model could not fit (looked away, blinked): show it again once.
      app.retriedTargets = true;
      debug.retried = bad;
      ui.showMessage(`${bad.length === 1 ? "One dot was" : `${bad.length} dots were`} not measured ` +
        "well: look at it again.");
      app.run = new CalibrationRun(await host.call("calibrationRetry", { indices: bad }), performance.now());
      app.runPhase = "calibration";
      return;
    }
    app.retriedTargets = false;
    debug.calibration = summary;
    app.pursuitSummary = summary.pursuit ?? null;
    app.calibrated = true;
    app.calibratedViewport = ui.viewportSize();
    app.validation = null;
    ui.offerSavedCalibration(null);
    await keepCurrentCalibration();
  } catch (error) {
    app.retriedTargets = false;
    debug.calibration = { error: error.message };
    host.call("calibrationCancel", {}).catch(onEngineError);
    ui.showMessage(`Calibration failed: ${error.message} Calibrate again; keep your face in view ` +
      "and look at each dot." + (app.calibrated ? " The previous calibration is still in use." : ""), true);
    return;
  }
  try {
    app.run = new CalibrationRun(await host.call("validationStart", {}), performance.now());
    app.runPhase = "validation";
  } catch (error) {
    ui.showMessage(`Calibrated, but validation could not start: ${error.message}`, true);
  }
}

async function finishValidation() {
  try {
    const validation = await host.call("validationFinish", {});
    debug.validation = validation;
    app.validation = validation;
    await keepCurrentCalibration();
    ui.showValidation(validation, app.source?.kind === "demo", app.pursuitSummary);
  } catch (error) {
    debug.validation = { error: error.message };
    ui.showMessage(`The accuracy could not be measured: ${error.message} Recalibrate, keep your ` +
      "face in view and look at each dot.", true);
  }
}

/** Drift correction: one target at the centre, no full calibration. */
async function startRecentre() {
  if (!app.calibrated || app.run) return;
  try {
    app.run = new CalibrationRun(await host.call("recentreStart", {}), performance.now());
    app.runPhase = "recentre";
    ui.showMessage("");
    updateControls();
  } catch (error) {
    ui.showMessage(`Re-centring could not start: ${error.message}`, true);
  }
}

async function finishRecentre() {
  try {
    const result = await host.call("recentreFinish", {});
    debug.recentre = result;
    await keepCurrentCalibration();
    ui.showMessage(`Re-centred: the gaze was ${Math.round(result.shift_px)} px off at the centre ` +
      "and is corrected now.");
  } catch (error) {
    debug.recentre = { error: error.message };
    ui.showMessage(`Re-centring failed: ${error.message}`, true);
  }
}

// --- a kept calibration: skip the full calibration on the same setup ---------------
/** The camera and screen a calibration holds for. @returns {import("./calibration_store.js").Setup} */
function currentSetup() {
  const video = ui.elements.video;
  return { camera: { label: app.source?.label ?? "", width_px: video.videoWidth, height_px: video.videoHeight },
    screen: ui.screenGeometry() };
}

/** Offer the kept calibration if it fits this setup, or say why it does not. */
function offerKeptCalibration() {
  const { saved, problem } = loadSavedCalibration(currentSetup());
  app.keptCalibration = saved;
  debug.savedCalibration = { offered: saved !== null, problem };
  if (saved === null) {
    ui.offerSavedCalibration(null);
    if (problem) ui.showMessage(`The saved calibration cannot be used: ${problem}. Calibrate (C).`);
    return;
  }
  const quality = saved.accuracy_deg === null ? "" : ` · ${saved.accuracy_deg.toFixed(1)}° (${saved.grade})`;
  const description = `kept ${new Date(saved.saved_at).toLocaleString()}${quality}`;
  ui.offerSavedCalibration(description);
  ui.showMessage(`A calibration ${description} fits this camera and screen: “Use saved calibration” (U) ` +
    "skips the 9 dots and checks it with 5. Or Calibrate (C) afresh.");
}

/** Track with the kept calibration, then validate it at once (5 dots). */
async function useSavedCalibration() {
  const saved = app.keptCalibration;
  if (saved === null || app.run) return;
  ui.offerSavedCalibration(null);
  app.keptCalibration = null;
  try {
    await host.call("calibrationRestore", { saved: saved.calibration });
  } catch (error) {
    forgetCalibration();
    ui.showMessage(`The saved calibration cannot be used (${error.message}). Calibrate (C).`, true);
    return;
  }
  app.calibrated = true;
  app.calibratedViewport = ui.viewportSize();
  debug.calibration = { restored: true };
  app.pursuitSummary = null;
  ui.showMessage("");
  try {
    app.run = new CalibrationRun(await host.call("validationStart", {}), performance.now());
    app.runPhase = "validation";
  } catch (error) {
    ui.showMessage(`The saved calibration is in use, but it could not be checked: ${error.message}`, true);
  }
  updateControls();
}

/** Keep the model now in use for next time (with the last validation, if any). */
async function keepCurrentCalibration() {
  try {
    const calibration = await host.call("calibrationSaved", {});
    const error = keepCalibration(currentSetup(), calibration, app.validation);
    if (error) ui.showMessage(`The calibration works but is not kept for next time: ${error}.`, true);
  } catch (error) {
    onEngineError(error);
  }
}

function acceptCalibration() {
  ui.hideValidation();
  ui.showMessage(app.source?.kind === "demo"
    ? "The demo face does not follow the dots, so its gaze is not meaningful: it shows the pipeline at work."
    : "Look around — the dot follows your gaze.");
}

// --- live views and heatmap --------------------------------------------------------
function heatmapRequest() {
  const { width_px, height_px } = ui.viewportSize();
  return host.call("heatmap", { width_px, height_px });
}

/** Switch a live view on or off; remembered across reloads. */
function setView(key, on) {
  app.views[key] = on;
  ui.showViewToggle(key, on);
  if (key === "heatmap") {
    if (on) refreshLive();
    else ui.hideHeatmap();
  } else {
    app.live.setVisible(key, on);
    if (key === "fixations" && on) refreshLive();
  }
  const error = saveJson(STORAGE_KEYS.views, app.views);
  if (error) ui.showMessage(`View choice not kept: ${error}`, true);
}

/** Once a second: fixations of the last seconds and the heatmap, computed in the worker. */
async function refreshLive() {
  if (!app.running || app.liveBusy || app.run || document.hidden) return;
  if (!app.views.fixations && !app.views.heatmap) return;
  app.liveBusy = true; // never queue refreshes behind a slow one
  try {
    const { width_px, height_px } = ui.viewportSize();
    const result = await host.call("live", {
      since_ms: performance.now() - VIEW.fixationWindowMs, with_fixations: app.views.fixations,
      with_heatmap: app.views.heatmap, width_px, height_px });
    if (app.views.fixations) app.live.setFixations(result.fixations);
    if (app.views.heatmap && result.heatmap) await ui.showHeatmap(result.heatmap);
    debug.liveRefreshes = (debug.liveRefreshes ?? 0) + 1;
  } catch (error) {
    onEngineError(error);
  } finally {
    app.liveBusy = false;
  }
}
setInterval(refreshLive, VIEW.liveRefreshMs);

async function downloadHeatmap() {
  try {
    await ui.downloadHeatmap(await heatmapRequest());
  } catch (error) {
    ui.showMessage(`The heatmap could not be saved: ${error.message}`, true);
  }
}

async function clearRecording() {
  await host.call("clear", {}).catch(onEngineError);
  app.samples = 0;
  app.live.clear();
  ui.hideHeatmap();
  updateControls();
}

// --- settings (schema and validation in Python; kept in localStorage) --------------
async function setUpSettings() {
  if (app.settings) return;
  const schema = await host.call("settingsSchema", {});
  const saved = loadJson(STORAGE_KEYS.settings);
  let values;
  try {
    values = await host.call("configure", { settings: saved.value ?? {} });
    if (saved.error) ui.showMessage(`Settings: ${saved.error}; using the defaults.`, true);
  } catch (error) {
    ui.showMessage(`Saved settings were not usable (${error.message}); using the defaults.`, true);
    removeKey(STORAGE_KEYS.settings);
    values = await host.call("configure", { settings: {} });
  }
  app.learnFromClicks = values.learn_from_clicks === "on";
  app.smoothPursuit = values[PURSUIT.setting] === "on";
  app.settings = new SettingsPanel(schema, applySettings);
  app.settings.show(values);
}

/** Apply settings from the panel; returns an error message, or null when applied and saved. */
async function applySettings(values) {
  try {
    const applied = await host.call("configure", { settings: values });
    debug.settings = applied;
    app.learnFromClicks = applied.learn_from_clicks === "on";
    app.smoothPursuit = applied[PURSUIT.setting] === "on";
    refreshLive();
    return saveJson(STORAGE_KEYS.settings, applied);
  } catch (error) {
    return error.message;
  }
}

// --- recording over a stimulus -----------------------------------------------------
/** @param {import("./record_panel.js").StimulusChoice} choice */
async function startRecording(choice) {
  app.recordPanel.showError("");
  try {
    let geometry;
    if (choice.kind === "sample" || choice.kind === "file") {
      const { image, name } = await loadImage(choice.file);
      geometry = app.stimulus.showImage(image, name);
    } else if (choice.kind === "screen") {
      geometry = await app.stimulus.showScreen();
    } else {
      geometry = app.stimulus.showPage(choice.kind);
    }
    const pixels = app.stimulus.pixels();
    await host.call("recordingStart", { stimulus: geometry, rgba: pixels.rgba,
      width_px: pixels.width_px, height_px: pixels.height_px }, [pixels.rgba.buffer]);
  } catch (error) {
    app.stimulus.hide();
    app.recordPanel.showError(error.message);
    return;
  }
  app.samples = 0;
  app.live.clear();
  ui.hideHeatmap();
  app.recordPanel.started(performance.now());
  debug.recording = { started: true };
  await startKeeping(choice);
}

async function stopRecording() {
  if (!app.recordPanel.recording) return;
  // A shared screen changes while recording: its last frame becomes the background.
  const pixels = app.stimulus.geometry?.kind === "screen" ? app.stimulus.pixels() : null;
  app.recordPanel.stopped();
  try {
    const picture = pixels ? await app.stimulus.pictureBlob() : null;
    const summary = await host.call("recordingStop", pixels ? { rgba: pixels.rgba,
      width_px: pixels.width_px, height_px: pixels.height_px } : {},
    pixels ? [pixels.rgba.buffer] : []);
    debug.recording = summary;
    await finishKeeping(picture && { blob: picture, media_type: "image/png" });
    app.stimulus.hide();
    app.renderOptions ??= await host.call("renderOptions", {});
    app.recordPanel.setRenderOptions(app.renderOptions);
    const preview = await host.call("renderHeatmap", { options: previewOptions("overlay") });
    const seconds = (summary.duration_ms / 1000).toFixed(1);
    const kept = app.keepingError ?? "Kept in this browser: see the Dashboard.";
    app.recordPanel.showResults(`${seconds} s recorded over ${app.stimulus.geometry.name}: ` +
      `${summary.n_valid} of ${summary.n_samples} samples with gaze, ${summary.n_fixations} fixations. ` +
      kept, preview.png);
  } catch (error) {
    app.stimulus.hide();
    ui.showMessage(`The recording could not be finished: ${error.message}`, true);
  }
  updateControls();
}

function previewOptions(output) {
  return { ...app.recordPanel.renderOptions(), output };
}

async function refreshPreview() {
  try {
    const preview = await host.call("renderHeatmap", { options: previewOptions("overlay") });
    app.recordPanel.showPreview(preview.png);
    app.recordPanel.showResultsError("");
  } catch (error) {
    app.recordPanel.showResultsError(error.message);
  }
}

/** @param {"overlay"|"heatmap"|"gazeplot"|"samples"|"fixations"|"session"} what */
async function downloadResult(what) {
  const name = app.stimulus.geometry?.name ?? "session";
  try {
    if (what === "overlay" || what === "heatmap") {
      const result = await host.call("renderHeatmap", { options: previewOptions(what) });
      ui.downloadBlob(new Blob([result.png], { type: "image/png" }), ui.fileName(`${name}-${what}`, "png"));
    } else if (what === "gazeplot") {
      const result = await host.call("renderGazeplot", { options: previewOptions(what) });
      ui.downloadBlob(new Blob([result.png], { type: "image/png" }), ui.fileName(`${name}-gazeplot`, "png"));
    } else if (what === "samples" || what === "fixations") {
      const text = await host.call("exportCsv", { kind: what });
      ui.downloadBlob(new Blob([text], { type: "text/csv;charset=utf-8" }), ui.fileName(`${name}-${what}`, "csv"));
    } else {
      const session = await host.call("session", { created_iso: new Date().toISOString() });
      ui.downloadBlob(new Blob([JSON.stringify(session)], { type: "application/json" }),
        ui.fileName(`${name}-session`, "json"));
    }
    app.recordPanel.showResultsError("");
  } catch (error) {
    app.recordPanel.showResultsError(`${what}: ${error.message}`);
  }
}

// --- keeping recordings in the browser (IndexedDB), a chunk every second -----------
/** The session store, opened once. @returns {Promise<SessionStore>} */
function sessionStore() {
  app.store ??= SessionStore.open().catch((error) => {
    app.store = null; // try again next time (e.g. after the person freed storage)
    throw error;
  });
  return app.store;
}

/** Image types a session file can carry (see docs/session.md, stimulus_image). */
const KEPT_IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp"];

/** The stimulus picture to keep with the session; a shared screen's comes at the end. */
async function stimulusPicture(choice) {
  if (choice.kind === "screen") return null;
  let blob = null;
  if (choice.kind === "file") blob = choice.file;
  else if (choice.kind === "sample") blob = await (await fetch(choice.file)).blob();
  if (blob === null || !KEPT_IMAGE_TYPES.includes(blob.type)) blob = await app.stimulus.pictureBlob();
  return { blob, media_type: blob.type };
}

/** Start writing the new recording to the store; if that fails it goes on in memory. */
async function startKeeping(choice) {
  app.keepingError = null;
  try {
    const store = await sessionStore();
    const header = await host.call("session", { created_iso: new Date().toISOString() });
    delete header.samples; // recorded from now on, in chunks
    delete header.fixations;
    const id = newRecordingId();
    const participant = app.recordPanel.participant();
    await store.begin({ id, participant, created: header.created, viewport: header.viewport,
      stimulus: header.stimulus ?? null, stimulus_name: header.stimulus?.name ?? "page",
      accuracy_deg: header.validation?.accuracy_deg ?? null, grade: header.validation?.grade ?? null,
      header }, await stimulusPicture(choice));
    app.keeping = { id, participant, created: header.created, seq: 0, stored: 0,
      queue: Promise.resolve(), timer: setInterval(queueFlush, SESSION_STORE.flushIntervalMs) };
    debug.kept = { id, chunks: 0, samples: 0, finished: false };
  } catch (error) {
    notKept(`This recording is not being kept in the browser: ${error.message}`);
  }
}

/** Write what was recorded since the last write (writes never overlap). */
function queueFlush() {
  const keeping = app.keeping;
  if (keeping === null) return Promise.resolve();
  keeping.queue = keeping.queue.then(() => flushKept(keeping));
  return keeping.queue;
}

async function flushKept(keeping) {
  if (app.keeping !== keeping) return;
  try {
    const tail = await host.call("recordingTail", { start: keeping.stored });
    const n = tail.t_ms.length;
    if (n === 0) return;
    await (await sessionStore()).append(keeping.id, keeping.seq, {
      t_ms: Float64Array.from(tail.t_ms), x: Float64Array.from(tail.x, (v) => v ?? NaN),
      y: Float64Array.from(tail.y, (v) => v ?? NaN) });
    keeping.seq++;
    keeping.stored += n;
    debug.kept = { id: keeping.id, chunks: keeping.seq, samples: keeping.stored, finished: false };
  } catch (error) {
    stopKeeping(keeping);
    notKept(`This recording is no longer being kept in the browser: ${error.message}`);
  }
}

/** Say (now, and in the results) that the recording is not kept; it goes on in memory. */
function notKept(text) {
  app.keepingError = text;
  ui.showMessage(`${text} The recording goes on; download the session at the end.`, true);
}

function stopKeeping(keeping) {
  clearInterval(keeping.timer);
  if (app.keeping === keeping) app.keeping = null;
}

/** The recording stopped: write the last samples, then the whole session. */
async function finishKeeping(picture) {
  const keeping = app.keeping;
  if (keeping === null) return;
  clearInterval(keeping.timer);
  await queueFlush();
  if (app.keeping !== keeping) return; // writing failed meanwhile (already said)
  stopKeeping(keeping);
  try {
    const session = await host.call("session", { created_iso: keeping.created });
    session.participant = keeping.participant;
    session.recording_id = keeping.id;
    await (await sessionStore()).finish(keeping.id, session, picture);
    debug.kept = { id: keeping.id, chunks: keeping.seq, samples: session.samples.length, finished: true };
  } catch (error) {
    notKept(`The end of this recording was not kept in the browser: ${error.message} ` +
      "Its samples up to the last second are.");
  }
}

// --- webcam recordings for re-analysis ---------------------------------------------
async function toggleWebcamRecording() {
  if (!app.running) return;
  if (!app.webcamRecorder) {
    try {
      const video = ui.elements.video;
      app.webcamRecorder = new WebcamRecorder(video.srcObject ?? video.captureStream());
      await app.webcamRecorder.started;
      ui.showWebcamRecording(true);
      ui.showMessage("Recording the webcam: calibrate (and validate) now, so the recording can be re-analysed.");
    } catch (error) {
      app.webcamRecorder = null;
      ui.showMessage(`The webcam cannot be recorded: ${error.message}`, true);
    }
    return;
  }
  const recorder = app.webcamRecorder;
  app.webcamRecorder = null;
  ui.showWebcamRecording(false);
  try {
    const { video, targets } = await recorder.stop();
    const zip = await host.call("webcamRecordingZip", { video_name: "webcam.webm",
      video_bytes: new Uint8Array(await video.arrayBuffer()), targets });
    ui.downloadBlob(new Blob([zip], { type: "application/zip" }), ui.fileName("recording", "zip"));
    ui.showMessage(`Recording saved (${targets.length} targets). Unzip it and run ` +
      "python3 build.py replay FOLDER -o session.json to re-analyse it.");
  } catch (error) {
    ui.showMessage(`The recording could not be saved: ${error.message}`, true);
  }
}

app.recordPanel = new RecordPanel({ onStart: startRecording, onStop: stopRecording,
  onDownload: downloadResult, onOptions: refreshPreview });

ui.bindControls({
  onCamera: () => begin(openCamera),
  onDemo: () => begin(openDemo),
  onCalibrate: startCalibration,
  onAcceptCalibration: acceptCalibration,
  onRecentre: startRecentre,
  onSavedCalibration: useSavedCalibration,
  onFullscreen: toggleFullscreen,
  onEscape: () => (app.recordPanel.recording ? stopRecording() : cancelCalibration()),
  onRecord: () => app.recordPanel.open(),
  onWebcamRecording: toggleWebcamRecording,
  onSettings: () => app.settings?.open(),
  onToggleView: (key) => setView(key, !app.views[key]),
  onDownload: downloadHeatmap,
  onClear: clearRecording,
  onStop: stop,
});

// Live views as the user left them last time.
const savedViews = loadJson(STORAGE_KEYS.views).value;
for (const view of LIVE_VIEWS) {
  const on = typeof savedViews?.[view.key] === "boolean" ? savedViews[view.key] : view.initially;
  app.views[view.key] = on;
  ui.showViewToggle(view.key, on);
  if (view.key !== "heatmap") app.live.setVisible(view.key, on);
}

// ?source=demo or ?source=camera starts at once (links for demos, tests and benchmarks).
if (params.get("source") === "demo") begin(openDemo);
else if (params.get("source") === "camera") begin(openCamera);
