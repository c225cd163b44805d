// Replay: the same pipeline as the live page (MediaPipe in the page, Python in the
// worker) over a recording's video, every frame, at whatever speed the machine manages.
// Driven by `python3 build.py replay` (tools/replay.py), which reads
// window.gazeheatReplay. ?recording=URL_PREFIX names where recording.json is served.
import { EyeCropper } from "./eye_crop.js";
import { FrameChecker } from "./frame_check.js";
import { createLandmarker, detectFace } from "./landmarker.js";
import { demuxWebm } from "./webm_demuxer.js";
import { WorkerHost } from "./worker_host.js";

/** What the driver reads: phase "loading" | "running" | "done" | "failed". */
const state = { phase: "loading", frames: 0, noFace: 0, error: null, session: null,
  /** "webcodecs" (every frame, exactly) or "video-element" (fallback) */
  decoder: null,
  /** With ?dump=1: every frame's measurement (landmarks, matrix, eye patches or null),
   *  for developing the model offline. */
  dump: null,
  /** Frames with a face sent with eye patches, and without (the crop failed). */
  eyePatches: { sent: 0, missing: 0 } };
window.gazeheatReplay = state;
const params = new URLSearchParams(location.search);
if (params.has("dump")) state.dump = [];

// Slower than real time: a frame the decoder presents late is then still presented
// rather than dropped (the loop pauses on every frame anyway).
const REPLAY_PLAYBACK_RATE = 0.5;

const status = document.getElementById("replay-status");
const cropper = new EyeCropper();
const video = document.getElementById("video");

function fail(message) {
  state.phase = "failed";
  state.error = message;
  status.textContent = `Failed: ${message}`;
}

let startupFailure = null;
const host = new WorkerHost(() => {}, (f) => {
  startupFailure = `${f.phase}: ${f.error.type}: ${f.error.message}`;
  fail(startupFailure);
});

async function main() {
  const base = params.get("recording") ?? "recording/";
  const [landmarker, recordingText] = await Promise.all([
    createLandmarker(),
    fetch(`${base}recording.json`).then((r) => {
      if (!r.ok) throw new Error(`recording.json: HTTP ${r.status}`);
      return r.text();
    }),
  ]);
  const recording = await host.call("replayStart", { recording_json: recordingText });
  const url = base + encodeURIComponent(recording.video);
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${recording.video}: HTTP ${response.status}`);
  const bytes = await response.arrayBuffer();
  const webm = await decodableWebm(bytes);
  state.phase = "running";
  if (webm) {
    state.decoder = "webcodecs";
    await decodeAllFrames(landmarker, webm);
  } else {
    state.decoder = "video-element";
    video.src = URL.createObjectURL(new Blob([bytes]));
    await new Promise((resolve, reject) => {
      video.onloadeddata = resolve;
      video.onerror = () => reject(new Error(`the video "${recording.video}" could not be decoded`));
    });
    await processAllFrames(landmarker);
  }
  state.session = await host.call("replayFinish", { created_iso: new Date().toISOString() });
  state.phase = "done";
  status.textContent = `Done: ${state.frames} frames.`;
}

/** The demuxed WebM if WebCodecs can decode it here, else null (use a <video>). */
async function decodableWebm(bytes) {
  if (typeof VideoDecoder === "undefined") return null;
  try {
    const webm = demuxWebm(bytes);
    const { supported } = await VideoDecoder.isConfigSupported({ codec: webm.codec,
      codedWidth: webm.width_px, codedHeight: webm.height_px });
    return supported ? webm : null;
  } catch (error) {
    console.info(`gazeheat replay: ${error.message}; decoding with a <video> element`);
    return null;
  }
}

/**
 * Measure one decoded picture and hand it to Python. Shared by both decoders.
 * @param {CanvasImageSource & TexImageSource} image  a VideoFrame or the <video>
 */
async function measureFrame(landmarker, checker, image, t_ms, timestamp, width, height) {
  const quality = checker.check(image, t_ms);
  const face = quality.dark ? { faces: 0 } : detectFace(landmarker, image, timestamp);
  if (face.faces === 1) {
    // As the live page: the eye patches are cut before the landmarks are transferred.
    const patches = cropper.crop(image, width, height, face.landmarks);
    state.eyePatches[patches ? "sent" : "missing"]++;
    state.dump?.push({ t_ms, landmarks: Array.from(face.landmarks), matrix: Array.from(face.matrix),
      image_w_px: width, image_h_px: height, eye_patches: patches ? Array.from(patches) : null });
    await host.call("replayFrame", { t_ms, landmarks: face.landmarks, matrix: face.matrix,
      image_w_px: width, image_h_px: height, eye_patches: patches },
    [face.landmarks.buffer, face.matrix.buffer, ...(patches ? [patches.buffer] : [])]);
  } else {
    state.noFace++;
    const reason = quality.dark ? "dark" : face.faces === 0 ? "noface" : "multiple";
    state.dump?.push({ t_ms, reason });
    await host.call("replayNoFace", { t_ms, reason });
  }
  state.frames++;
  status.textContent = `Frame ${state.frames} (${(t_ms / 1000).toFixed(1)} s)…`;
}

/** Decode every frame with WebCodecs, one at a time, in order. */
async function decodeAllFrames(landmarker, webm) {
  const checker = new FrameChecker();
  const decoded = [];
  let failure = null;
  const decoder = new VideoDecoder({
    output: (frame) => decoded.push(frame),
    error: (error) => { failure = error; },
  });
  decoder.configure({ codec: webm.codec, codedWidth: webm.width_px, codedHeight: webm.height_px });
  const first_us = webm.frames[0].timestamp_us;
  let lastTimestamp = 0;
  const drain = async () => {
    if (failure) throw new Error(`the video could not be decoded: ${failure.message}`);
    for (const frame of decoded.splice(0)) {
      try {
        const t_ms = (frame.timestamp - first_us) / 1000;
        lastTimestamp = Math.max(lastTimestamp + 1, t_ms); // MediaPipe: strictly increasing
        await measureFrame(landmarker, checker, frame, t_ms, lastTimestamp,
          frame.displayWidth, frame.displayHeight);
      } finally {
        frame.close(); // the decoder has few frame buffers: give each back at once
      }
    }
  };
  for (const chunk of webm.frames) {
    decoder.decode(new EncodedVideoChunk({ type: chunk.key ? "key" : "delta",
      timestamp: chunk.timestamp_us, data: chunk.data }));
    // A few chunks in flight keep the decoder busy; more would only fill memory.
    while (decoder.decodeQueueSize > 4) {
      await new Promise((resolve) => decoder.addEventListener("dequeue", resolve, { once: true }));
    }
    await drain();
  }
  await decoder.flush();
  await drain();
  decoder.close();
}

/**
 * Fallback for videos that are not WebM (or that WebCodecs cannot decode here): play the
 * video, pausing on every presented frame until Python has answered it, so no
 * frame is skipped however slow the machine is.
 */
function processAllFrames(landmarker) {
  const checker = new FrameChecker();
  let first_s = null;
  let lastTimestamp = 0;
  let pending = Promise.resolve(); // the frame being processed, if any
  return new Promise((resolve, reject) => {
    const onFrame = (_now, meta) => {
      video.pause();
      pending = processFrame(meta).catch(reject);
    };
    const processFrame = async (meta) => {
      first_s ??= meta.mediaTime;
      const t_ms = (meta.mediaTime - first_s) * 1000;
      lastTimestamp = Math.max(lastTimestamp + 1, t_ms); // MediaPipe: strictly increasing
      await measureFrame(landmarker, checker, video, t_ms, lastTimestamp,
        video.videoWidth, video.videoHeight);
      if (video.ended) return resolve();
      video.requestVideoFrameCallback(onFrame);
      await video.play();
    };
    // The last frame may still be with Python when playback ends: finish after it.
    video.onended = () => pending.then(resolve);
    video.playbackRate = REPLAY_PLAYBACK_RATE;
    video.requestVideoFrameCallback(onFrame);
    // The first frame is already on screen and would never be "presented" again:
    // seeking to it presents it, so the loop starts with frame 0.
    video.currentTime = 0;
  });
}

main().catch((error) => fail(startupFailure ?? `${error.type ?? error.name}: ${error.message}`));
