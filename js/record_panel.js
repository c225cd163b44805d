// The recording UI: the dialog that picks a stimulus, the unmistakable REC badge while
// recording, and the results dialog with the downloads.
import { PATHS } from "./constants.js";

const $ = (id) => document.getElementById(id);

/**
 * The stimulus a person picked.
 * @typedef {{kind: "sample", file: string} | {kind: "file", file: File}
 *         | {kind: "blank"} | {kind: "grid"} | {kind: "screen"}} StimulusChoice
 */

export class RecordPanel {
  /**
   * @param {{onStart: (choice: StimulusChoice) => void, onStop: () => void,
   *          onDownload: (what: string) => void, onOptions: () => void}} handlers
   */
  constructor(handlers) {
    this.handlers = handlers;
    $("record-samples").replaceChildren(...PATHS.sampleStimuli.map((sample, i) => {
      const label = document.createElement("label");
      label.className = "choice";
      const radio = Object.assign(document.createElement("input"),
        { type: "radio", name: "stimulus", value: `sample:${i}`, checked: i === 0 });
      label.append(radio, ` ${sample.label}`);
      return label;
    }));
    $("record-file").onchange = () => {
      $("record-form").elements.stimulus.value = "file";
    };
    $("record-cancel").onclick = () => $("record-dialog").close();
    $("record-start").onclick = () => {
      const choice = this.choice();
      if (choice) handlers.onStart(choice);
    };
    $("rec-stop").onclick = handlers.onStop;
    $("results-close").onclick = () => $("results").close();
    $("results-options").onchange = handlers.onOptions;
    for (const button of document.querySelectorAll("[data-download]")) {
      button.onclick = () => handlers.onDownload(button.dataset.download);
    }
    this.timer = null;
  }

  open() {
    this.showError("");
    if (!$("record-dialog").open) $("record-dialog").showModal();
  }

  /** @returns {?StimulusChoice} */
  choice() {
    const value = $("record-form").elements.stimulus.value;
    if (value.startsWith("sample:")) {
      return { kind: "sample", file: PATHS.sampleStimuli[Number(value.slice(7))].file };
    }
    if (value === "file") {
      const file = $("record-file").files[0];
      if (!file) {
        this.showError("Choose an image file first.");
        return null;
      }
      return { kind: "file", file };
    }
    return { kind: value };
  }

  /** The participant label typed in the dialog ("" when none). */
  participant() {
    return $("record-participant").value.trim();
  }

  showError(text) {
    $("record-error").textContent = text;
    $("record-error").hidden = !text;
  }

  /** Recording started: close the dialog, show the REC badge with elapsed time. */
  started(start_ms) {
    $("record-dialog").close();
    $("stage").classList.add("recording");
    $("rec-badge").hidden = false;
    const tick = () => {
      const s = Math.floor((performance.now() - start_ms) / 1000);
      $("rec-time").textContent = `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    };
    tick();
    this.timer = setInterval(tick, 500);
  }

  stopped() {
    clearInterval(this.timer);
    $("stage").classList.remove("recording");
    $("rec-badge").hidden = true;
  }

  get recording() {
    return !$("rec-badge").hidden;
  }

  /**
   * @param {{colormaps: Array<[string, string]>, weightings: Array<[string, string]>,
   *          opacity: number, cutoff: number}} options  [value, label] pairs and defaults from Python
   */
  setRenderOptions(options) {
    const form = $("results-options");
    for (const [name, pairs] of [["colormap", options.colormaps], ["weighting", options.weightings]]) {
      const select = form.elements[name];
      if (select.options.length) continue; // keep what the person chose last time
      select.replaceChildren(...pairs.map(([value, label]) => new Option(label, value)));
    }
    if (!form.dataset.ready) {
      form.elements.opacity.value = String(options.opacity);
      form.elements.cutoff.value = String(options.cutoff);
      form.dataset.ready = "1";
    }
  }

  /** The rendering options chosen in the results dialog. */
  renderOptions() {
    const form = $("results-options");
    // An empty or non-positive top means "relative": the map's own maximum.
    const top = Number(form.elements.scale_max.value);
    const absolute = form.elements.scale_max.value !== "" && top > 0;
    return { colormap: form.elements.colormap.value, weighting: form.elements.weighting.value,
      opacity: Number(form.elements.opacity.value), cutoff: Number(form.elements.cutoff.value),
      scale: absolute ? "absolute" : "relative", scale_max: absolute ? top : null };
  }

  /** Show the results dialog with a summary line and a preview PNG. */
  showResults(summary, previewPng) {
    $("results-summary").textContent = summary;
    this.showPreview(previewPng);
    this.showResultsError("");
    if (!$("results").open) $("results").showModal();
  }

  showPreview(png) {
    const img = $("results-preview");
    if (img.src) URL.revokeObjectURL(img.src);
    img.src = URL.createObjectURL(new Blob([png], { type: "image/png" }));
  }

  showResultsError(text) {
    $("results-error").textContent = text;
    $("results-error").hidden = !text;
  }
}
