// Sessions kept in the browser (IndexedDB): written incrementally while a recording runs,
// so a reload, a crash or a closed tab loses at most the last chunk (about a second).
// Nothing leaves the device. No DOM here; every failure is a StoreError with a message
// people can act on, and a failed write never damages what is already stored (each
// write is one IndexedDB transaction: it lands whole or not at all).
import { SESSION_STORE } from "./constants.js";

/**
 * What the list shows about a session, without loading its samples.
 * @typedef {Object} SessionMeta
 * @property {string} id             recording id (also the session's `recording_id`)
 * @property {string} participant    label, may be ""
 * @property {string} created        ISO 8601 time the recording started
 * @property {string} updated        ISO 8601 time of the last write
 * @property {"recording"|"interrupted"|"complete"|"imported"} status
 *   "recording": being written by an open page; "interrupted": its page went away
 *   mid-recording (the samples up to the last chunk are kept)
 * @property {{width: number, height: number}} viewport  CSS px
 * @property {?Object} stimulus      StimulusGeometry dict, null for the page itself
 * @property {string} stimulus_name
 * @property {?string} image_id      key of the stimulus picture in the images store
 * @property {number} n_samples
 * @property {number} n_valid        samples with gaze
 * @property {number} duration_ms
 * @property {?number} accuracy_deg  validation accuracy, null when not validated
 * @property {?string} grade         validation grade
 * @property {Object} header         session fields other than samples (calibration,
 *   settings, px_per_deg, validation, app_version, …) for sessions still being written
 */

/**
 * A chunk of samples, in recording order; NaN x/y stand for null (no gaze).
 * @typedef {Object} SampleChunk
 * @property {Float64Array} t_ms
 * @property {Float64Array} x
 * @property {Float64Array} y
 */

/** A storage failure, with `kind` "quota", "unavailable", "missing" or "failed". */
export class StoreError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = "StoreError";
    this.kind = kind;
  }
}

const STORES = Object.freeze({ meta: "sessions", chunks: "chunks", documents: "documents",
  images: "images", aois: "aois" });

/** Message for a failed request or transaction. */
function storeError(error, doing) {
  if (error instanceof StoreError) return error;
  if (error?.name === "QuotaExceededError") {
    return new StoreError("quota", `The browser's storage for this site is full: ${doing} failed. ` +
      "What was stored before is intact. Export or delete old sessions in the dashboard to make room.");
  }
  return new StoreError("failed", `Storage error while ${doing}: ${error?.message ?? error?.name ?? error}`);
}

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** A new recording id: time-ordered and unique. */
export function newRecordingId() {
  const random = crypto.getRandomValues(new Uint32Array(2));
  return `${Date.now().toString(36)}-${random[0].toString(36)}${random[1].toString(36)}`;
}

export class SessionStore {
  /** @param {IDBDatabase} db */
  constructor(db) {
    this.db = db;
  }

  /**
   * Open (creating or upgrading) the database.
   * @returns {Promise<SessionStore>}
   * @throws {StoreError} kind "unavailable" when IndexedDB cannot be used here
   */
  static async open() {
    if (typeof indexedDB === "undefined") {
      throw new StoreError("unavailable", "This browser cannot keep sessions (no IndexedDB).");
    }
    const request = indexedDB.open(SESSION_STORE.dbName, SESSION_STORE.dbVersion);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains(STORES.meta)) db.createObjectStore(STORES.meta, { keyPath: "id" });
      if (!db.objectStoreNames.contains(STORES.chunks)) {
        db.createObjectStore(STORES.chunks, { keyPath: ["id", "seq"] });
      }
      if (!db.objectStoreNames.contains(STORES.documents)) {
        db.createObjectStore(STORES.documents, { keyPath: "id" });
      }
      if (!db.objectStoreNames.contains(STORES.images)) db.createObjectStore(STORES.images, { keyPath: "id" });
      if (!db.objectStoreNames.contains(STORES.aois)) db.createObjectStore(STORES.aois, { keyPath: "stimulus_key" });
    };
    try {
      return new SessionStore(await promised(request));
    } catch (error) {
      throw new StoreError("unavailable", "Sessions cannot be kept in this browser " +
        `(${error?.name ?? "storage blocked"}); private windows may not allow it.`);
    }
  }

  /**
   * Run `work(stores)` in one transaction; resolves with its result once committed.
   * @template T
   * @param {string[]} names
   * @param {"readonly"|"readwrite"} mode
   * @param {(stores: Object<string, IDBObjectStore>) => (T|Promise<T>)} work
   * @param {string} doing  what is being done, for the error message
   * @returns {Promise<T>}
   */
  transaction(names, mode, work, doing) {
    return new Promise((resolve, reject) => {
      let tx;
      try {
        tx = this.db.transaction(names, mode);
      } catch (error) {
        reject(storeError(error, doing));
        return;
      }
      const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
      let result;
      Promise.resolve(work(stores)).then((value) => { result = value; }, (error) => {
        try { tx.abort(); } catch { /* already finished */ }
        reject(storeError(error, doing));
      });
      tx.oncomplete = () => resolve(result);
      tx.onabort = () => reject(storeError(tx.error, doing));
      tx.onerror = (event) => event.preventDefault(); // surfaces once, via onabort
    });
  }

  /**
   * Start keeping a recording.
   * @param {Omit<SessionMeta, "updated"|"status"|"n_samples"|"n_valid"|"duration_ms"|"image_id">} meta
   * @param {?{blob: Blob, media_type: string}} image  the stimulus picture, if any
   * @returns {Promise<void>}
   */
  async begin(meta, image) {
    const record = { ...meta, status: "recording", updated: new Date().toISOString(),
      n_samples: 0, n_valid: 0, duration_ms: 0, first_t_ms: null,
      image_id: image ? meta.id : null };
    await this.transaction([STORES.meta, STORES.images], "readwrite", (s) => {
      s[STORES.meta].put(record);
      if (image) s[STORES.images].put({ id: meta.id, blob: image.blob, media_type: image.media_type });
    }, "saving the new recording");
  }

  /**
   * Append samples (in order) to a recording being kept.
   * @param {string} id
   * @param {number} seq  chunk number: 0, 1, 2, … (a repeated seq overwrites)
   * @param {SampleChunk} chunk
   */
  async append(id, seq, chunk) {
    const n = chunk.t_ms.length;
    if (n === 0) return;
    let valid = 0;
    for (let i = 0; i < n; i++) if (!Number.isNaN(chunk.x[i])) valid++;
    await this.transaction([STORES.meta, STORES.chunks], "readwrite", async (s) => {
      const meta = await promised(s[STORES.meta].get(id));
      if (!meta) throw new StoreError("missing", "The recording is no longer stored (deleted elsewhere?).");
      s[STORES.chunks].put({ id, seq, t_ms: chunk.t_ms, x: chunk.x, y: chunk.y });
      meta.first_t_ms ??= chunk.t_ms[0];
      meta.n_samples += n;
      meta.n_valid += valid;
      meta.duration_ms = chunk.t_ms[n - 1] - meta.first_t_ms;
      meta.updated = new Date().toISOString();
      s[STORES.meta].put(meta);
    }, "saving the recording");
  }

  /**
   * The recording is complete: keep the whole session (as the engine made it) and drop
   * the chunks it was assembled from, in one transaction.
   * @param {string} id
   * @param {Object} session  a gazeheat.session dict
   * @param {?{blob: Blob, media_type: string}} image  replaces the stimulus picture (screen capture)
   */
  async finish(id, session, image = null) {
    await this.transaction([STORES.meta, STORES.chunks, STORES.documents, STORES.images], "readwrite",
      async (s) => {
        const meta = await promised(s[STORES.meta].get(id));
        if (!meta) throw new StoreError("missing", "The recording is no longer stored (deleted elsewhere?).");
        s[STORES.documents].put({ id, session });
        s[STORES.chunks].delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
        if (image) {
          s[STORES.images].put({ id, blob: image.blob, media_type: image.media_type });
          meta.image_id = id;
        }
        s[STORES.meta].put({ ...meta, ...summarise(session), status: "complete",
          updated: new Date().toISOString() });
      }, "saving the finished recording");
  }

  /**
   * Keep a session from a file (already validated by the engine).
   * @param {Object} session  gazeheat.session dict; its recording_id is used when not taken
   * @param {?{blob: Blob, media_type: string}} image
   * @returns {Promise<string>} the id it is stored under
   */
  async importSession(session, image) {
    let id = typeof session.recording_id === "string" && session.recording_id ? session.recording_id : null;
    if (id === null || (await this.meta(id)) !== null) id = newRecordingId();
    const meta = { id, participant: session.participant ?? "", created: session.created,
      updated: new Date().toISOString(), status: "imported", viewport: session.viewport,
      stimulus: session.stimulus ?? null, stimulus_name: session.stimulus?.name ?? "page",
      image_id: image ? id : null, header: {}, ...summarise(session) };
    await this.transaction([STORES.meta, STORES.documents, STORES.images], "readwrite", (s) => {
      s[STORES.meta].put(meta);
      s[STORES.documents].put({ id, session: { ...session, recording_id: id } });
      if (image) s[STORES.images].put({ id, blob: image.blob, media_type: image.media_type });
    }, "importing a session");
    return id;
  }

  /** @returns {Promise<?SessionMeta>} */
  async meta(id) {
    const found = await this.transaction([STORES.meta], "readonly",
      (s) => promised(s[STORES.meta].get(id)), "reading a session");
    return found ?? null;
  }

  /**
   * Every session, newest first. Sessions left "recording" by a page that is gone are
   * reported as "interrupted" (pass the ids this page is writing as `active`).
   * @param {Set<string>} [active]
   * @returns {Promise<SessionMeta[]>}
   */
  async list(active = new Set()) {
    const all = await this.transaction([STORES.meta], "readonly",
      (s) => promised(s[STORES.meta].getAll()), "listing sessions");
    for (const meta of all) {
      if (meta.status === "recording" && !active.has(meta.id)) meta.status = "interrupted";
    }
    return all.sort((a, b) => (a.created < b.created ? 1 : a.created > b.created ? -1 : 0));
  }

  /**
   * A whole session as a gazeheat.session dict: the finished document, or for a
   * recording that was interrupted, the header plus every chunk written.
   * @returns {Promise<Object>}
   */
  async session(id) {
    return this.transaction([STORES.meta, STORES.chunks, STORES.documents], "readonly", async (s) => {
      const meta = await promised(s[STORES.meta].get(id));
      if (!meta) throw new StoreError("missing", "That session is no longer stored.");
      const doc = await promised(s[STORES.documents].get(id));
      const session = doc ? doc.session : assemble(meta,
        await promised(s[STORES.chunks].getAll(IDBKeyRange.bound([id, -Infinity], [id, Infinity]))));
      // The label can be changed after the recording: the meta record is the truth.
      return { ...session, participant: meta.participant, recording_id: id };
    }, "reading a session");
  }

  /** @returns {Promise<?{blob: Blob, media_type: string}>} the stimulus picture */
  async image(id) {
    const meta = await this.meta(id);
    if (!meta?.image_id) return null;
    const found = await this.transaction([STORES.images], "readonly",
      (s) => promised(s[STORES.images].get(meta.image_id)), "reading a stimulus picture");
    return found ? { blob: found.blob, media_type: found.media_type } : null;
  }

  async rename(id, participant) {
    await this.transaction([STORES.meta], "readwrite", async (s) => {
      const meta = await promised(s[STORES.meta].get(id));
      if (!meta) throw new StoreError("missing", "That session is no longer stored.");
      s[STORES.meta].put({ ...meta, participant, updated: new Date().toISOString() });
    }, "renaming a session");
  }

  async delete(id) {
    await this.transaction([STORES.meta, STORES.chunks, STORES.documents, STORES.images], "readwrite", (s) => {
      s[STORES.meta].delete(id);
      s[STORES.chunks].delete(IDBKeyRange.bound([id, -Infinity], [id, Infinity]));
      s[STORES.documents].delete(id);
      s[STORES.images].delete(id);
    }, "deleting a session");
  }

  /** Areas of interest drawn on a stimulus (see docs/aoi.md), [] when none. */
  async aois(stimulusKey) {
    const found = await this.transaction([STORES.aois], "readonly",
      (s) => promised(s[STORES.aois].get(stimulusKey)), "reading areas of interest");
    return found?.aois ?? [];
  }

  async saveAois(stimulusKey, aois) {
    await this.transaction([STORES.aois], "readwrite",
      (s) => { s[STORES.aois].put({ stimulus_key: stimulusKey, aois }); }, "saving areas of interest");
  }
}

/** List fields of a whole session dict. */
function summarise(session) {
  const samples = session.samples;
  const n = samples.length;
  let valid = 0;
  for (const sample of samples) if (sample.x !== null) valid++;
  return {
    n_samples: n, n_valid: valid,
    duration_ms: n > 1 ? samples[n - 1].t_ms - samples[0].t_ms : 0,
    accuracy_deg: session.validation?.accuracy_deg ?? null,
    grade: session.validation?.grade ?? null,
  };
}

/** A session dict from a recording's header and its chunks (in seq order). */
function assemble(meta, chunks) {
  chunks.sort((a, b) => a.seq - b.seq);
  const samples = [];
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.t_ms.length; i++) {
      const x = chunk.x[i];
      samples.push(Number.isNaN(x) ? { t_ms: chunk.t_ms[i], x: null, y: null }
        : { t_ms: chunk.t_ms[i], x, y: chunk.y[i] });
    }
  }
  return {
    format: "gazeheat.session", version: 1, created: meta.created, calibration: null,
    ...meta.header, viewport: meta.viewport, samples,
    ...(meta.stimulus ? { stimulus: meta.stimulus } : {}),
  };
}
