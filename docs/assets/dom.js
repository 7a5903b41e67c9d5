// Shared by the site's widgets (playground.js and learn.js, both ES modules that import this).

/**
 * A new element with attributes and children. An attribute "text" sets the text; the value
 * true writes the attribute without a value, false or null leaves it out.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

/** A control with its label (after a checkbox, before anything else); `prefix` names the classes. */
export function field(control, text, prefix) {
  const tag = el("label", { for: control.id, text });
  if (control.type === "checkbox") return el("span", { class: `${prefix}-field ${prefix}-check` }, control, tag);
  return el("span", { class: `${prefix}-field` }, tag, control);
}

/** The page's placeholder with this id, taken for a widget: null if absent or already taken. */
export function claim(id) {
  const root = document.getElementById(id);
  if (!root || root.dataset.ready) return null;
  root.dataset.ready = "true";
  return root;
}

/** Run `start` once the document is parsed (at once if it already is). */
export function whenReady(start) {
  if (typeof document === "undefined") return;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}

/**
 * Run `start` once `node` comes within a screen's height of the viewport (at once where the browser
 * cannot tell): a widget further down the page costs a reader nothing until they scroll near it.
 */
export function whenNear(node, start) {
  if (typeof IntersectionObserver === "undefined") return start();
  const observer = new IntersectionObserver((entries) => {
    if (!entries.some((entry) => entry.isIntersecting)) return;
    observer.disconnect();
    start();
  }, { rootMargin: "100% 0px" });
  observer.observe(node);
}

/** A promise kept in a later task: awaited between the steps of a long start-up, it lets the page
 * respond (draw, scroll, take a click) in between. */
export function nextTask() {
  return new Promise((resolve) => setTimeout(resolve));
}

/** Run `parts` (functions) one per later task, so that none of them is a long task on a slow
 * phone. `holder.staged` names the parts under way: a whole run made in between (which sets it
 * to null) overtakes the parts still to come. */
export async function inTasks(holder, parts) {
  holder.staged = parts;
  for (const part of parts) {
    await nextTask();
    if (holder.staged !== parts) return;
    part();
  }
}
