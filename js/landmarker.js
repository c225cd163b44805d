// MediaPipe FaceLandmarker (Tasks Vision, WASM) in VIDEO mode, served from our own origin.
import { FaceLandmarker, FilesetResolver } from "../vendor/mediapipe/vision_bundle.mjs";
import { LANDMARKER, PATHS } from "./constants.js";

const SITE_ROOT = new URL("../", import.meta.url);

/**
 * One video frame's face measurement.
 * @typedef {Object} FaceFrame
 * @property {number} faces             number of faces found (0, 1, or more)
 * @property {?Float32Array} landmarks  478*3 floats (x, y normalised, z) of the face, when faces === 1
 * @property {?Float32Array} matrix     4x4 facial transformation matrix, column-major, when faces === 1
 */

/** Create the landmarker (downloads the WASM and the model from this origin). */
export async function createLandmarker() {
  const fileset = await FilesetResolver.forVisionTasks(
    new URL(PATHS.mediapipeWasmDir, SITE_ROOT).href);
  return FaceLandmarker.createFromOptions(fileset, {
    baseOptions: { modelAssetPath: new URL(PATHS.model, SITE_ROOT).href,
      delegate: LANDMARKER.delegate },
    runningMode: "VIDEO",
    numFaces: LANDMARKER.numFaces,
    minFaceDetectionConfidence: LANDMARKER.minFaceDetectionConfidence,
    minFacePresenceConfidence: LANDMARKER.minFacePresenceConfidence,
    minTrackingConfidence: LANDMARKER.minTrackingConfidence,
    outputFaceBlendshapes: false,
    outputFacialTransformationMatrixes: true,
  });
}

/**
 * Measure one frame. Timestamps must increase strictly (MediaPipe's VIDEO mode rule).
 * @param {FaceLandmarker} landmarker
 * @param {HTMLVideoElement} video
 * @param {number} t_ms
 * @returns {FaceFrame}
 */
export function detectFace(landmarker, video, t_ms) {
  const result = landmarker.detectForVideo(video, t_ms);
  const faces = result.faceLandmarks.length;
  if (faces !== 1 || result.faceLandmarks[0].length < LANDMARKER.landmarkCount) {
    return { faces, landmarks: null, matrix: null };
  }
  const points = result.faceLandmarks[0];
  const landmarks = new Float32Array(LANDMARKER.landmarkCount * 3);
  for (let i = 0; i < LANDMARKER.landmarkCount; i++) {
    landmarks[3 * i] = points[i].x;
    landmarks[3 * i + 1] = points[i].y;
    landmarks[3 * i + 2] = points[i].z;
  }
  const m = result.facialTransformationMatrixes?.[0];
  const matrix = m ? Float32Array.from(m.data) : new Float32Array(16);
  return { faces, landmarks, matrix };
}
