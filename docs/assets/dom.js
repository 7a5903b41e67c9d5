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
