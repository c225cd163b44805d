// A small WebM (Matroska) demuxer for replay: the video track's frames as encoded
// chunks, so WebCodecs can decode every one of them, in order, however slow the machine
// (a playing <video> drops frames under load). No DOM. Handles what MediaRecorder and
// ffmpeg write: unknown-size Segments and Clusters, SimpleBlocks and BlockGroups without
// lacing. Anything else throws, and the caller falls back to a <video> element.

const ID = Object.freeze({
  EBML: 0x1a45dfa3, Segment: 0x18538067, Info: 0x1549a966, TimecodeScale: 0x2ad7b1,
  Tracks: 0x1654ae6b, TrackEntry: 0xae, TrackNumber: 0xd7, TrackType: 0x83, CodecID: 0x86,
  Video: 0xe0, PixelWidth: 0xb0, PixelHeight: 0xba, Cluster: 0x1f43b675, Timecode: 0xe7,
  SimpleBlock: 0xa3, BlockGroup: 0xa0, Block: 0xa1, ReferenceBlock: 0xfb,
});
/** Master elements whose children are read in place (the scan descends into them). */
const DESCEND = new Set([ID.Segment, ID.Info, ID.Tracks, ID.TrackEntry, ID.Video, ID.Cluster,
  ID.BlockGroup]);
/** WebCodecs codec strings per Matroska codec ID (8-bit profile 0 for VP9 and AV1). */
const CODECS = Object.freeze({ V_VP8: "vp8", V_VP9: "vp09.00.10.08", V_AV1: "av01.0.04M.08" });

/**
 * @typedef {Object} WebmFrame
 * @property {number} timestamp_us  presentation time, microseconds
 * @property {boolean} key
 * @property {Uint8Array} data
 */

/**
 * @typedef {Object} WebmVideo
 * @property {string} codec   WebCodecs codec string
 * @property {number} width_px
 * @property {number} height_px
 * @property {WebmFrame[]} frames  in file (decode) order
 */

/** Read an EBML variable-length integer at `pos`. keepMarker: element IDs keep it. */
function vint(bytes, pos, keepMarker) {
  const first = bytes[pos];
  if (first === undefined || first === 0) throw new Error("not a WebM file (bad EBML number)");
  let length = 1;
  while (!(first & (0x80 >> (length - 1)))) length++;
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === (0xff >> length);
  for (let i = 1; i < length; i++) {
    const b = bytes[pos + i];
    if (b === undefined) throw new Error("truncated WebM file");
    value = value * 256 + b;
    allOnes &&= b === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

function uint(bytes, start, end) {
  let value = 0;
  for (let i = start; i < end; i++) value = value * 256 + bytes[i];
  return value;
}

/**
 * Demux the first video track of a WebM file.
 * @param {ArrayBuffer} buffer
 * @returns {WebmVideo}
 * @throws {Error} not WebM, no supported video track, or a feature this reader lacks
 */
export function demuxWebm(buffer) {
  const bytes = new Uint8Array(buffer);
  if (uint(bytes, 0, 4) !== ID.EBML) throw new Error("not a WebM file");
  let timecodeScaleNs = 1e6;
  let clusterTimecode = 0;
  const tracks = new Map(); // number -> {type, codecId, width, height}
  let track = null;
  const blocks = []; // {trackNumber, timecode, key, data}
  let pos = 0;
  while (pos < bytes.length) {
    const id = vint(bytes, pos, true);
    const size = vint(bytes, pos + id.length, false);
    const start = pos + id.length + size.length;
    const end = size.unknown ? bytes.length : start + size.value;
    if (end > bytes.length) break; // a recording cut short: keep what is complete
    pos = DESCEND.has(id.value) ? start : end;
    switch (id.value) {
      case ID.TimecodeScale: timecodeScaleNs = uint(bytes, start, end); break;
      case ID.TrackEntry: track = { type: 0, codecId: "", width: 0, height: 0 }; break;
      case ID.TrackNumber: tracks.set(uint(bytes, start, end), track); break;
      case ID.TrackType: track.type = uint(bytes, start, end); break;
      case ID.CodecID: track.codecId = new TextDecoder().decode(bytes.subarray(start, end)); break;
      case ID.PixelWidth: track.width = uint(bytes, start, end); break;
      case ID.PixelHeight: track.height = uint(bytes, start, end); break;
      case ID.Timecode: clusterTimecode = uint(bytes, start, end); break;
      case ID.SimpleBlock:
      case ID.Block: {
        const number = vint(bytes, start, false);
        const at = start + number.length;
        const relative = ((bytes[at] << 8) | bytes[at + 1]) << 16 >> 16; // signed 16-bit
        const flags = bytes[at + 2];
        if (flags & 0x06) throw new Error("laced WebM blocks are not supported");
        blocks.push({ trackNumber: number.value, timecode: clusterTimecode + relative,
          key: id.value === ID.SimpleBlock ? Boolean(flags & 0x80) : null,
          data: bytes.subarray(at + 3, end) });
        break;
      }
      case ID.ReferenceBlock: {
        const last = blocks[blocks.length - 1];
        if (last && last.key === null) last.key = false; // a Block that refers back
        break;
      }
      default: break;
    }
  }
  const videoNumber = [...tracks].find(([, t]) => t.type === 1)?.[0];
  if (videoNumber === undefined) throw new Error("the WebM file has no video track");
  const video = tracks.get(videoNumber);
  const codec = CODECS[video.codecId];
  if (!codec) throw new Error(`the WebM video codec ${video.codecId} is not supported here`);
  const frames = blocks.filter((b) => b.trackNumber === videoNumber).map((b) => ({
    timestamp_us: Math.round((b.timecode * timecodeScaleNs) / 1000),
    key: b.key ?? true, // a Block without a ReferenceBlock is a key frame
    data: b.data,
  }));
  if (frames.length === 0 || !frames[0].key) throw new Error("the WebM video does not start with a key frame");
  return { codec, width_px: video.width, height_px: video.height, frames };
}
