// Every tunable value of the page and the worker, stated once, with its unit.

/** Paths inside dist/, relative to the page (same origin only). */
export const PATHS = Object.freeze({
  pyodideDir: "vendor/pyodide/",
  pythonPackage: "py/gazeheat.zip",
  // Pyodide memory with gazeheat already imported, made at build time (gzip): skips
  // Python's start-up in the browser. Optional: without it the worker starts the slow way.
  pythonSnapshot: "py/gazeheat.snapshot.gz",
  pythonPackageDir: "/gazeheat-site", // where the package is unpacked in Pyodide's file system
  mediapipeBundle: "../vendor/mediapipe/vision_bundle.mjs", // relative to js/
  mediapipeWasmDir: "vendor/mediapipe/wasm",
  model: "models/face_landmarker.task",
  demoVideo: "media/demo.webm",
  sampleStimuli: [
    { file: "media/samples/coffee.png", label: "Sample: coffee cup (photo)" },
    { file: "media/samples/chelsea.png", label: "Sample: Chelsea the cat (photo)" },
  ],
  worker: "worker.js", // relative to js/
});

/** MediaPipe FaceLandmarker settings. */
export const LANDMARKER = Object.freeze({
  delegate: "CPU", // the GPU delegate is software WebGL on machines without a GPU: ~7x slower
  // Two, not one: so that a second person in view is noticed and no gaze is produced.
  numFaces: 2,
  landmarkCount: 478,
  irisFirstIndex: 468, // 468..477: both irises (centre + 4 ring points each)
  minFaceDetectionConfidence: 0.5,
  minFacePresenceConfidence: 0.5,
  minTrackingConfidence: 0.5,
});

/** Camera request. */
export const CAMERA = Object.freeze({
  idealWidthPx: 640,
  idealHeightPx: 480,
  idealFps: 30,
});

/** Frame-quality checks run on every frame before any gaze is produced. */
export const FRAME_CHECK = Object.freeze({
  thumbWidthPx: 32,
  thumbHeightPx: 24,
  darkMeanLuma: 18, // 0..255: mean luminance below this is "too dark"
  frozenAfterMs: 1500, // no new or no changed frame for this long: "camera frozen"
  watchdogIntervalMs: 500,
});

/** Worker traffic. */
export const WORKER = Object.freeze({
  // Frames in flight to Python before new frames are skipped: the main thread never waits.
  maxFramesInFlight: 2,
  requestTimeoutMs: 60000,
});

/** Calibration: a 3x3 grid, 10 % margins, one target at a time. */
export const CALIBRATION = Object.freeze({
  rows: 3,
  cols: 3,
  marginFraction: 0.1,
  targetMs: 1800, // the first ~400 ms of each target are dropped by Python (eyes still moving)
  leadInMs: 700, // the dot travels to the next target before samples count
});

/**
 * The smooth-pursuit pass after the calibration dots. Its timing and path come from
 * Python (GazeTracker.pursuit_plan, worker message pursuitPlan): nothing here mirrors it.
 */
export const PURSUIT = Object.freeze({
  setting: "smooth_pursuit", // the setting (gazeheat.settings) that adds the pass
  ringScale: 0.5, // the ring around the moving dot stays this size (the dots' ring shrinks)
});

/** Live view and heatmap display (the density itself is Python's: gazeheat/constants.py). */
export const VIEW = Object.freeze({
  trailMs: 3000, // the gaze trail shows the last 3 s, fading with age
  fixationWindowMs: 10000, // live fixation circles: the last 10 s
  liveRefreshMs: 1000, // live heatmap and fixations are recomputed in the worker once a second
  fixationRadiusPxPerS: 40, // circle radius grows with duration: 40 px per second...
  fixationMinRadiusPx: 8, // ...from this minimum
  fixationMaxRadiusPx: 60,
  legendWidthPx: 220,
  legendHeightPx: 14,
  resizeSettleMs: 300, // act on a window size change once it has stopped changing
});

/** Frame states shown to the user; "tracking" is the only one that yields gaze. */
export const STATE_TEXT = Object.freeze({
  starting: "Starting…",
  tracking: "Tracking",
  calibrating: "Calibrating",
  validating: "Measuring accuracy",
  recentring: "Re-centring",
  uncalibrated: "Face found — calibrate to see your gaze",
  noface: "No face in view — look at the screen, face the camera",
  multiple: "Several faces in view — only one person, please",
  dark: "Too dark — add light in front of you",
  frozen: "The camera stopped sending pictures",
  hidden: "Paused while this tab is hidden",
  blink: "Eyes closed",
  invalid: "Eyes not measurable",
});

/** Live views people can switch on and off, with their keyboard shortcuts. */
export const LIVE_VIEWS = Object.freeze([
  { key: "dot", label: "Gaze dot", shortcut: "d", initially: true },
  { key: "trail", label: "Trail", shortcut: "t", initially: true },
  { key: "fixations", label: "Fixations", shortcut: "f", initially: false },
  { key: "heatmap", label: "Live heatmap", shortcut: "h", initially: false },
]);

/** Other keyboard shortcuts (listed in the in-app help). */
export const SHORTCUTS = Object.freeze([
  { shortcut: "c", label: "Calibrate" },
  { shortcut: "x", label: "Re-centre: correct a drift by looking at one dot" },
  { shortcut: "u", label: "Use the saved calibration (when offered), then check it with 5 dots" },
  { shortcut: "r", label: "Record over an image, a page or a shared screen" },
  { shortcut: "w", label: "Record the webcam video for re-analysis (build.py replay) on/off" },
  { shortcut: "s", label: "Settings" },
  { shortcut: "?", label: "This help" },
  { shortcut: "Escape", label: "Cancel calibration / stop recording / close a panel" },
]);

/** localStorage keys (versioned: a new format gets a new key). */
export const STORAGE_KEYS = Object.freeze({
  settings: "gazeheat.settings.v1",
  views: "gazeheat.views.v1",
  // The fitted gaze model with the setup it was fitted on (the record carries its own
  // format version too, so an old one is recognised and explained rather than misread).
  calibration: "gazeheat.calibration",
});

/** A kept calibration: what must still match for it to be offered again. */
export const SAVED_CALIBRATION = Object.freeze({
  format: "gazeheat.saved-calibration",
  version: 1,
  maxAgeDays: 30, // older: heads, chairs and lighting have moved on; calibrate afresh
});

/** Sessions kept in IndexedDB while and after they are recorded (js/session_store.js). */
export const SESSION_STORE = Object.freeze({
  dbName: "gazeheat",
  dbVersion: 1,
  flushIntervalMs: 1000, // a crash loses at most this much of a recording
});

/** Recording over a stimulus. */
export const RECORDING = Object.freeze({
  gridSpacingPx: 80, // the grid page: one line every 80 CSS px
  maxStimulusPixels: 40e6, // refuse larger images (decoding them could exhaust memory)
});

/** The dashboard (site/dashboard.html): many sessions, aggregates, areas of interest. */
export const DASHBOARD = Object.freeze({
  // The session file limit of docs/session.md (gazeheat.constants.MAX_SESSION_BYTES):
  // a larger file is refused from its size alone, before a byte of it is read.
  maxImportBytes: 512 * 1024 * 1024,
  // Media types a session may embed as its stimulus picture (SESSION_IMAGE_MEDIA_TYPES);
  // a stored picture of another type is exported as PNG.
  embeddableImageTypes: ["image/png", "image/jpeg", "image/webp"],
  maxErrorDeg: 2.0, // aggregate: default limit on the validation error, degrees
  replayTrailMs: 1500, // the replay draws the last 1.5 s of gaze as a fading trail
  replayDotCssPx: 9, // radius of the replay's gaze dot as displayed, CSS px
  replaySpeeds: [0.5, 1, 2, 4],
  aoiMinSizePx: 4, // stimulus px: a shorter drag is a click, not a rectangle
  aoiCloseDistanceCssPx: 8, // a click this close to a polygon's first vertex closes it
  aoiMaxNameChars: 100, // gazeheat.constants.AOI_MAX_NAME_CHARS
  aoiMaxCount: 200, // gazeheat.constants.AOI_MAX_COUNT
  aoiMaxVertices: 1000, // gazeheat.constants.AOI_MAX_VERTICES
});

/**
 * Eye patches for the appearance model (issue #7), cut by js/eye_crop.js. Mirrors
 * py/gazeheat/constants.py (EYE_PATCH_*, MIN_EYE_WIDTH_PX); a browser test checks that
 * they agree. Positions in patch px, (0, 0) the patch's top-left pixel edge.
 */
export const EYE_PATCH = Object.freeze({
  widthPx: 20,
  heightPx: 12,
  cornerAPx: Object.freeze([2, 6]), // the eye's image-left corner lands here...
  cornerBPx: Object.freeze([18, 6]), // ...and its image-right corner here
  oversample: 4, // drawn 4x larger, then 4x4 blocks averaged (no aliasing)
  rightCorners: Object.freeze([33, 133]), // landmarks: corner A, corner B (right eye first)
  leftCorners: Object.freeze([362, 263]),
  minStdGrey: 2, // per-eye normalisation: std floored at 2 grey levels (0..255)
  minEyeWidthPx: 4, // eyes narrower than this (image px) give no patches
});
