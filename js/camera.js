// Video sources: the webcam (getUserMedia) or the built-in demo video. Touches only the
// <video> element it is given; errors become messages people can act on.
import { CAMERA, PATHS } from "./constants.js";

/**
 * @typedef {Object} Source
 * @property {"camera"|"demo"} kind
 * @property {string} label   the camera's name, or "demo video"
 */

/** A camera failure people can act on. */
export class CameraError extends Error {
  /** @param {"denied"|"missing"|"busy"|"insecure"|"unsupported"|"failed"} reason */
  constructor(reason, message) {
    super(message);
    this.name = "CameraError";
    this.reason = reason;
  }
}

/** Map a getUserMedia rejection to a CameraError with a clear message. */
export function cameraError(error) {
  const name = error?.name || "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return new CameraError("denied", "Camera access was denied. Allow the camera for this page " +
      "in the browser's site settings and try again — or use the built-in demo video.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return new CameraError("missing", "No camera was found on this device. Connect one and " +
      "try again — or use the built-in demo video.");
  }
  if (name === "NotReadableError" || name === "AbortError") {
    return new CameraError("busy", "The camera is in use by another program or could not be " +
      "started. Close other programs that use it and try again — or use the demo video.");
  }
  return new CameraError("failed", `The camera could not be started (${name || "unknown error"}: ` +
    `${error?.message || error}). You can use the built-in demo video instead.`);
}

/**
 * Start the webcam into `video`.
 * @param {HTMLVideoElement} video
 * @returns {Promise<Source>}
 * @throws {CameraError}
 */
export async function openCamera(video) {
  if (!window.isSecureContext) {
    throw new CameraError("insecure", "The camera needs a secure page (https:// or " +
      "http://127.0.0.1). Open gazeheat from such an address — or use the demo video.");
  }
  if (!navigator.mediaDevices?.getUserMedia) {
    throw new CameraError("unsupported", "This browser cannot use a camera. Use a current " +
      "Chrome, Edge or Firefox — or the built-in demo video.");
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { width: { ideal: CAMERA.idealWidthPx }, height: { ideal: CAMERA.idealHeightPx },
        frameRate: { ideal: CAMERA.idealFps }, facingMode: "user" },
    });
  } catch (error) {
    throw cameraError(error);
  }
  video.srcObject = stream;
  await video.play();
  const track = stream.getVideoTracks()[0];
  return { kind: "camera", label: track?.label || "camera" };
}

/**
 * Play the bundled demo video (a real face) into `video`, looped.
 * @param {HTMLVideoElement} video
 * @returns {Promise<Source>}
 */
export async function openDemo(video) {
  video.srcObject = null;
  video.src = PATHS.demoVideo;
  video.loop = true;
  video.muted = true;
  await video.play();
  return { kind: "demo", label: "demo video" };
}

/** Stop whatever plays in `video` and release the camera. */
export function closeSource(video) {
  const stream = video.srcObject;
  if (stream) for (const track of stream.getTracks()) track.stop();
  video.pause();
  video.srcObject = null;
  video.removeAttribute("src");
}
