// Drawing areas of interest on a stimulus: rectangles (drag) and polygons (click the
// vertices; double-click, Enter or a click on the first vertex closes; Esc cancels),
// each named and deletable. Coordinates are the stimulus's own pixels (docs/aoi.md:
// {name, kind: "rect"|"polygon", points_px: [[x, y], ...]}); the canvas has the
// stimulus's native size and is shown scaled, so every pointer position is converted.
import { DASHBOARD } from "./constants.js";

/**
 * @typedef {Object} AoiDef
 * @property {string} name
 * @property {"rect"|"polygon"} kind
 * @property {Array<[number, number]>} points_px  rect: two corners; polygon: the vertices
 */

const COLOURS = ["#1c7ed6", "#e8590c", "#2f9e44", "#ae3ec9", "#f08c00", "#0c8599", "#c2255c", "#5c940d"];

/** One decimal is far below a pixel: keeps stored AOIs short and readable. */
const round1 = (v) => Math.round(v * 10) / 10;

function area(points) {
  let twice = 0;
  for (let i = 0; i < points.length; i++) {
    const [x0, y0] = points[i];
    const [x1, y1] = points[(i + 1) % points.length];
    twice += x0 * y1 - x1 * y0;
  }
  return Math.abs(twice) / 2;
}

export class AoiEditor {
  /**
   * @param {HTMLElement} container  emptied and filled with the editor
   * @param {(aois: AoiDef[]) => void} onChange  after every accepted change
   * @param {(message: string) => void} onProblem  "" clears
   */
  constructor(container, onChange, onProblem) {
    this.onChange = onChange;
    this.onProblem = onProblem;
    const tools = document.createElement("div");
    tools.className = "aoi-tools";
    this.toolButtons = {};
    for (const [tool, label] of [["rect", "Rectangle"], ["polygon", "Polygon"]]) {
      const button = Object.assign(document.createElement("button"), { type: "button", textContent: label });
      button.dataset.tool = tool;
      button.onclick = () => this.setTool(tool);
      this.toolButtons[tool] = button;
      tools.append(button);
    }
    this.hint = Object.assign(document.createElement("span"), { className: "note" });
    tools.append(this.hint);
    this.canvas = Object.assign(document.createElement("canvas"), { className: "stimulus-canvas aoi-canvas",
      tabIndex: 0 });
    this.canvas.setAttribute("aria-label", "Stimulus: draw areas of interest here");
    this.list = Object.assign(document.createElement("ul"), { className: "aoi-list" });
    container.replaceChildren(tools, this.canvas, this.list);

    /** @type {AoiDef[]} */
    this.aois = [];
    this.image = null;
    this.tool = "rect";
    /** @type {?{start: [number, number], end: [number, number]}} rectangle being dragged */
    this.drag = null;
    /** @type {Array<[number, number]>} polygon vertices placed so far */
    this.vertices = [];
    this.hover = null;

    this.canvas.addEventListener("pointerdown", (e) => this.pointerDown(e));
    this.canvas.addEventListener("pointermove", (e) => this.pointerMove(e));
    this.canvas.addEventListener("pointerup", (e) => this.pointerUp(e));
    this.canvas.addEventListener("dblclick", (e) => {
      e.preventDefault();
      this.closePolygon();
    });
    this.canvas.addEventListener("keydown", (e) => {
      if (e.key === "Enter") this.closePolygon();
      else if (e.key === "Escape") this.cancel();
    });
    this.setTool("rect");
  }

  /**
   * Edit the AOIs of one stimulus.
   * @param {?ImageBitmap} image  null for a blank or grid page
   * @param {number} width_px   native size
   * @param {number} height_px
   * @param {AoiDef[]} aois
   */
  load(image, width_px, height_px, aois) {
    this.image = image;
    this.canvas.width = width_px;
    this.canvas.height = height_px;
    this.aois = aois.map((a) => ({ name: a.name, kind: a.kind, points_px: a.points_px.map((p) => [...p]) }));
    this.cancel();
    this.renderList();
  }

  setTool(tool) {
    this.cancel();
    this.tool = tool;
    for (const [name, button] of Object.entries(this.toolButtons)) {
      button.setAttribute("aria-pressed", String(name === tool));
    }
    this.hint.textContent = tool === "rect"
      ? "Drag over the stimulus to draw a rectangle."
      : "Click each corner; double-click, press Enter or click the first corner to close; Esc cancels.";
  }

  /** Drop the shape being drawn. */
  cancel() {
    this.drag = null;
    this.vertices = [];
    this.draw();
  }

  /** Stimulus px of a pointer event. */
  point(event) {
    const box = this.canvas.getBoundingClientRect();
    return [round1(((event.clientX - box.left) * this.canvas.width) / box.width),
      round1(((event.clientY - box.top) * this.canvas.height) / box.height)];
  }

  /** Stimulus px per CSS px of the canvas as shown. */
  perCss() {
    return this.canvas.width / Math.max(1, this.canvas.getBoundingClientRect().width);
  }

  pointerDown(event) {
    if (event.button !== 0) return;
    this.canvas.focus();
    const p = this.point(event);
    if (this.tool === "rect") {
      this.canvas.setPointerCapture(event.pointerId);
      this.drag = { start: p, end: p };
      return;
    }
    const n = this.vertices.length;
    const near = (q) => Math.hypot(q[0] - p[0], q[1] - p[1]) <= DASHBOARD.aoiCloseDistanceCssPx * this.perCss();
    if (n >= 3 && near(this.vertices[0])) {
      this.closePolygon();
      return;
    }
    if (n > 0 && near(this.vertices[n - 1])) return; // the second click of a double-click
    if (n >= DASHBOARD.aoiMaxVertices) {
      this.onProblem(`A polygon has at most ${DASHBOARD.aoiMaxVertices} corners: close it.`);
      return;
    }
    this.vertices.push(p);
    this.draw();
  }

  pointerMove(event) {
    this.hover = this.point(event);
    if (this.drag) this.drag.end = this.hover;
    if (this.drag || this.vertices.length) this.draw();
  }

  pointerUp(event) {
    if (!this.drag) return;
    this.drag.end = this.point(event);
    const [[x0, y0], [x1, y1]] = [this.drag.start, this.drag.end];
    this.drag = null;
    if (Math.abs(x1 - x0) < DASHBOARD.aoiMinSizePx || Math.abs(y1 - y0) < DASHBOARD.aoiMinSizePx) {
      this.draw(); // a click, not a rectangle
      return;
    }
    this.add("rect", [[Math.min(x0, x1), Math.min(y0, y1)], [Math.max(x0, x1), Math.max(y0, y1)]]);
  }

  closePolygon() {
    if (this.tool !== "polygon") return;
    const points = this.vertices;
    this.vertices = [];
    if (points.length < 3 || area(points) === 0) {
      this.onProblem(points.length ? "A polygon needs at least three corners that enclose an area." : "");
      this.draw();
      return;
    }
    this.add("polygon", points);
  }

  add(kind, points) {
    if (this.aois.length >= DASHBOARD.aoiMaxCount) {
      this.onProblem(`At most ${DASHBOARD.aoiMaxCount} areas of interest per stimulus.`);
      this.draw();
      return;
    }
    let n = this.aois.length + 1;
    while (this.aois.some((a) => a.name === `AOI ${n}`)) n++;
    this.aois.push({ name: `AOI ${n}`, kind, points_px: points });
    this.changed();
  }

  changed() {
    this.onProblem("");
    this.draw();
    this.renderList();
    this.onChange(this.aois.map((a) => ({ ...a, points_px: a.points_px.map((p) => [...p]) })));
  }

  /** Why a name cannot be used ("" if it can). */
  nameProblem(name, index) {
    if (!name.trim()) return "An area needs a name.";
    if (name.length > DASHBOARD.aoiMaxNameChars) return `Names have at most ${DASHBOARD.aoiMaxNameChars} characters.`;
    if (this.aois.some((a, i) => i !== index && a.name === name)) return `The name "${name}" is taken.`;
    return "";
  }

  renderList() {
    this.list.replaceChildren(...this.aois.map((aoi, i) => {
      const li = document.createElement("li");
      const swatch = Object.assign(document.createElement("span"), { className: "aoi-swatch" });
      swatch.style.background = COLOURS[i % COLOURS.length];
      const name = Object.assign(document.createElement("input"), { type: "text", value: aoi.name,
        maxLength: DASHBOARD.aoiMaxNameChars, className: "aoi-name" });
      name.setAttribute("aria-label", `Name of area ${i + 1} (${aoi.kind === "rect" ? "rectangle" : "polygon"})`);
      name.onchange = () => {
        const problem = this.nameProblem(name.value, i);
        if (problem) {
          this.onProblem(problem);
          name.value = aoi.name;
          return;
        }
        aoi.name = name.value;
        this.changed();
      };
      const kind = Object.assign(document.createElement("span"), { className: "note",
        textContent: aoi.kind === "rect" ? "rectangle" : `polygon, ${aoi.points_px.length} corners` });
      const remove = Object.assign(document.createElement("button"), { type: "button", textContent: "Delete" });
      remove.setAttribute("aria-label", `Delete area ${aoi.name}`);
      remove.onclick = () => {
        this.aois.splice(i, 1);
        this.changed();
      };
      li.append(swatch, name, kind, remove);
      return li;
    }));
  }

  draw() {
    const ctx = this.canvas.getContext("2d");
    const { width, height } = this.canvas;
    if (!width || !height) return;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, width, height);
    if (this.image) ctx.drawImage(this.image, 0, 0, width, height);
    const s = this.perCss();
    ctx.lineWidth = 2 * s;
    ctx.font = `${13 * s}px system-ui, sans-serif`;
    ctx.textBaseline = "top";
    this.aois.forEach((aoi, i) => {
      const colour = COLOURS[i % COLOURS.length];
      const outline = aoi.kind === "rect"
        ? [[aoi.points_px[0][0], aoi.points_px[0][1]], [aoi.points_px[1][0], aoi.points_px[0][1]],
          [aoi.points_px[1][0], aoi.points_px[1][1]], [aoi.points_px[0][0], aoi.points_px[1][1]]]
        : aoi.points_px;
      ctx.beginPath();
      outline.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.fillStyle = `${colour}33`;
      ctx.fill();
      ctx.strokeStyle = colour;
      ctx.stroke();
      const [lx, ly] = outline[0];
      const textWidth = ctx.measureText(aoi.name).width;
      ctx.fillStyle = "rgba(255,255,255,.85)";
      ctx.fillRect(lx, ly, textWidth + 8 * s, 18 * s);
      ctx.fillStyle = colour;
      ctx.fillText(aoi.name, lx + 4 * s, ly + 2 * s);
    });
    ctx.strokeStyle = "#111";
    ctx.setLineDash([6 * s, 4 * s]);
    if (this.drag) {
      const [[x0, y0], [x1, y1]] = [this.drag.start, this.drag.end];
      ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    }
    if (this.vertices.length) {
      ctx.beginPath();
      this.vertices.forEach(([x, y], k) => (k ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (this.hover) ctx.lineTo(...this.hover);
      ctx.stroke();
      ctx.fillStyle = "#111";
      for (const [x, y] of this.vertices) ctx.fillRect(x - 3 * s, y - 3 * s, 6 * s, 6 * s);
    }
    ctx.setLineDash([]);
  }
}
