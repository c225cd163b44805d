// Cheap per-frame quality checks before any gaze is trusted: too dark, or frozen (no new
// or no changed picture for a while). Works on a 32x24 thumbnail, never the full frame.
import { FRAME_CHECK } from "./constants.js";

export class FrameChecker {
  constructor() {
    const canvas = new OffscreenCanvas(FRAME_CHECK.thumbWidthPx, FRAME_CHECK.thumbHeightPx);
    this.ctx = canvas.getContext("2d", { willReadFrequently: true });
    this.reset();
  }

  reset() {
    this.previous = null;
    this.lastChangeMs = null;
  }

  /**
   * @param {CanvasImageSource} video
   * @param {number} t_ms
   * @returns {{dark: boolean, frozen: boolean, meanLuma: number}}
   */
  check(video, t_ms) {
    const { thumbWidthPx: w, thumbHeightPx: h } = FRAME_CHECK;
    this.ctx.drawImage(video, 0, 0, w, h);
    const rgba = this.ctx.getImageData(0, 0, w, h).data;
    let sum = 0;
    let changed = this.previous === null;
    for (let i = 0; i < rgba.length; i += 4) {
      // Rec. 601 luma, integer weights summing to 256.
      sum += (77 * rgba[i] + 150 * rgba[i + 1] + 29 * rgba[i + 2]) >> 8;
      if (!changed && rgba[i + 1] !== this.previous[i + 1]) changed = true;
    }
    if (changed || this.lastChangeMs === null) this.lastChangeMs = t_ms;
    this.previous = rgba;
    const meanLuma = sum / (w * h);
    return {
      dark: meanLuma < FRAME_CHECK.darkMeanLuma,
      frozen: t_ms - this.lastChangeMs > FRAME_CHECK.frozenAfterMs,
      meanLuma,
    };
  }
}
