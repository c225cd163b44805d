// What participants look at while a recording runs: an image fitted to the viewport,
// a blank or grid page, or a shared screen (mirrored into the page). Knows where the
// stimulus lies in the viewport, so gaze maps onto the stimulus's own pixels.
import { RECORDING } from "./constants.js";

const $ = (id) => document.getElementById(id);

/**
 * Where a stimulus is and how big it natively is (gazeheat.stimulus.StimulusGeometry).
 * @typedef {Object} StimulusGeometry
 * @property {"image"|"blank"|"grid"|"screen"} kind
 * @property {string} name       file name, or a description
 * @property {number} width_px   native size in stimulus pixels
 * @property {number} height_px
 * @property {number} rect_x_px  where it is shown in the viewport, CSS px
 * @property {number} rect_y_px
 * @property {number} rect_w_px
 * @property {number} rect_h_px
 */

/**
 * A decoded stimulus picture for rendering.
 * @typedef {Object} StimulusPixels
 * @property {number} width_px
 * @property {number} height_px
 * @property {Uint8Array} rgba   width*height*4 bytes
 */

/** A stimulus that cannot be shown, with a message people can act on. */
export class StimulusError extends Error {
  constructor(message) {
    super(message);
    this.name = "StimulusError";
  }
}

/** Load an image (a File or a same-origin URL) fully decoded. @throws {StimulusError} */
export async function loadImage(source) {
  const url = source instanceof Blob ? URL.createObjectURL(source) : source;
  const name = source instanceof File ? source.name : String(source).split("/").pop();
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch {
    throw new StimulusError(`"${name}" could not be opened as an image. Use a PNG, JPEG, ` +
      "GIF or WebP file.");
  } finally {
    if (source instanceof Blob) setTimeout(() => URL.revokeObjectURL(url), 0);
  }
  if (image.naturalWidth * image.naturalHeight > RECORDING.maxStimulusPixels) {
    throw new StimulusError(`"${name}" is too large (${image.naturalWidth}×${image.naturalHeight} ` +
      "pixels). Use an image of at most 40 megapixels.");
  }
  return { image, name };
}

/** The rectangle (CSS px) of a w×h picture fitted inside the viewport, centred. */
function fitted(width, height) {
  const vw = window.innerWidth;
  const vh = window.innerHeight;
  const scale = Math.min(vw / width, vh / height);
  const w = width * scale;
  const h = height * scale;
  return { rect_x_px: (vw - w) / 2, rect_y_px: (vh - h) / 2, rect_w_px: w, rect_h_px: h };
}

function viewportGeometry(kind, name) {
  return { kind, name, width_px: window.innerWidth, height_px: window.innerHeight,
    rect_x_px: 0, rect_y_px: 0, rect_w_px: window.innerWidth, rect_h_px: window.innerHeight };
}

export class StimulusView {
  constructor() {
    this.layer = $("stimulus");
    /** @type {?StimulusGeometry} */
    this.geometry = null;
    this.element = null;
  }

  /** Show a decoded image fitted to the viewport. @returns {StimulusGeometry} */
  showImage(image, name) {
    const rect = fitted(image.naturalWidth, image.naturalHeight);
    const img = image.cloneNode();
    Object.assign(img.style, { left: `${rect.rect_x_px}px`, top: `${rect.rect_y_px}px`,
      width: `${rect.rect_w_px}px`, height: `${rect.rect_h_px}px` });
    this.show(img, "image");
    this.geometry = { kind: "image", name, width_px: image.naturalWidth,
      height_px: image.naturalHeight, ...rect };
    return this.geometry;
  }

  /** A white page, or one with a grid (for checking gaze against known lines). */
  showPage(kind) {
    const page = document.createElement("div");
    page.className = kind === "grid" ? "grid-page" : "blank-page";
    page.style.setProperty("--grid-px", `${RECORDING.gridSpacingPx}px`);
    this.show(page, kind);
    this.geometry = viewportGeometry(kind, kind === "grid" ? "grid page" : "blank page");
    return this.geometry;
  }

  /**
   * Ask to share a screen, window or tab and mirror it into the page.
   * @returns {Promise<StimulusGeometry>}
   * @throws {StimulusError}
   */
  async showScreen() {
    if (!navigator.mediaDevices?.getDisplayMedia) {
      throw new StimulusError("This browser cannot share the screen. Use an image instead.");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    } catch (error) {
      throw new StimulusError(error?.name === "NotAllowedError"
        ? "Screen sharing was cancelled or not allowed."
        : `Screen sharing failed (${error?.name ?? error}).`);
    }
    const video = document.createElement("video");
    Object.assign(video, { srcObject: stream, muted: true, playsInline: true });
    await video.play();
    const rect = fitted(video.videoWidth, video.videoHeight);
    Object.assign(video.style, { left: `${rect.rect_x_px}px`, top: `${rect.rect_y_px}px`,
      width: `${rect.rect_w_px}px`, height: `${rect.rect_h_px}px` });
    this.show(video, "screen");
    const label = stream.getVideoTracks()[0]?.label || "shared screen";
    this.geometry = { kind: "screen", name: label, width_px: video.videoWidth,
      height_px: video.videoHeight, ...rect };
    return this.geometry;
  }

  show(element, kind) {
    this.hide();
    element.classList.add("stimulus-content");
    this.layer.replaceChildren(element);
    this.layer.dataset.kind = kind;
    this.layer.hidden = false;
    this.element = element;
  }

  hide() {
    const stream = this.element?.srcObject;
    if (stream) for (const track of stream.getTracks()) track.stop();
    this.layer.replaceChildren();
    this.layer.hidden = true;
    this.element = null;
  }

  /**
   * The stimulus at its native size as RGBA (for heatmaps over it): the image, the page
   * as drawn, or the current frame of the shared screen.
   * @returns {StimulusPixels}
   */
  pixels() {
    const g = this.geometry;
    const data = this.draw().getContext("2d").getImageData(0, 0, g.width_px, g.height_px).data;
    return { width_px: g.width_px, height_px: g.height_px, rgba: new Uint8Array(data.buffer) };
  }

  /** The stimulus at its native size as a PNG (kept with the session). @returns {Promise<Blob>} */
  pictureBlob() {
    return this.draw().convertToBlob({ type: "image/png" });
  }

  /** @returns {OffscreenCanvas} the stimulus drawn at its native size */
  draw() {
    const g = this.geometry;
    const canvas = new OffscreenCanvas(g.width_px, g.height_px);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, g.width_px, g.height_px);
    if (g.kind === "image" || g.kind === "screen") {
      ctx.drawImage(this.element, 0, 0, g.width_px, g.height_px);
    } else if (g.kind === "grid") {
      ctx.strokeStyle = "#c8c8c8";
      ctx.beginPath();
      for (let x = RECORDING.gridSpacingPx; x < g.width_px; x += RECORDING.gridSpacingPx) {
        ctx.moveTo(x + 0.5, 0);
        ctx.lineTo(x + 0.5, g.height_px);
      }
      for (let y = RECORDING.gridSpacingPx; y < g.height_px; y += RECORDING.gridSpacingPx) {
        ctx.moveTo(0, y + 0.5);
        ctx.lineTo(g.width_px, y + 0.5);
      }
      ctx.stroke();
    }
    return canvas;
  }
}
