// Eye patches for the appearance model: both eyes cut out of a video frame, aligned to
// their corners, grey, normalised. One job: frame + landmarks in, a small Float32Array out.
//
// Alignment. Each eye is drawn with one similarity transform (rotation, uniform scale,
// translation) that sends its two corner landmarks to fixed points of the patch
// (EYE_PATCH.cornerAPx / cornerBPx), so head roll, distance and position in the picture
// do not change the crop. The eye is drawn EYE_PATCH.oversample times larger than the
// patch into a small reused canvas and every oversample x oversample block is averaged:
// canvas drawing samples bilinearly, which aliases when a large eye is shrunk.
//
// Normalisation. Per eye, grey values (Rec. 601 luma, 0..255) are shifted to zero mean
// and divided by their standard deviation (floored at EYE_PATCH.minStdGrey). Chosen over
// min-max scaling because one specular highlight or dark lash pixel sets the min or max
// and with it the whole patch's scale, while the standard deviation barely moves.
//
// Only the tiny canvas is read back (getImageData); the frame itself is never read.
import { EYE_PATCH, LANDMARKER } from "./constants.js";

const W = EYE_PATCH.widthPx;
const H = EYE_PATCH.heightPx;
const K = EYE_PATCH.oversample;

/** Values in one frame's patch array (both eyes, row-major, right eye first). */
export const EYE_PATCH_VALUES = 2 * W * H;

/**
 * Canvas transform [a, b, c, d, e, f] (as for setTransform: x' = a x + c y + e,
 * y' = b x + d y + f) of the similarity that maps image point A to patch point pA and
 * image point B to patch point pB. Null when A and B coincide.
 * @param {number} ax @param {number} ay image px of corner A
 * @param {number} bx @param {number} by image px of corner B
 * @param {number} pax @param {number} pay where A goes
 * @param {number} pbx @param {number} pby where B goes
 * @returns {?number[]}
 */
export function similarityTransform(ax, ay, bx, by, pax, pay, pbx, pby) {
  const ex = bx - ax, ey = by - ay;
  const fx = pbx - pax, fy = pby - pay;
  const e2 = ex * ex + ey * ey;
  if (!(e2 > 0)) return null;
  // The complex ratio f / e: rotation and scale in one.
  const re = (fx * ex + fy * ey) / e2;
  const im = (fy * ex - fx * ey) / e2;
  const a = re, b = im, c = -im, d = re;
  return [a, b, c, d, pax - (a * ax + c * ay), pay - (b * ax + d * ay)];
}

/**
 * Cuts eye patches out of frames. Owns one small canvas (an OffscreenCanvas, or a
 * detached canvas element where OffscreenCanvas is missing), reused for every frame.
 */
export class EyeCropper {
  constructor() {
    const w = W * K, h = 2 * H * K; // right eye on top, left eye below
    this.canvas = typeof OffscreenCanvas === "function"
      ? new OffscreenCanvas(w, h)
      : Object.assign(document.createElement("canvas"), { width: w, height: h });
    // Read back on every frame: a CPU-backed canvas makes getImageData cheap.
    this.ctx = this.canvas.getContext("2d", { willReadFrequently: true, alpha: false });
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.imageSmoothingQuality = "low"; // bilinear: the block averaging anti-aliases
  }

  /**
   * Both eyes' normalised patches for one frame.
   * @param {CanvasImageSource} source  HTMLVideoElement, VideoFrame, ImageBitmap or canvas
   * @param {number} widthPx   the source's pixel width (e.g. video.videoWidth)
   * @param {number} heightPx  the source's pixel height
   * @param {Float32Array|number[]} landmarks  478*3 floats, x and y normalised to the
   *   source size (MediaPipe FaceLandmarker, as js/landmarker.js passes them)
   * @returns {?Float32Array} EYE_PATCH_VALUES floats: right eye's heightPx rows of
   *   widthPx values, then the left eye's; each eye zero-mean, unit standard deviation.
   *   Null when an eye is narrower than EYE_PATCH.minEyeWidthPx or inputs are unusable.
   */
  crop(source, widthPx, heightPx, landmarks) {
    if (!(widthPx > 0 && heightPx > 0) || !landmarks
        || landmarks.length < 3 * LANDMARKER.landmarkCount) return null;
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
    const eyes = [EYE_PATCH.rightCorners, EYE_PATCH.leftCorners];
    for (let k = 0; k < 2; k++) {
      const [ia, ib] = eyes[k];
      const ax = landmarks[3 * ia] * widthPx, ay = landmarks[3 * ia + 1] * heightPx;
      const bx = landmarks[3 * ib] * widthPx, by = landmarks[3 * ib + 1] * heightPx;
      if (!(Math.hypot(bx - ax, by - ay) >= EYE_PATCH.minEyeWidthPx)) return null;
      const top = k * H * K;
      const m = similarityTransform(ax, ay, bx, by,
        EYE_PATCH.cornerAPx[0] * K, EYE_PATCH.cornerAPx[1] * K + top,
        EYE_PATCH.cornerBPx[0] * K, EYE_PATCH.cornerBPx[1] * K + top);
      if (!m) return null;
      ctx.save();
      ctx.beginPath();
      ctx.rect(0, top, W * K, H * K); // this eye's band only: the frame covers the canvas
      ctx.clip();
      ctx.setTransform(m[0], m[1], m[2], m[3], m[4], m[5]);
      const r = sourceRect(m, top, widthPx, heightPx);
      if (r) ctx.drawImage(source, r[0], r[1], r[2], r[3], r[0], r[1], r[2], r[3]);
      ctx.restore();
    }
    const rgba = ctx.getImageData(0, 0, W * K, 2 * H * K).data;
    return blocksToPatches(rgba);
  }
}

/**
 * The part of the source (image px, clamped to it, 2 px margin for the bilinear
 * filter) that lands in one eye's band: drawing only it keeps the work per frame small
 * however large the frame. Null when the band sees none of the source.
 */
function sourceRect(m, top, widthPx, heightPx) {
  const [a, b, c, d, e, f] = m;
  const det = a * d - b * c;
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [u, v] of [[0, top], [W * K, top], [0, top + H * K], [W * K, top + H * K]]) {
    // Inverse of the transform at the band's corners.
    const du = u - e, dv = v - f;
    const x = (d * du - c * dv) / det, y = (-b * du + a * dv) / det;
    x0 = Math.min(x0, x); y0 = Math.min(y0, y); x1 = Math.max(x1, x); y1 = Math.max(y1, y);
  }
  x0 = Math.max(0, Math.floor(x0) - 2); y0 = Math.max(0, Math.floor(y0) - 2);
  x1 = Math.min(widthPx, Math.ceil(x1) + 2); y1 = Math.min(heightPx, Math.ceil(y1) + 2);
  return x1 > x0 && y1 > y0 ? [x0, y0, x1 - x0, y1 - y0] : null;
}

/** Oversampled RGBA of both bands -> normalised patch values (see the module comment). */
function blocksToPatches(rgba) {
  const out = new Float32Array(EYE_PATCH_VALUES);
  const rowStride = W * K * 4;
  const inv = 1 / (K * K);
  for (let k = 0; k < 2; k++) {
    const base = k * W * H;
    let sum = 0;
    for (let py = 0; py < H; py++) {
      for (let px = 0; px < W; px++) {
        let acc = 0;
        for (let sy = 0; sy < K; sy++) {
          let i = ((k * H + py) * K + sy) * rowStride + px * K * 4;
          for (let sx = 0; sx < K; sx++, i += 4) {
            acc += 0.299 * rgba[i] + 0.587 * rgba[i + 1] + 0.114 * rgba[i + 2];
          }
        }
        const grey = acc * inv;
        out[base + py * W + px] = grey;
        sum += grey;
      }
    }
    const mean = sum / (W * H);
    let ss = 0;
    for (let j = base; j < base + W * H; j++) ss += (out[j] - mean) ** 2;
    const sd = Math.max(Math.sqrt(ss / (W * H)), EYE_PATCH.minStdGrey);
    for (let j = base; j < base + W * H; j++) out[j] = (out[j] - mean) / sd;
  }
  return out;
}
