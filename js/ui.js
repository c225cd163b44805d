// Everything that touches the DOM. Other modules call these functions with plain data.
import { LANDMARKER, LIVE_VIEWS, PURSUIT, SHORTCUTS, STATE_TEXT, VIEW } from "./constants.js";

const $ = (id) => document.getElementById(id);

/** The elements other modules need to hand to browser APIs (video, for MediaPipe). */
export const elements = {
  get video() { return $("video"); },
};

// --- start screen ------------------------------------------------------------------
/** @param {"start"|"stage"} name */
export function showScreen(name) {
  $("start").hidden = name !== "start";
  $("stage").hidden = name !== "stage";
}

/** @typedef {{label: string, state: "waiting"|"busy"|"done"|"failed"}} LoadingItem */

/** @param {Map<string, LoadingItem>} items */
export function showLoading(items) {
  const list = $("loading-list");
  list.replaceChildren(...[...items.values()].map((item) => {
    const li = document.createElement("li");
    li.textContent = item.label;
    li.className = item.state;
    return li;
  }));
  const done = [...items.values()].filter((i) => i.state === "done").length;
  $("loading-bar").style.width = `${(100 * done) / Math.max(1, items.size)}%`;
}

export function showCameraError(text) {
  const box = $("camera-error");
  box.textContent = text;
  box.hidden = !text;
}

export function showStartupError(text) {
  const box = $("startup-error");
  box.textContent = text;
  box.hidden = !text;
}

/** Enable/disable the start buttons (while a source is starting). */
export function setStartBusy(busy) {
  $("start-camera").disabled = busy;
  $("start-demo").disabled = busy;
}

// --- stage -------------------------------------------------------------------------
/** @param {keyof typeof STATE_TEXT} state */
export function showState(state) {
  const el = $("status");
  el.textContent = STATE_TEXT[state] ?? state;
  el.dataset.state = state;
  const ok = ["tracking", "calibrating", "validating", "recentring"].includes(state);
  el.className = "status " + (ok ? "ok" : "warn");
}

export function showMessage(text, isError = false) {
  const el = $("message");
  el.textContent = text;
  el.className = "message" + (isError ? " error" : "");
  el.hidden = !text;
}

export function setSourceLabel(text) {
  $("source-label").textContent = text;
}

/**
 * Offer the kept calibration (button + its description as tooltip), or stop offering it.
 * @param {?string} description  e.g. "kept 21 Nov 2026, 10:30 · 1.2° (good)"; null hides
 */
export function offerSavedCalibration(description) {
  const button = $("btn-saved-calibration");
  button.hidden = description === null;
  if (description !== null) button.title = `Use the calibration ${description}, then check it with 5 dots (U)`;
}

/** @param {{calibrated: boolean, samples: number, calibrating: boolean}} s */
export function setControls(s) {
  $("btn-saved-calibration").disabled = s.calibrating;
  $("btn-calibrate").disabled = s.calibrating;
  $("btn-calibrate").textContent = s.calibrated ? "Recalibrate" : "Calibrate";
  $("btn-download").disabled = s.samples === 0 || s.calibrating;
  $("btn-record").disabled = !s.calibrated || s.calibrating;
  $("btn-recentre").disabled = !s.calibrated || s.calibrating;
  $("btn-clear").disabled = s.samples === 0 || s.calibrating;
  $("toolbar").dataset.samples = String(s.samples);
  // Nothing but the target while calibrating: the toolbar would hide the top targets.
  $("stage").classList.toggle("calibrating", s.calibrating);
}

/**
 * @param {{onCamera, onDemo, onCalibrate, onAcceptCalibration, onRecentre, onSavedCalibration, onFullscreen, onEscape,
 *          onDownload, onClear,
 *          onStop, onSettings, onRecord, onWebcamRecording, onToggleView: (key: string) => void}} h
 */
export function bindControls(h) {
  $("start-camera").onclick = h.onCamera;
  $("start-demo").onclick = h.onDemo;
  $("btn-calibrate").onclick = h.onCalibrate;
  $("btn-recentre").onclick = h.onRecentre;
  $("btn-saved-calibration").onclick = h.onSavedCalibration;
  $("btn-fullscreen").onclick = h.onFullscreen;
  document.addEventListener("fullscreenchange", () => {
    $("btn-fullscreen").textContent = document.fullscreenElement ? "Exit full screen" : "Full screen";
  });
  $("validation-recalibrate").onclick = () => {
    hideValidation();
    h.onCalibrate();
  };
  $("validation-accept").onclick = h.onAcceptCalibration;
  $("btn-download").onclick = h.onDownload;
  $("btn-clear").onclick = h.onClear;
  $("btn-stop").onclick = h.onStop;
  $("btn-settings").onclick = h.onSettings;
  $("btn-record").onclick = h.onRecord;
  $("btn-webcam-rec").onclick = h.onWebcamRecording;
  $("btn-help").onclick = showHelp;
  $("help-close").onclick = () => $("help").close();
  $("toggle-preview").onchange = (e) => $("preview").classList.toggle("hidden-preview", !e.target.checked);
  $("toggle-landmarks").onchange = () => clearPreview();
  $("view-toggles").replaceChildren(...LIVE_VIEWS.map((view) => {
    const button = document.createElement("button");
    button.dataset.view = view.key;
    button.textContent = view.label;
    button.title = `${view.label} (${view.shortcut.toUpperCase()})`;
    button.onclick = () => h.onToggleView(view.key);
    return button;
  }));
  renderHelp();
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape") return h.onEscape();
    // Typing in a settings field is not a shortcut; neither is Ctrl/Cmd+key.
    if (e.ctrlKey || e.metaKey || e.altKey || e.target.closest?.("input, select, textarea")) return;
    if ($("stage").hidden) return;
    const key = e.key.toLowerCase();
    const view = LIVE_VIEWS.find((v) => v.shortcut === key);
    if (view) h.onToggleView(view.key);
    else if (key === "c" && !$("btn-calibrate").disabled) h.onCalibrate();
    else if (key === "s") h.onSettings();
    else if (key === "r" && !$("btn-record").disabled) h.onRecord();
    else if (key === "w") h.onWebcamRecording();
    else if (key === "x" && !$("btn-recentre").disabled) h.onRecentre();
    else if (key === "u" && !$("btn-saved-calibration").hidden) h.onSavedCalibration();
    else if (key === "?") showHelp();
  });
}

/** Mark a view toggle on or off. */
export function showViewToggle(key, on) {
  const button = document.querySelector(`#view-toggles button[data-view="${key}"]`);
  if (button) button.setAttribute("aria-pressed", String(on));
}

function renderHelp() {
  const rows = [...LIVE_VIEWS.map((v) => [v.shortcut, `${v.label} on/off`]),
    ...SHORTCUTS.map((s) => [s.shortcut, s.label])];
  $("help-shortcuts").replaceChildren(...rows.map(([key, label]) => {
    const tr = document.createElement("tr");
    const k = document.createElement("td");
    const kbd = document.createElement("kbd");
    kbd.textContent = key.length === 1 ? key.toUpperCase() : key;
    k.append(kbd);
    const l = document.createElement("td");
    l.textContent = label;
    tr.append(k, l);
    return tr;
  }));
}

function showHelp() {
  if (!$("help").open) $("help").showModal();
}

export function viewportSize() {
  return { width_px: window.innerWidth, height_px: window.innerHeight };
}

/** The window and the screen it is on, as a kept calibration records them (CSS px). */
export function screenGeometry() {
  return { viewport_w_px: window.innerWidth, viewport_h_px: window.innerHeight,
    screen_w_px: window.screen.width, screen_h_px: window.screen.height,
    device_pixel_ratio: window.devicePixelRatio };
}

// --- preview with iris landmarks ---------------------------------------------------
function clearPreview() {
  const canvas = $("preview-overlay");
  canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
}

/** Draw the iris points (and eye corners) of one frame over the preview. */
export function drawLandmarks(landmarks) {
  const canvas = $("preview-overlay");
  const video = $("video");
  if (canvas.width !== video.videoWidth || canvas.height !== video.videoHeight) {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!landmarks || !$("toggle-landmarks").checked) return;
  // Each iris: its centre point and a circle through its first ring point.
  ctx.strokeStyle = ctx.fillStyle = "#00e5ff";
  ctx.lineWidth = Math.max(1, canvas.width / 200);
  for (const c of [LANDMARKER.irisFirstIndex, LANDMARKER.irisFirstIndex + 5]) {
    const x = landmarks[3 * c] * canvas.width;
    const y = landmarks[3 * c + 1] * canvas.height;
    const r = Math.hypot(landmarks[3 * c + 3] * canvas.width - x, landmarks[3 * c + 4] * canvas.height - y);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth, 0, 2 * Math.PI);
    ctx.fill();
  }
}

// --- calibration target ------------------------------------------------------------
/**
 * Show the calibration dot (or hide it: null). A smooth-pursuit step (`pursuit: true`)
 * is drawn where it is now, without the glide between dots and with a fixed ring, and
 * the hint says to follow it.
 * @param {?(import("./calibration.js").CalibrationStep|import("./calibration.js").PursuitStep)} step
 */
export function showCalibrationStep(step) {
  const target = $("cal-target");
  const hint = $("cal-hint");
  hint.hidden = step === null;
  if (step === null) {
    target.hidden = true;
    target.classList.remove("moving");
    return;
  }
  const pursuit = step.pursuit === true;
  hint.dataset.mode = pursuit ? "pursuit" : "dots";
  target.hidden = false;
  target.dataset.index = String(step.index);
  // While it moves the dot must be exactly where the frames say it is: no CSS glide.
  target.classList.toggle("moving", pursuit && step.moving);
  target.style.transform = `translate(${step.target.x_px}px, ${step.target.y_px}px)`;
  // The dots' ring shrinks onto the dot while samples are collected: "keep looking
  // here"; the moving dot's ring stays one size.
  const ring = pursuit ? PURSUIT.ringScale : step.collecting ? 1 - 0.8 * step.fraction : 1.2;
  target.style.setProperty("--ring-scale", String(ring));
}

// --- validation result -------------------------------------------------------------
/**
 * Show accuracy, precision, grade and a picture of each target's error.
 * @param {import("./messages.js").ValidationResult} v
 * @param {boolean} demo  the demo video is the source
 * @param {?import("./messages.js").PursuitSummary} pursuit  the calibration summary's
 *   smooth-pursuit entry; null when there was no pursuit pass
 */
export function showValidation(v, demo, pursuit = null) {
  $("validation-grade").textContent = v.grade;
  $("validation-grade").dataset.grade = v.grade;
  $("validation-numbers").textContent = `Accuracy ${v.accuracy_deg.toFixed(1)}° ` +
    `(${Math.round(v.accuracy_px)} px), precision ${v.precision_deg.toFixed(1)}° ` +
    `(${Math.round(v.precision_px)} px), mean error ${v.mean_error_deg.toFixed(1)}° per sample, ` +
    `on ${v.targets.length} targets not used for calibration.`;
  $("validation-demo-note").hidden = !demo;
  const models = validationModelsLine();
  models.textContent = modelsText(v.models);
  models.hidden = !models.textContent;
  $("validation-pursuit").textContent = pursuitText(pursuit);
  $("validation-pursuit").hidden = !$("validation-pursuit").textContent;
  const canvas = $("validation-picture");
  const ctx = canvas.getContext("2d");
  const s = Math.min(canvas.width / window.innerWidth, canvas.height / window.innerHeight);
  ctx.fillStyle = "#f4f4f4";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#bbb";
  ctx.strokeRect(0.5, 0.5, window.innerWidth * s - 1, window.innerHeight * s - 1);
  for (const t of v.targets) {
    const tx = t.x_px * s;
    const ty = t.y_px * s;
    const gx = t.mean_x_px * s;
    const gy = t.mean_y_px * s;
    ctx.strokeStyle = "#1d1d1f";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(tx - 7, ty);
    ctx.lineTo(tx + 7, ty);
    ctx.moveTo(tx, ty - 7);
    ctx.lineTo(tx, ty + 7);
    ctx.stroke();
    ctx.strokeStyle = "rgba(217, 72, 15, 0.8)";
    ctx.beginPath();
    ctx.moveTo(tx, ty);
    ctx.lineTo(gx, gy);
    ctx.stroke();
    ctx.fillStyle = "rgba(217, 72, 15, 0.9)";
    ctx.beginPath();
    ctx.arc(gx, gy, 4, 0, 2 * Math.PI);
    ctx.fill();
    ctx.beginPath();
    ctx.arc(gx, gy, Math.max(4, t.precision_px * s), 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = "#333";
    ctx.font = "12px system-ui, sans-serif";
    ctx.fillText(`${t.accuracy_deg.toFixed(1)}°`, tx + 9, ty - 6);
  }
  if (!$("validation").open) $("validation").showModal();
}

/**
 * One line on the model variants validation compared (named as in the session's
 * `models`) by their mean error per sample (the accuracy in sessions from before it was
 * kept), the chosen one first, e.g. "Model: combined (1.2°) · landmark 1.9° ·
 * appearance 2.0°"; "" without them.
 * @param {?{variants: Object<string, {accuracy_deg: ?number, mean_error_deg: ?number}>,
 *   chosen: string}} models
 */
export function modelsText(models) {
  if (!models?.variants?.[models.chosen]) return "";
  const deg = (name) => {
    const variant = models.variants[name];
    const err = "mean_error_deg" in variant ? variant.mean_error_deg : variant.accuracy_deg;
    return err === null || err === undefined ? "—" : `${err.toFixed(1)}°`;
  };
  const others = Object.keys(models.variants).filter((name) => name !== models.chosen)
    .map((name) => `${name} ${deg(name)}`);
  return [`Model: ${models.chosen} (${deg(models.chosen)})`, ...others].join(" · ");
}

/**
 * One line on the smooth-pursuit pass's part in the fit, e.g. "Smooth-pursuit pass: 21
 * segments used, 2 left out (not followed well), 560 samples."; "" without it. When no
 * segment was used, it says the whole pass was left out, and why.
 * @param {?import("./messages.js").PursuitSummary} pursuit
 */
export function pursuitText(pursuit) {
  if (!pursuit || typeof pursuit.segments !== "number") return "";
  if (pursuit.segments === 0 && pursuit.dropped > 0) {
    // follow_r is null when too few segments kept enough frames to judge the pass.
    return pursuit.follow_r === null
      ? "Smooth-pursuit pass left out: the face was not tracked well enough while the dot moved."
      : "Smooth-pursuit pass left out: the eyes did not follow the moving dot.";
  }
  const dropped = pursuit.dropped > 0 ? `, ${pursuit.dropped} left out (not followed well)` : "";
  return `Smooth-pursuit pass: ${pursuit.segments} segment${pursuit.segments === 1 ? "" : "s"} used` +
    `${dropped}, ${pursuit.samples} samples.`;
}

/** The validation dialog's model line (made on first use, under the numbers). */
function validationModelsLine() {
  let line = $("validation-models");
  if (!line) {
    line = document.createElement("p");
    line.id = "validation-models";
    line.className = "note";
    $("validation-numbers").after(line);
  }
  return line;
}

/** Show whether the webcam is being recorded. */
export function showWebcamRecording(on) {
  $("btn-webcam-rec").setAttribute("aria-pressed", String(on));
  $("btn-webcam-rec").textContent = on ? "● Stop webcam recording" : "Record webcam";
}

export function hideValidation() {
  if ($("validation").open) $("validation").close();
}

// --- heatmap -----------------------------------------------------------------------
function legendGradient(stops) {
  return stops.map(([f, [r, g, b]]) => `rgb(${r},${g},${b}) ${(100 * f).toFixed(1)}%`).join(", ");
}

async function heatmapBitmap(png) {
  return createImageBitmap(new Blob([png], { type: "image/png" }));
}

/**
 * Draw the heatmap overlay (a coarse-grid PNG from Python) scaled smoothly to the viewport.
 * @param {import("./messages.js").HeatmapResult} heatmap
 */
export async function showHeatmap(heatmap) {
  const canvas = $("heatmap");
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(window.innerWidth * dpr);
  canvas.height = Math.round(window.innerHeight * dpr);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // Opacity is in the PNG's alpha channel (Python's colorize), not applied again here.
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(await heatmapBitmap(heatmap.png), 0, 0, canvas.width, canvas.height);
  canvas.hidden = false;
  $("legend-bar").style.background = `linear-gradient(to right, ${legendGradient(heatmap.legend)})`;
  $("legend-count").textContent = `${heatmap.n_points} samples`;
  $("legend").hidden = false;
}

export function hideHeatmap() {
  $("heatmap").hidden = true;
  $("legend").hidden = true;
}

/**
 * Compose and download a viewport-sized (device-pixel-aware) PNG: white page, heatmap,
 * colour legend.
 * @param {import("./messages.js").HeatmapResult} heatmap
 */
export async function downloadHeatmap(heatmap) {
  const dpr = window.devicePixelRatio || 1;
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(window.innerWidth * dpr);
  canvas.height = Math.round(window.innerHeight * dpr);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = "high";
  ctx.drawImage(await heatmapBitmap(heatmap.png), 0, 0, canvas.width, canvas.height);
  drawLegend(ctx, heatmap, dpr, canvas.height);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  downloadBlob(blob, fileName("heatmap", "png"));
}

/** "gazeheat-<what>-<time>.<ext>", safe on every file system. */
export function fileName(what, ext) {
  const safe = String(what).replace(/[^\w.-]+/g, "_").slice(0, 80);
  return `gazeheat-${safe}-${new Date().toISOString().replace(/[:.]/g, "-")}.${ext}`;
}

/** Save a Blob as a file through the browser's download. */
export function downloadBlob(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

function drawLegend(ctx, heatmap, dpr, canvasHeight) {
  const w = VIEW.legendWidthPx * dpr;
  const h = VIEW.legendHeightPx * dpr;
  const x = 12 * dpr;
  const y = canvasHeight - h - 30 * dpr;
  ctx.fillStyle = "rgba(255,255,255,0.9)";
  ctx.fillRect(x - 6 * dpr, y - 6 * dpr, w + 12 * dpr, h + 30 * dpr);
  const gradient = ctx.createLinearGradient(x, 0, x + w, 0);
  for (const [f, [r, g, b]] of heatmap.legend) gradient.addColorStop(f, `rgb(${r},${g},${b})`);
  ctx.fillStyle = gradient;
  ctx.fillRect(x, y, w, h);
  ctx.strokeStyle = "#999";
  ctx.strokeRect(x, y, w, h);
  ctx.fillStyle = "#333";
  ctx.font = `${12 * dpr}px system-ui, sans-serif`;
  ctx.textBaseline = "top";
  ctx.fillText("less gaze", x, y + h + 4 * dpr);
  const right = "more gaze";
  ctx.fillText(right, x + w - ctx.measureText(right).width, y + h + 4 * dpr);
}
