// localStorage with errors as data: a corrupt entry or a full quota never throws at the
// caller and never damages what is already stored.

/**
 * @param {string} key
 * @returns {{value: *, error: ?string}}  value null when absent or unreadable
 */
export function loadJson(key) {
  let text;
  try {
    text = localStorage.getItem(key);
  } catch (error) {
    return { value: null, error: `saved data cannot be read here (${error.name})` };
  }
  if (text === null) return { value: null, error: null };
  try {
    return { value: JSON.parse(text), error: null };
  } catch {
    return { value: null, error: "saved data was corrupt and has been ignored" };
  }
}

/**
 * @param {string} key
 * @param {*} value
 * @param {string} [what]  what is being saved, for the message
 * @returns {?string} null when saved, else a message saying why not
 */
export function saveJson(key, value, what = "settings") {
  try {
    localStorage.setItem(key, JSON.stringify(value));
    return null;
  } catch (error) {
    if (error?.name === "QuotaExceededError") {
      return `the browser's storage for this site is full: ${what} not saved`;
    }
    return `${what} could not be saved (${error?.name ?? error})`;
  }
}

export function removeKey(key) {
  try {
    localStorage.removeItem(key);
  } catch {
    // Storage unavailable: nothing stored, nothing to remove.
  }
}
