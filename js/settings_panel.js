// The settings panel: a form built from Python's settings schema (gazeheat.settings),
// so labels, ranges, units and defaults are stated once, in Python.

const $ = (id) => document.getElementById(id);

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
