// Wires the dashboard: the session store (IndexedDB), the gaze engine (Python in the
// worker, for checking imported files, heatmaps, gaze plots, aggregates and AOI tables)
// and the dashboard's UI modules. The only dashboard module that knows all the others.
import { AoiEditor } from "./aoi_editor.js";
import { DASHBOARD } from "./constants.js";
import * as dui from "./dashboard_ui.js";
import { GazePlayer } from "./gaze_player.js";
import { STARTUP_PHASES } from "./messages.js";
import { SessionStore } from "./session_store.js";
import { downloadBlob, fileName, showLoading } from "./ui.js";
import { WorkerHost } from "./worker_host.js";

/** Exposed for tests: counters and outcomes only. */
const debug = { ready: false, listed: 0, refreshes: 0, imports: [], aggregate: null, compare: null,
  aoiTable: null, rendered: 0, errors: [] };
window.gazeheatDashboard = debug;

// --- start-up: the Python engine, phase by phase (as on the tracker page) ------------
/** @type {Map<string, import("./ui.js").LoadingItem>} */
const loading = new Map(STARTUP_PHASES.map((p) => [p.name, { label: p.label, state: "waiting" }]));
showLoading(loading);
let resolveEngine;
let rejectEngine;
const engineReady = new Promise((resolve, reject) => { resolveEngine = resolve; rejectEngine = reject; });
engineReady.catch(() => {}); // reported below and on every use, never unhandled
const host = new WorkerHost((p) => {
  loading.get(p.phase).state = p.done ? "done" : "busy";
  showLoading(loading);
  if (p.done && p.step === p.steps) {
    dui.hideLoading();
    resolveEngine();
  }
}, (failure) => {
  const item = loading.get(failure.phase);
  if (item) item.state = "failed";
  showLoading(loading);
  const error = new Error(`The analysis engine did not start ("${item?.label ?? failure.phase}": ` +
    `${failure.error.message}). Reload the page to try again.`);
  dui.showStartupError(error.message);
  rejectEngine(error);
});

/** Call Python once the engine is up; rejects with a readable Error. */
async function engine(type, payload, transfer = []) {
  await engineReady;
  return host.call(type, payload, transfer);
}

// --- state ---------------------------------------------------------------------------
const page = {
  /** @type {?SessionStore} */
  store: null,
  /** @type {import("./dashboard_ui.js").SessionRow[]} */
  rows: [],
  /** stimulus key by image id (sha256 of the stored picture: hashing once is enough) */
  imageKeys: new Map(),
  /** object URLs of thumbnails by session id */
  thumbs: new Map(),
  /** decoded stimulus pictures by session id */
  bitmaps: new Map(),
  groups: { A: new Set(), B: new Set() },
  /** @type {?import("./dashboard_ui.js").SessionRow} the session in the session panel */
  current: null,
  view: "heatmap",
  /** @type {?{png: Uint8Array, name: string}} what the session panel shows */
  shown: null,
  /** bumped on every new render: a late answer for an older request is dropped */
  token: 0,
  renderOptions: null,
  /** @type {?{png: Uint8Array, legend: Object, name: string}} */
  aggregate: null,
  /** @type {?{a: Object, b: Object, legend: Object, titles: string[], name: string}} */
  compare: null,
  aoiKey: null,
  aoiCsv: null,
};

/** Show a failure in the page (never only in the console). */
function fail(where, error) {
  const text = `${where}: ${error?.message ?? error}`;
  debug.errors.push(text);
  return text;
}

function rowById(id) {
  return page.rows.find((r) => r.meta.id === id) ?? null;
}

// --- stimulus identity, thumbnails and pictures --------------------------------------
function hex(buffer) {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * The stimulus key of a listed session, by gazeheat.session.stimulus_key's rule:
 * "sha256:<hex>" of its picture when one is kept, else "<kind>:<name>:<w>x<h>" of its
 * stimulus, else "viewport:<w>x<h>".
 */
async function stimulusKey(meta, picture) {
  if (picture) {
    if (!page.imageKeys.has(meta.image_id)) {
      const digest = await crypto.subtle.digest("SHA-256", await picture.blob.arrayBuffer());
      page.imageKeys.set(meta.image_id, `sha256:${hex(digest)}`);
    }
    return page.imageKeys.get(meta.image_id);
  }
  const s = meta.stimulus;
  if (s) return `${s.kind}:${s.name ?? ""}:${s.width_px}x${s.height_px}`;
  const w = Math.max(1, Math.round(meta.viewport.width));
  const h = Math.max(1, Math.round(meta.viewport.height));
  return `viewport:${w}x${h}`;
}

function stimulusLabel(meta) {
  const s = meta.stimulus;
  if (!s) return `page (${Math.round(meta.viewport.width)}×${Math.round(meta.viewport.height)})`;
  return `${s.name || s.kind} (${s.width_px}×${s.height_px})`;
}

/** The stimulus geometry of a session dict (the viewport when it has none). */
function geometryOf(session) {
  if (session.stimulus) return session.stimulus;
  const { width, height } = session.viewport;
  return { kind: "blank", name: "page", width_px: Math.max(1, Math.round(width)),
    height_px: Math.max(1, Math.round(height)), rect_x_px: 0, rect_y_px: 0, rect_w_px: width, rect_h_px: height };
}

/** The session's stimulus picture, decoded (null without one). */
async function bitmap(id) {
  if (!page.bitmaps.has(id)) {
    const picture = await page.store.image(id);
    let decoded = null;
    if (picture) {
      try {
        decoded = await createImageBitmap(picture.blob);
      } catch {
        throw new Error("the stored stimulus picture cannot be decoded by this browser");
      }
    }
    page.bitmaps.set(id, decoded);
  }
  return page.bitmaps.get(id);
}

/** The stimulus as RGBA at its native size, as render options (none for a bare page). */
async function pictureOptions(id, geometry) {
  const image = await bitmap(id);
  if (!image) return {};
  const canvas = new OffscreenCanvas(geometry.width_px, geometry.height_px);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
  const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
  return { stimulus_rgba: new Uint8Array(data.buffer), stimulus_w_px: canvas.width, stimulus_h_px: canvas.height };
}

// --- the list ------------------------------------------------------------------------
const list = new dui.SessionList({
  onOpen: (id) => openSession(id),
  onRename: (id, label) => rename(id, label),
  onSelection: () => updateSelection(),
});

async function refresh() {
  if (!page.store) return;
  let metas;
  try {
    metas = await page.store.list();
  } catch (error) {
    dui.showMessage(fail("The sessions could not be listed", error));
    return;
  }
  const rows = [];
  for (const meta of metas) {
    let picture = null;
    try {
      picture = meta.image_id ? await page.store.image(meta.id) : null;
    } catch (error) {
      dui.showMessage(fail(`The stimulus picture of "${meta.participant}" could not be read`, error));
    }
    if (picture && !page.thumbs.has(meta.id)) page.thumbs.set(meta.id, URL.createObjectURL(picture.blob));
    const group = page.groups.A.has(meta.id) ? "A" : page.groups.B.has(meta.id) ? "B" : null;
    rows.push({ meta, key: await stimulusKey(meta, picture), stimulusLabel: stimulusLabel(meta),
      thumbUrl: picture ? page.thumbs.get(meta.id) : null, group });
  }
  const ids = new Set(rows.map((r) => r.meta.id));
  for (const [id, url] of page.thumbs) {
    if (!ids.has(id)) {
      URL.revokeObjectURL(url);
      page.thumbs.delete(id);
      page.bitmaps.delete(id);
    }
  }
  for (const group of Object.values(page.groups)) for (const id of [...group]) if (!ids.has(id)) group.delete(id);
  page.rows = rows;
  list.setRows(rows);
  debug.listed = rows.length;
  debug.refreshes++;
  updateSelection();
}

async function rename(id, label) {
  if (label.length > 200) {
    dui.showMessage("A participant label has at most 200 characters.");
    return;
  }
  try {
    await page.store.rename(id, label);
    dui.showMessage("");
  } catch (error) {
    dui.showMessage(fail("The session could not be renamed", error));
  }
  await refresh();
  if (page.current?.meta.id === id) {
    page.current = rowById(id);
    if (page.current) dui.showDetail(page.current);
  }
}

// --- import --------------------------------------------------------------------------
/** base64 of a Blob's bytes. */
function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function bytesOfBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function sizeText(bytes) {
  return `${bytes.toLocaleString("en")} bytes`;
}

/**
 * Check one file with Python and keep it; nothing is stored unless every check passed.
 * @returns {Promise<{name: string, outcome: "imported"|"rejected"|"skipped", reason?: string}>}
 */
async function importOne(file) {
  const name = file.name;
  if (file.size > DASHBOARD.maxImportBytes) {
    return { name, outcome: "rejected", reason: `too large (${sizeText(file.size)}; session files have ` +
      `at most ${sizeText(DASHBOARD.maxImportBytes)}), not read` };
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await file.arrayBuffer());
  } catch (error) {
    return { name, outcome: "rejected", reason: error instanceof TypeError
      ? "not a session file (not UTF-8 text)" : `could not be read (${error.message})` };
  }
  let summary;
  try {
    summary = await engine("sessionCheck", { text });
  } catch (error) {
    // The engine's stack ran out inside the JSON parser: only absurd nesting does that.
    const reason = error.type === "RangeError" ? "not a session file (nested too deeply to be read)"
      : error.message;
    return { name, outcome: "rejected", reason };
  }
  if (summary && summary.ok === false) {
    return { name, outcome: "rejected", reason: summary.error?.message ?? "not a valid session file" };
  }
  let session;
  try {
    session = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    return { name, outcome: "rejected", reason: `not valid JSON (${error.message})` };
  }
  // The same recording imported again: say so rather than list it twice.
  if (typeof session.recording_id === "string" && session.recording_id) {
    const existing = await page.store.meta(session.recording_id).catch(() => null);
    if (existing && existing.created === session.created && existing.n_samples === session.samples.length) {
      return { name, outcome: "skipped", reason: "already in the dashboard" };
    }
  }
  let image = null;
  if (session.stimulus_image) {
    // Kept as a picture (thumbnails, heatmaps), not as base64 text inside the document;
    // an export puts it back (exportSession).
    const { media_type, data_base64 } = session.stimulus_image;
    image = { blob: new Blob([bytesOfBase64(data_base64)], { type: media_type }), media_type };
    delete session.stimulus_image;
  }
  if (!session.participant) session.participant = name.replace(/\.json$/i, "");
  try {
    await page.store.importSession(session, image);
  } catch (error) {
    return { name, outcome: "rejected", reason: `could not be stored: ${error.message}` };
  }
  return { name, outcome: "imported" };
}

async function importFiles(files) {
  if (!page.store) {
    dui.showMessage("Sessions cannot be imported: this browser does not let the page keep them.");
    return;
  }
  const lines = [];
  dui.showImportReport([{ name: `${files.length} file${files.length === 1 ? "" : "s"}`, outcome: "skipped",
    reason: "checking…" }]);
  for (const file of files) {
    // One at a time: a 500 MB file is not held in memory next to the others.
    lines.push(await importOne(file));
    dui.showImportReport(lines);
  }
  debug.imports = lines;
  await refresh();
}

// --- export --------------------------------------------------------------------------
/** A stored picture as a type a session file may embed (others become PNG). */
async function embeddablePicture(picture) {
  if (DASHBOARD.embeddableImageTypes.includes(picture.media_type)) return picture;
  const image = await createImageBitmap(picture.blob);
  const canvas = new OffscreenCanvas(image.width, image.height);
  canvas.getContext("2d").drawImage(image, 0, 0);
  return { blob: await canvas.convertToBlob({ type: "image/png" }), media_type: "image/png" };
}

/**
 * The session file: the session as stored plus its stimulus picture in the documented
 * `stimulus_image` field (docs/session.md), built here: media type, base64, sha256.
 */
async function exportSession(id) {
  const session = await page.store.session(id);
  const stored = await page.store.image(id);
  if (stored) {
    const picture = await embeddablePicture(stored);
    const digest = await crypto.subtle.digest("SHA-256", await picture.blob.arrayBuffer());
    session.stimulus_image = { media_type: picture.media_type, data_base64: await base64Of(picture.blob),
      sha256: hex(digest) };
  }
  return session;
}

// --- the session panel -----------------------------------------------------------------
const player = new GazePlayer(dui.replayContainer());

async function openSession(id) {
  const row = rowById(id);
  if (!row) return;
  page.current = row;
  list.setCurrent(id);
  dui.showDetail(row);
  await showView(page.view);
}

function closeSession() {
  player.stop();
  page.current = null;
  page.token++;
  list.setCurrent(null);
  dui.hideDetail();
}

function look() {
  const { colormap, opacity, cutoff } = dui.renderOptions();
  return { colormap, opacity, cutoff };
}

/** @param {"heatmap"|"gazeplot"|"replay"} view */
async function showView(view) {
  const row = page.current;
  if (!row) return;
  page.view = view;
  dui.showDetailView(view);
  dui.showDetailError("");
  const token = ++page.token;
  try {
    const session = await page.store.session(row.meta.id);
    const geometry = geometryOf(session);
    if (view === "replay") {
      player.load({ image: await bitmap(row.meta.id), geometry, samples: session.samples });
      return;
    }
    player.pause();
    page.shown = null;
    dui.showDetailImage(null);
    dui.showDetailStatus(`Drawing the ${view === "heatmap" ? "heatmap" : "gaze plot"}…`);
    const options = { ...look(), ...(await pictureOptions(row.meta.id, geometry)) };
    const result = await engine(view === "heatmap" ? "sessionHeatmap" : "sessionGazeplot",
      { session, options });
    if (token !== page.token) return;
    dui.showDetailStatus("");
    dui.showDetailImage(result.png);
    page.shown = { png: result.png, name: `${row.meta.participant || row.meta.id}-${view}` };
    debug.rendered++;
  } catch (error) {
    if (token !== page.token) return;
    dui.showDetailStatus("");
    dui.showDetailError(fail(`The ${view === "gazeplot" ? "gaze plot" : view} could not be shown`, error));
  }
}

async function deleteCurrent() {
  const row = page.current;
  if (!row) return;
  const ok = await dui.confirmAction("Delete this session?",
    `"${row.meta.participant || "(no label)"}", ${row.stimulusLabel}, recorded ${new Date(row.meta.created).toLocaleString()}, ` +
    "is removed from this browser. This cannot be undone; export it first to keep a copy.", "Delete");
  if (!ok) return;
  try {
    await page.store.delete(row.meta.id);
    closeSession();
    dui.showMessage("");
  } catch (error) {
    dui.showDetailError(fail("The session could not be deleted", error));
  }
  await refresh();
}

dui.bindDetail({
  onRename: (label) => page.current && rename(page.current.meta.id, label),
  onExport: async () => {
    const row = page.current;
    if (!row) return;
    try {
      const session = await exportSession(row.meta.id);
      downloadBlob(new Blob([JSON.stringify(session)], { type: "application/json" }),
        fileName(`${row.meta.participant || row.meta.id}-session`, "json"));
    } catch (error) {
      dui.showDetailError(fail("The session could not be exported", error));
    }
  },
  onDelete: deleteCurrent,
  onClose: closeSession,
  onAois: () => page.current && openAois(page.current.key),
  onView: (view) => showView(view),
  onDownload: () => {
    if (page.shown) downloadBlob(new Blob([page.shown.png], { type: "image/png" }), fileName(page.shown.name, "png"));
  },
});

// --- selection, aggregate, compare -----------------------------------------------------
function selectedRows() {
  return page.rows.filter((r) => list.selected.has(r.meta.id));
}

function updateSelection() {
  const rows = selectedRows();
  const keys = new Set(rows.map((r) => r.key));
  const keysOf = (group) => new Set(page.rows.filter((r) => r.group === group).map((r) => r.key));
  const nA = page.groups.A.size;
  const nB = page.groups.B.size;
  dui.showSelection({
    count: rows.length, nA, nB,
    aggregateWhy: rows.length === 0 ? "tick the sessions of one stimulus."
      : keys.size > 1 ? `the ticked sessions show ${keys.size} different stimuli; an aggregate needs ` +
        "sessions of one stimulus (the Stimulus filter lists them)." : "",
    compareWhy: nA === 0 || nB === 0 ? "put ticked sessions in group A and others in group B."
      : keysOf("A").size > 1 || keysOf("B").size > 1
        ? "each group must hold sessions of one stimulus (the two groups may show different ones)." : "",
  });
}

/** Sessions as stored (their picture kept apart: named by its hash), for Python. */
async function loadGroup(rows) {
  return Promise.all(rows.map(async (r) => {
    const session = await page.store.session(r.meta.id);
    if (r.key.startsWith("sha256:")) session.stimulus_sha256 = r.key.slice("sha256:".length);
    return session;
  }));
}

function labelOf(row) {
  return `"${row.meta.participant || "(no label)"}"`;
}

/** Python's excluded list ({index, label, reason}, index into `rows`) → lines for people. */
function excludedLines(excluded, rows) {
  return (excluded ?? []).map((e) => ({ label: rows[e.index] ? labelOf(rows[e.index]) : e.label, reason: e.reason }));
}

function aggregateOptions() {
  const { weighting, max_error_deg } = dui.renderOptions();
  if (max_error_deg !== null && !(max_error_deg >= 0)) throw new Error("the validation limit must be a number of degrees ≥ 0");
  return { ...look(), weighting, max_error_deg };
}

async function aggregate() {
  const rows = selectedRows();
  if (!rows.length || new Set(rows.map((r) => r.key)).size !== 1) return;
  dui.showMessage("");
  try {
    const sessions = await loadGroup(rows);
    const options = { ...aggregateOptions(), ...(await pictureOptions(rows[0].meta.id, geometryOf(sessions[0]))) };
    const result = await engine("aggregateHeatmap", { sessions, options });
    const excluded = excludedLines(result.excluded, rows);
    const n = rows.length - excluded.length;
    page.aggregate = { png: result.png, legend: result.legend, name: `aggregate-${rows[0].meta.stimulus_name}` };
    dui.showAggregate(result, `${rows[0].stimulusLabel}: ${n} participant${n === 1 ? "" : "s"}`,
      `${n} of ${rows.length} ticked sessions included, ${options.weighting === "time"
        ? "weighted by recorded time" : "each participant counted the same"}.`, excluded);
    debug.aggregate = { included: n, excluded };
  } catch (error) {
    dui.showMessage(fail("The aggregate heatmap could not be drawn", error));
  }
}

async function compareGroups() {
  const a = page.rows.filter((r) => r.group === "A");
  const b = page.rows.filter((r) => r.group === "B");
  if (!a.length || !b.length) return;
  dui.showMessage("");
  try {
    const [groupA, groupB] = await Promise.all([loadGroup(a), loadGroup(b)]);
    const options = { ...aggregateOptions(), ...(await pictureOptions(a[0].meta.id, geometryOf(groupA[0]))) };
    if (b[0].key !== a[0].key) {
      // Two versions of a stimulus (e.g. two page designs): B is drawn over its own picture.
      const pictureB = await pictureOptions(b[0].meta.id, geometryOf(groupB[0]));
      Object.assign(options, pictureB.stimulus_rgba ? { stimulus_b_rgba: pictureB.stimulus_rgba,
        stimulus_b_w_px: pictureB.stimulus_w_px, stimulus_b_h_px: pictureB.stimulus_h_px } : {});
    }
    const result = await engine("compareHeatmaps", { group_a: groupA, group_b: groupB, options });
    const excluded = [...excludedLines(result.a?.excluded, a), ...excludedLines(result.b?.excluded, b)];
    const titles = [`A: ${a.length - (result.a?.excluded?.length ?? 0)} of ${a.length} sessions`,
      `B: ${b.length - (result.b?.excluded?.length ?? 0)} of ${b.length} sessions`];
    page.compare = { a: result.a, b: result.b, legend: result.legend, titles, name: `compare-${a[0].meta.stimulus_name}` };
    dui.showCompare(result.a, result.b, titles, result.legend, excluded);
    debug.compare = { titles, excluded };
  } catch (error) {
    dui.showMessage(fail("The groups could not be compared", error));
  }
}

/** Decode PNG bytes for composing downloads. */
function decodePng(png) {
  return createImageBitmap(new Blob([png], { type: "image/png" }));
}

/**
 * One PNG: the pictures side by side with their titles, the legend underneath.
 * @param {Array<{png: Uint8Array, title: string}>} panels
 * @param {?Object} legend
 */
async function composePng(panels, legend) {
  const images = await Promise.all(panels.map((p) => decodePng(p.png)));
  const key = legend?.png ? await decodePng(legend.png) : null;
  const gap = 16;
  const titleH = panels.some((p) => p.title) ? 28 : 0;
  const width = images.reduce((w, im) => w + im.width, 0) + gap * (images.length - 1);
  const height = titleH + Math.max(...images.map((im) => im.height)) + (key ? gap + key.height : 0);
  const canvas = new OffscreenCanvas(Math.max(width, key?.width ?? 0), height);
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = "#1d1d1f";
  ctx.font = "18px system-ui, sans-serif";
  ctx.textBaseline = "top";
  let x = 0;
  images.forEach((im, i) => {
    if (panels[i].title) ctx.fillText(panels[i].title, x, 4);
    ctx.drawImage(im, x, titleH);
    x += im.width + gap;
  });
  if (key) ctx.drawImage(key, 0, height - key.height);
  return canvas.convertToBlob({ type: "image/png" });
}

dui.bindSelection({
  onAggregate: () => dui.whileBusy("btn-aggregate", aggregate),
  onGroup: (group) => {
    const other = group === "A" ? "B" : "A";
    for (const row of selectedRows()) {
      page.groups[group].add(row.meta.id);
      page.groups[other].delete(row.meta.id);
      row.group = group;
    }
    list.render();
    updateSelection();
  },
  onClearGroups: () => {
    page.groups.A.clear();
    page.groups.B.clear();
    for (const row of page.rows) row.group = null;
    list.render();
    updateSelection();
  },
  onCompare: () => dui.whileBusy("btn-compare", compareGroups),
  onAois: () => {
    const rows = selectedRows();
    if (rows.length && new Set(rows.map((r) => r.key)).size === 1) openAois(rows[0].key);
  },
  onOptions: () => {
    if (page.current && page.view !== "replay") showView(page.view);
  },
});

dui.bindResults({
  onAggregateDownload: async () => {
    if (!page.aggregate) return;
    try {
      const blob = await composePng([{ png: page.aggregate.png, title: "" }], page.aggregate.legend);
      downloadBlob(blob, fileName(page.aggregate.name, "png"));
    } catch (error) {
      dui.showMessage(fail("The aggregate heatmap could not be saved", error));
    }
  },
  onCompareDownload: async () => {
    const c = page.compare;
    if (!c) return;
    try {
      const blob = await composePng([{ png: c.a.png, title: c.titles[0] }, { png: c.b.png, title: c.titles[1] }], c.legend);
      downloadBlob(blob, fileName(c.name, "png"));
    } catch (error) {
      dui.showMessage(fail("The comparison could not be saved", error));
    }
  },
});

// --- areas of interest -----------------------------------------------------------------
const editor = new AoiEditor(dui.aoiEditorContainer(), (aois) => {
  const key = page.aoiKey;
  debug.aois = aois;
  if (key === null) return;
  page.store.saveAois(key, aois).then(() => dui.showAoiError(""),
    (error) => dui.showAoiError(fail("The areas could not be saved", error)));
  dui.showAoiTable(null, "");
}, (problem) => dui.showAoiError(problem));

/** Rows of one stimulus the AOI table is for: the ticked ones, else all. */
function aoiRows(key) {
  const all = page.rows.filter((r) => r.key === key);
  const ticked = all.filter((r) => list.selected.has(r.meta.id));
  return ticked.length ? ticked : all;
}

async function openAois(key) {
  const rows = page.rows.filter((r) => r.key === key);
  if (!rows.length) return;
  page.aoiKey = key;
  page.aoiCsv = null;
  try {
    const first = rows.find((r) => r.meta.image_id) ?? rows[0];
    const session = await page.store.session(first.meta.id);
    const geometry = geometryOf(session);
    dui.showAoiPanel(`${first.stimulusLabel} · ${rows.length} session${rows.length === 1 ? "" : "s"} of this stimulus. ` +
      "Areas are kept in this browser with the stimulus.");
    const aois = await page.store.aois(key);
    editor.load(await bitmap(first.meta.id), geometry.width_px, geometry.height_px, aois);
    debug.aois = aois;
    document.getElementById("aois").scrollIntoView({ block: "start" });
  } catch (error) {
    dui.showAoiError(fail("The areas of interest could not be opened", error));
  }
}

async function runAoiTable() {
  const key = page.aoiKey;
  if (key === null) return;
  if (!editor.aois.length) {
    dui.showAoiError("Draw at least one area first.");
    return;
  }
  const rows = aoiRows(key);
  try {
    dui.showAoiError("");
    const sessions = await loadGroup(rows);
    const result = await engine("aoiTable", { sessions, aois: editor.aois });
    page.aoiCsv = result.csv;
    dui.showAoiTable(result.rows, `${editor.aois.length} area${editor.aois.length === 1 ? "" : "s"} × ` +
      `${rows.length} session${rows.length === 1 ? "" : "s"}. Times from the start of each recording; ` +
      "dwell share: of the session's total fixation time.");
    debug.aoiTable = { rows: result.rows.length, sessions: rows.map((r) => r.meta.id) };
  } catch (error) {
    dui.showAoiError(fail("The AOI table could not be computed", error));
  }
}

dui.bindAoiPanel({
  onRun: () => dui.whileBusy("aoi-table-run", runAoiTable),
  onDownload: () => {
    if (page.aoiCsv === null) return;
    const row = page.rows.find((r) => r.key === page.aoiKey);
    downloadBlob(new Blob([page.aoiCsv], { type: "text/csv;charset=utf-8" }),
      fileName(`${row?.meta.stimulus_name ?? "stimulus"}-aois`, "csv"));
  },
  onClose: () => {
    page.aoiKey = null;
    dui.hideAoiPanel();
  },
});

// --- go ------------------------------------------------------------------------------
dui.bindImport({ onFiles: importFiles });
// Back from the tracker's tab (a recording finished there): list what is new.
document.addEventListener("visibilitychange", () => {
  if (!document.hidden) refresh();
});

async function main() {
  try {
    page.store = await SessionStore.open();
  } catch (error) {
    dui.showMessage(fail("Sessions cannot be shown", error));
    return;
  }
  await refresh();
  try {
    page.renderOptions = await engine("renderOptions", {});
    dui.setRenderOptions(page.renderOptions, DASHBOARD.maxErrorDeg);
    debug.ready = true;
  } catch (error) {
    if (!debug.errors.length) dui.showMessage(fail("The analysis engine is not available", error));
  }
}

window.addEventListener("unhandledrejection", (event) => {
  // Last resort: every path above handles its errors; anything else still reaches the page.
  event.preventDefault();
  dui.showMessage(fail("Unexpected error", event.reason));
});
main();
