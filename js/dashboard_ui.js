// The dashboard's DOM: the session list (sort, filter, selection, groups), the import
// report, the confirm dialog, the aggregate/compare results, the session panel and the
// AOI table. Other modules hand it plain data; it hands back plain data through handlers.

const $ = (id) => document.getElementById(id);

/**
 * One line of the session list: what the store keeps plus what the page worked out.
 * @typedef {Object} SessionRow
 * @property {import("./session_store.js").SessionMeta} meta
 * @property {string} key            stimulus key (gazeheat.session.stimulus_key's rule)
 * @property {string} stimulusLabel  e.g. "coffee.png (600×400)"
 * @property {?string} thumbUrl      object URL of the stimulus picture, null: placeholder
 * @property {?("A"|"B")} group
 */

/** Status words and what they mean, for the list's tooltips. */
const STATUS_TEXT = Object.freeze({
  complete: ["complete", "recorded to the end in this browser"],
  interrupted: ["interrupted", "recovered after the page closed mid-recording: the samples up to then"],
  recording: ["recording", "being recorded in another tab now"],
  imported: ["imported", "imported from a session file"],
});

/** "m:ss" (or "h:mm:ss") of a duration in ms. */
export function formatDuration(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** The validation error as shown: "1.2° (good)" or "not validated". */
export function formatAccuracy(meta) {
  if (meta.accuracy_deg === null || meta.accuracy_deg === undefined) return "not validated";
  return `${meta.accuracy_deg.toFixed(1)}°${meta.grade ? ` (${meta.grade})` : ""}`;
}

function formatDate(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

function validFraction(meta) {
  return meta.n_samples > 0 ? meta.n_valid / meta.n_samples : 0;
}

/** Sort keys of the list's columns: a value to compare (nulls sort last). */
const SORTS = Object.freeze({
  participant: (r) => r.meta.participant.toLocaleLowerCase(),
  created: (r) => r.meta.created,
  stimulus: (r) => r.stimulusLabel.toLocaleLowerCase(),
  duration: (r) => r.meta.duration_ms,
  valid: (r) => validFraction(r.meta),
  accuracy: (r) => r.meta.accuracy_deg ?? null,
  status: (r) => r.meta.status,
});

function compare(a, b) {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

export class SessionList {
  /**
   * @param {{onOpen: (id: string) => void, onRename: (id: string, label: string) => void,
   *          onSelection: (ids: Set<string>) => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    /** @type {SessionRow[]} */
    this.rows = [];
    /** @type {Set<string>} */
    this.selected = new Set();
    this.sort = { key: "created", dir: "desc" };
    this.currentId = null;
    for (const button of document.querySelectorAll("#session-table th button[data-sort]")) {
      button.onclick = () => {
        const key = button.dataset.sort;
        this.sort = { key, dir: this.sort.key === key && this.sort.dir === "asc" ? "desc" : "asc" };
        this.render();
      };
    }
    $("filter-text").oninput = () => this.render();
    $("filter-stimulus").onchange = () => this.render();
    $("select-all").onchange = (event) => {
      for (const row of this.visible()) {
        if (event.target.checked) this.selected.add(row.meta.id);
        else this.selected.delete(row.meta.id);
      }
      this.render();
      handlers.onSelection(this.selected);
    };
  }

  /** @param {SessionRow[]} rows */
  setRows(rows) {
    this.rows = rows;
    const ids = new Set(rows.map((r) => r.meta.id));
    for (const id of [...this.selected]) if (!ids.has(id)) this.selected.delete(id);
    this.renderStimulusFilter();
    this.render();
  }

  /** Rows that pass the filters, in the chosen order. */
  visible() {
    const text = $("filter-text").value.trim().toLocaleLowerCase();
    const key = $("filter-stimulus").value;
    const rows = this.rows.filter((r) => (!key || r.key === key) && (!text ||
      r.meta.participant.toLocaleLowerCase().includes(text) ||
      r.stimulusLabel.toLocaleLowerCase().includes(text)));
    const value = SORTS[this.sort.key];
    const sign = this.sort.dir === "asc" ? 1 : -1;
    // Nulls (not validated) stay last in both directions.
    return rows.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === null || vb === null) return compare(va, vb);
      return sign * compare(va, vb);
    });
  }

  renderStimulusFilter() {
    const select = $("filter-stimulus");
    const chosen = select.value;
    const counts = new Map();
    for (const row of this.rows) {
      const entry = counts.get(row.key) ?? { label: row.stimulusLabel, n: 0 };
      entry.n++;
      counts.set(row.key, entry);
    }
    select.replaceChildren(new Option("All stimuli", ""), ...[...counts].map(([key, { label, n }]) =>
      new Option(`${label} — ${n} session${n === 1 ? "" : "s"}`, key)));
    select.value = counts.has(chosen) ? chosen : "";
  }

  render() {
    const rows = this.visible();
    for (const button of document.querySelectorAll("#session-table th button[data-sort]")) {
      if (button.dataset.sort === this.sort.key) button.dataset.dir = this.sort.dir;
      else delete button.dataset.dir;
      button.setAttribute("aria-sort", button.dataset.dir === "asc" ? "ascending"
        : button.dataset.dir === "desc" ? "descending" : "none");
    }
    $("session-rows").replaceChildren(...rows.map((row) => this.renderRow(row)));
    $("session-empty").hidden = this.rows.length > 0;
    $("session-count").textContent = rows.length === this.rows.length
      ? `(${this.rows.length})` : `(${rows.length} of ${this.rows.length} shown)`;
    const all = $("select-all");
    all.checked = rows.length > 0 && rows.every((r) => this.selected.has(r.meta.id));
    all.indeterminate = !all.checked && rows.some((r) => this.selected.has(r.meta.id));
  }

  /** @param {SessionRow} row */
  renderRow(row) {
    const { meta } = row;
    const tr = document.createElement("tr");
    tr.dataset.id = meta.id;
    tr.dataset.participant = meta.participant;
    tr.classList.toggle("current", meta.id === this.currentId);
    const cell = (content, className = "") => {
      const td = document.createElement("td");
      if (className) td.className = className;
      td.append(...[content].flat());
      tr.append(td);
      return td;
    };
    const label = meta.participant || "(no label)";
    const check = Object.assign(document.createElement("input"), { type: "checkbox",
      checked: this.selected.has(meta.id), className: "select" });
    check.setAttribute("aria-label", `Select ${label}`);
    check.onchange = () => {
      if (check.checked) this.selected.add(meta.id);
      else this.selected.delete(meta.id);
      this.render();
      this.handlers.onSelection(this.selected);
    };
    cell(check);
    const name = Object.assign(document.createElement("input"), { type: "text", value: meta.participant,
      className: "participant", maxLength: 200, placeholder: "(no label)" });
    name.setAttribute("aria-label", "Participant label (edit to rename)");
    name.onchange = () => this.handlers.onRename(meta.id, name.value.trim());
    name.onkeydown = (event) => { if (event.key === "Enter") name.blur(); };
    cell(name);
    cell(formatDate(meta.created));
    let thumb;
    if (row.thumbUrl) {
      thumb = Object.assign(document.createElement("img"), { src: row.thumbUrl, className: "thumb", alt: "" });
    } else {
      thumb = Object.assign(document.createElement("div"), { className: "thumb placeholder",
        textContent: meta.stimulus?.kind ?? "page" });
    }
    const stimulus = document.createElement("div");
    stimulus.className = "stimulus-cell";
    stimulus.append(thumb, row.stimulusLabel);
    cell(stimulus);
    cell(formatDuration(meta.duration_ms), "num");
    const valid = cell(`${Math.round(100 * validFraction(meta))} %`, "num");
    valid.title = `${meta.n_valid} of ${meta.n_samples} samples with gaze`;
    const accuracy = cell(formatAccuracy(meta));
    if (meta.grade) accuracy.className = `grade-${meta.grade}`;
    const [status, why] = STATUS_TEXT[meta.status] ?? [meta.status, ""];
    const statusCell = cell(status, `status-${meta.status}`);
    statusCell.title = why;
    const badge = document.createElement("span");
    if (row.group) {
      badge.className = `group-badge ${row.group.toLowerCase()}`;
      badge.textContent = row.group;
    }
    cell(badge);
    const open = Object.assign(document.createElement("button"), { type: "button", textContent: "Open" });
    open.setAttribute("aria-label", `Open ${label}`);
    open.onclick = () => this.handlers.onOpen(meta.id);
    cell(open);
    return tr;
  }

  /** Highlight the session shown in the session panel. */
  setCurrent(id) {
    this.currentId = id;
    this.render();
  }
}

// --- messages, loading, import report -------------------------------------------------
/**
 * Mark a button busy while its work runs (disabled, "…" appended), so a slow render
 * is visible and cannot be started twice.
 * @template T
 * @param {string} id
 * @param {() => Promise<T>} work
 * @returns {Promise<T>}
 */
export async function whileBusy(id, work) {
  const button = $(id);
  if (button.dataset.busy) return undefined;
  button.dataset.busy = "1";
  const wasDisabled = button.disabled;
  const label = button.textContent;
  button.disabled = true;
  button.textContent = `${label} …`;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    delete button.dataset.busy;
    button.textContent = label;
    button.disabled = wasDisabled;
    button.removeAttribute("aria-busy");
  }
}

/** The session panel's "drawing…" line ("" hides it). */
export function showDetailStatus(text) {
  $("detail-status").textContent = text;
}

/** A page-wide error (or "" to hide it). */
export function showMessage(text) {
  $("dash-message").textContent = text;
  $("dash-message").hidden = !text;
}

export function showStartupError(text) {
  if (text) $("engine").hidden = false;
  $("startup-error").textContent = text;
  $("startup-error").hidden = !text;
}

/** Hide the start-up progress once the engine is ready. */
export function hideLoading() {
  $("engine").hidden = true;
}

/**
 * One line per imported file.
 * @param {Array<{name: string, outcome: "imported"|"rejected"|"skipped", reason?: string}>} lines
 */
export function showImportReport(lines) {
  $("import-report").replaceChildren(...lines.map((line) => {
    const li = document.createElement("li");
    li.className = line.outcome === "imported" ? "ok" : line.outcome === "skipped" ? "skip" : "bad";
    li.textContent = line.outcome === "imported" ? `${line.name}: imported`
      : `${line.name}: ${line.outcome} — ${line.reason}`;
    return li;
  }));
}

/**
 * @param {{onFiles: (files: File[]) => void}} handlers  files from the picker or dropped
 */
export function bindImport(handlers) {
  const input = $("import-files");
  input.onchange = () => {
    const files = [...input.files];
    input.value = ""; // the same file can be chosen again
    if (files.length) handlers.onFiles(files);
  };
  let depth = 0; // dragenter/dragleave fire for every child element crossed
  const overlay = $("drop-overlay");
  const hasFiles = (event) => [...(event.dataTransfer?.types ?? [])].includes("Files");
  document.addEventListener("dragenter", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault();
    depth++;
    overlay.hidden = false;
  });
  document.addEventListener("dragover", (event) => {
    if (hasFiles(event)) event.preventDefault();
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) overlay.hidden = true;
  });
  document.addEventListener("drop", (event) => {
    if (!hasFiles(event)) return;
    event.preventDefault(); // never let the browser navigate to the dropped file
    depth = 0;
    overlay.hidden = true;
    const files = [...event.dataTransfer.files];
    if (files.length) handlers.onFiles(files);
  });
}

/**
 * Ask before something that cannot be undone.
 * @returns {Promise<boolean>} true when confirmed
 */
export function confirmAction(title, text, okLabel) {
  const dialog = $("confirm");
  $("confirm-title").textContent = title;
  $("confirm-text").textContent = text;
  $("confirm-ok").textContent = okLabel;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
  });
}

// --- selection, rendering options, aggregate and compare ----------------------------
/**
 * @param {{onAggregate, onGroup: (g: "A"|"B") => void, onClearGroups, onCompare, onAois,
 *          onOptions}} handlers
 */
export function bindSelection(handlers) {
  $("btn-aggregate").onclick = handlers.onAggregate;
  $("btn-group-a").onclick = () => handlers.onGroup("A");
  $("btn-group-b").onclick = () => handlers.onGroup("B");
  $("btn-groups-clear").onclick = handlers.onClearGroups;
  $("btn-compare").onclick = handlers.onCompare;
  $("btn-aois-selection").onclick = handlers.onAois;
  $("render-options").onsubmit = (event) => event.preventDefault();
  $("render-options").onchange = handlers.onOptions;
}

/**
 * @param {{count: number, aggregateWhy: string, nA: number, nB: number, compareWhy: string}} s
 *   a "why" is "" when the action is possible, else the reason it is not
 */
export function showSelection(s) {
  $("selection-count").textContent = `(${s.count} ticked; group A: ${s.nA}, group B: ${s.nB})`;
  $("btn-aggregate").disabled = s.aggregateWhy !== "";
  $("btn-aois-selection").disabled = s.aggregateWhy !== "";
  $("btn-group-a").disabled = s.count === 0;
  $("btn-group-b").disabled = s.count === 0;
  $("btn-compare").disabled = s.compareWhy !== "";
  const why = [s.aggregateWhy && `Aggregate: ${s.aggregateWhy}`, s.compareWhy && `Compare: ${s.compareWhy}`];
  $("selection-why").textContent = why.filter(Boolean).join(" ");
}

/**
 * Fill the colour and look controls from Python's renderOptions (once).
 * @param {{colormaps: Array<[string, string]>, opacity: number, cutoff: number}} options
 * @param {number} maxErrorDeg  default exclusion limit
 */
export function setRenderOptions(options, maxErrorDeg) {
  const form = $("render-options");
  form.elements.colormap.replaceChildren(...options.colormaps.map(([v, label]) => new Option(label, v)));
  form.elements.opacity.value = String(options.opacity);
  form.elements.cutoff.value = String(options.cutoff);
  form.elements.max_error_deg.value = String(maxErrorDeg);
}

/**
 * The chosen look, weighting and exclusion limit.
 * @returns {{colormap: string, opacity: number, cutoff: number, weighting: string,
 *            max_error_deg: ?number}}
 */
export function renderOptions() {
  const form = $("render-options");
  const limit = form.elements.max_error_deg.value.trim();
  return { colormap: form.elements.colormap.value, opacity: Number(form.elements.opacity.value),
    cutoff: Number(form.elements.cutoff.value), weighting: form.elements.aggregate_weighting.value,
    max_error_deg: limit === "" ? null : Number(limit) };
}

function pngUrl(img, png) {
  if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(new Blob([png], { type: "image/png" }));
}

function showLegend(box, legend) {
  if (!legend?.png) {
    box.replaceChildren();
    return;
  }
  const img = document.createElement("img");
  img.alt = `Colour scale: ${legend.title}`;
  pngUrl(img, legend.png);
  box.replaceChildren(img);
}

/** @param {Array<{label: string, reason: string}>} excluded */
function showExcluded(list, excluded) {
  list.replaceChildren(...excluded.map((e) => {
    const li = document.createElement("li");
    li.className = "skip";
    li.textContent = `Left out ${e.label}: ${e.reason}`;
    return li;
  }));
}

/**
 * @param {{png: Uint8Array, legend: Object}} result
 * @param {string} title
 * @param {string} summary
 * @param {Array<{label: string, reason: string}>} excluded
 */
export function showAggregate(result, title, summary, excluded) {
  $("compare-result").hidden = true;
  $("aggregate-result").hidden = false;
  $("aggregate-title").textContent = title;
  pngUrl($("aggregate-image"), result.png);
  showLegend($("aggregate-legend"), result.legend);
  $("aggregate-summary").textContent = summary;
  showExcluded($("aggregate-excluded"), excluded);
}

/**
 * @param {{png: Uint8Array}} a
 * @param {{png: Uint8Array}} b
 * @param {[string, string]} titles
 * @param {?Object} legend  the one shared legend
 * @param {Array<{label: string, reason: string}>} excluded
 */
export function showCompare(a, b, titles, legend, excluded) {
  $("aggregate-result").hidden = true;
  $("compare-result").hidden = false;
  pngUrl($("compare-a"), a.png);
  pngUrl($("compare-b"), b.png);
  $("compare-a-title").textContent = titles[0];
  $("compare-b-title").textContent = titles[1];
  showLegend($("compare-legend"), legend);
  showExcluded($("compare-excluded"), excluded);
}

/** @param {{onAggregateDownload, onCompareDownload}} handlers */
export function bindResults(handlers) {
  $("aggregate-download").onclick = handlers.onAggregateDownload;
  $("compare-download").onclick = handlers.onCompareDownload;
}

// --- the session panel ----------------------------------------------------------------
/**
 * @param {{onRename: (label: string) => void, onExport, onDelete, onClose, onAois,
 *          onView: (view: "heatmap"|"gazeplot"|"replay") => void, onDownload}} handlers
 */
export function bindDetail(handlers) {
  $("detail-rename").onclick = () => handlers.onRename($("detail-participant").value.trim());
  $("detail-participant").onkeydown = (event) => {
    if (event.key === "Enter") handlers.onRename($("detail-participant").value.trim());
  };
  $("detail-export").onclick = handlers.onExport;
  $("detail-delete").onclick = handlers.onDelete;
  $("detail-close").onclick = handlers.onClose;
  $("detail-aois").onclick = handlers.onAois;
  $("detail-download").onclick = handlers.onDownload;
  for (const tab of document.querySelectorAll("#detail .tabs button")) {
    tab.onclick = () => handlers.onView(tab.dataset.view);
  }
}

/** The element the gaze replay is built into. */
export function replayContainer() {
  return $("detail-view-replay");
}

/** @param {SessionRow} row */
export function showDetail(row) {
  const { meta } = row;
  $("detail").hidden = false;
  $("detail-title").textContent = `${meta.participant || "(no label)"} — ${row.stimulusLabel}`;
  $("detail-participant").value = meta.participant;
  $("detail-summary").textContent = `${formatDate(meta.created)} · ${formatDuration(meta.duration_ms)} · ` +
    `${meta.n_valid} of ${meta.n_samples} samples with gaze · accuracy ${formatAccuracy(meta)} · ` +
    `${(STATUS_TEXT[meta.status] ?? [meta.status])[0]}`;
  showDetailError("");
}

export function hideDetail() {
  $("detail").hidden = true;
}

/** Select a tab: "heatmap" and "gazeplot" show an image, "replay" the player. */
export function showDetailView(view) {
  for (const tab of document.querySelectorAll("#detail .tabs button")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  }
  $("detail-view-image").hidden = view === "replay";
  $("detail-view-replay").hidden = view !== "replay";
  $("detail-image").alt = view === "gazeplot" ? "Gaze plot over the stimulus" : "Heatmap over the stimulus";
}

/** @param {?Uint8Array} png  null clears the picture (while rendering) */
export function showDetailImage(png) {
  const img = $("detail-image");
  if (png === null) {
    if (img.src.startsWith("blob:")) URL.revokeObjectURL(img.src);
    img.removeAttribute("src");
    return;
  }
  pngUrl(img, png);
}

export function showDetailError(text) {
  $("detail-error").textContent = text;
  $("detail-error").hidden = !text;
}

// --- the AOI panel -------------------------------------------------------------------
/** @param {{onRun, onDownload, onClose}} handlers */
export function bindAoiPanel(handlers) {
  $("aoi-table-run").onclick = handlers.onRun;
  $("aoi-table-download").onclick = handlers.onDownload;
  $("aois-close").onclick = handlers.onClose;
}

/** The element the AOI editor is built into. */
export function aoiEditorContainer() {
  return $("aoi-editor");
}

export function showAoiPanel(stimulusText) {
  $("aois").hidden = false;
  $("aois-stimulus").textContent = stimulusText;
  showAoiTable(null, "");
  showAoiError("");
}

export function hideAoiPanel() {
  $("aois").hidden = true;
}

export function showAoiError(text) {
  $("aoi-error").textContent = text;
  $("aoi-error").hidden = !text;
}

function seconds(ms) {
  return ms === null || ms === undefined ? "never" : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * @param {?Array<Object>} rows  aoi_table rows (null: no table)
 * @param {string} summary
 */
export function showAoiTable(rows, summary) {
  const table = $("aoi-table");
  table.hidden = rows === null;
  $("aoi-table-download").disabled = rows === null;
  $("aoi-table-summary").textContent = summary;
  table.tBodies[0].replaceChildren(...(rows ?? []).map((r) => {
    const tr = document.createElement("tr");
    const values = [[r.participant || "(no label)", ""], [r.aoi, ""], [seconds(r.ttff_ms), "num"],
      [seconds(r.dwell_ms), "num"], [r.dwell_pct === null || r.dwell_pct === undefined ? "—" : `${Number(r.dwell_pct).toFixed(1)} %`, "num"],
      [String(r.fixation_count), "num"], [String(r.visits), "num"], [String(r.revisits), "num"]];
    for (const [text, className] of values) {
      const td = document.createElement("td");
      td.textContent = text;
      td.className = className;
      tr.append(td);
    }
    return tr;
  }));
}
