// Numbers as the site's widgets read them from the reader and write them back, and the seeded
// generator (mulberry32) that the pages and their PyTorch snippets share.

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A number typed by the reader: a decimal or a fraction "a/b", with "−" read as "-" and spaces
 * allowed around the slash. Returns {value} or {error}, the error one of "empty", "space" (a space
 * inside a number: "1 2 1" is not 121), "syntax" or "infinite"; each page words its own message.
 */
export function readNumber(text) {
  const t = text.trim().replace(/\u2212/g, "-").replace(/\s*\/\s*/g, "/");
  if (t === "") return { error: "empty" };
  if (/\s/.test(t)) return { error: "space" };
  const parts = t.split("/");
  if (parts.length > 2 || !parts.every((p) => NUMBER.test(p))) return { error: "syntax" };
  const value = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(parts[0]);
  if (!Number.isFinite(value)) return { error: "infinite" };
  return { value };
}

/** Text with its (first) hyphen written as a minus sign, as in "−0.5". */
export function minus(text) {
  return String(text).replace("-", "−");
}

/** A number rounded to at most `digits` decimals, trailing zeros dropped. */
export function formatNumber(v, digits = 3) {
  return minus(Number(v.toFixed(digits)));
}

/** A number in at most 6 characters (sign included), for small tables of products. */
export function compactNumber(v) {
  if (v === 0) return "0";
  const a = Math.abs(v);
  let text;
  if (a >= 1e-3 && a < 1e4) {
    const decimals = Math.min(3, Math.max(0, 2 - Math.floor(Math.log10(a))));
    text = String(Number(a.toFixed(decimals)));
  } else {
    text = a.toExponential(0).replace("+", "");
  }
  return `${v < 0 ? "−" : ""}${minus(text)}`;
}

/** A small seeded generator (mulberry32): uniform numbers in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
