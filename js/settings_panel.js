// The settings panel: a form built from Python's settings schema (gazeheat.settings),
// so labels, ranges, units and defaults are stated once, in Python.

const $ = (id) => document.getElementById(id);

// ISO/IEC 7810 ID-1 (bank cards, ID cards): 85.60 mm x 53.98 mm.
const CARD_WIDTH_CM = 8.56;
const CARD_HEIGHT_CM = 5.398;

/**
 * @typedef {Object} SettingSpec   one entry of gazeheat.settings.settings_schema()
 * @property {string} key
 * @property {string} label
 * @property {"choice"|"number"} kind
 * @property {*} default
 * @property {?number} min
 * @property {?number} max
 * @property {?number} step
 * @property {string} unit
 * @property {?Array<[string, string]>} choices
 * @property {string} help
 */

export class SettingsPanel {
  /**
   * @param {SettingSpec[]} schema
   * @param {(values: Object) => Promise<?string>} onApply  returns an error message or null
   */
  constructor(schema, onApply) {
    this.schema = schema;
    this.onApply = onApply;
    this.dialog = $("settings");
    this.form = $("settings-form");
    this.form.replaceChildren(...schema.map((spec) => this.field(spec)));
    this.form.onchange = () => this.apply(this.read());
    $("settings-reset").onclick = () => {
      const defaults = Object.fromEntries(schema.map((s) => [s.key, s.default]));
      this.show(defaults);
      this.apply(defaults);
    };
    $("settings-close").onclick = () => this.dialog.close();
    this.bindCard();
  }

  /** "Match a card": an ID-1 card outline sized by a slider sets the screen scale. */
  bindCard() {
    const slider = $("card-width");
    const show = () => {
      const width = Number(slider.value);
      Object.assign($("card-outline").style, { width: `${width}px`,
        height: `${width * CARD_HEIGHT_CM / CARD_WIDTH_CM}px` });
    };
    slider.oninput = show;
    $("settings-card").onclick = () => {
      slider.value = String(Number(this.form.elements.screen_px_per_cm.value) * CARD_WIDTH_CM);
      show();
      $("card-dialog").showModal();
    };
    $("card-cancel").onclick = () => $("card-dialog").close();
    $("card-use").onclick = () => {
      this.form.elements.screen_px_per_cm.value = (Number(slider.value) / CARD_WIDTH_CM).toFixed(2);
      $("card-dialog").close();
      this.apply(this.read());
    };
  }

  field(spec) {
    const row = document.createElement("label");
    row.className = "setting";
    row.title = spec.help;
    const name = document.createElement("span");
    name.textContent = spec.label;
    let input;
    if (spec.kind === "choice") {
      input = document.createElement("select");
      for (const [value, label] of spec.choices) input.add(new Option(label, value));
    } else {
      input = document.createElement("input");
      Object.assign(input, { type: "number", min: spec.min, max: spec.max, step: spec.step });
    }
    input.name = spec.key;
    const unit = document.createElement("span");
    unit.className = "unit";
    unit.textContent = spec.unit;
    const help = document.createElement("small");
    help.textContent = spec.help;
    row.append(name, input, unit, help);
    return row;
  }

  /** Show `values` in the form. */
  show(values) {
    for (const spec of this.schema) this.form.elements[spec.key].value = values[spec.key];
  }

  read() {
    return Object.fromEntries(this.schema.map((spec) => {
      const raw = this.form.elements[spec.key].value;
      return [spec.key, spec.kind === "number" ? Number(raw) : raw];
    }));
  }

  async apply(values) {
    const error = await this.onApply(values);
    const box = $("settings-error");
    box.textContent = error ?? "";
    box.hidden = !error;
  }

  open() {
    if (!this.dialog.open) this.dialog.showModal();
  }

  get isOpen() {
    return this.dialog.open;
  }
}
