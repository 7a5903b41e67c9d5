// Kernel playground: filter an image with a small kernel, live, in the browser.
//
// Plain ES module, no dependencies. The page holds a placeholder
// <div id="kernel-playground"> whose links name the images on offer; this module replaces it
// with the widget. Everything is computed here, in the reader's browser: an image loaded from
// disk never leaves it.
//
// What is computed (the same as PyTorch's F.conv2d after F.pad, one colour channel at a time):
//   out[y, x] = sum over i, j of  padded[y + i, x + j] * w[i, j]      (cross-correlation)
// with w the kernel flipped in both directions when "convolution" is chosen.
//
// A read-only view of the state is exposed as window.playground (raw output values, timings)
// so that the site's tests can compare the output with PyTorch.

const MAX_SIDE = 512; // larger images are scaled down to this many pixels on their longer side
const LIMIT = 1e6; // largest accepted magnitude of one kernel weight
const FREQ_N = 64; // frequency response sampled on a FREQ_N × FREQ_N grid
const SIZES = [3, 5, 7];

// ---------------------------------------------------------------------------------------------
// Kernels

const FIXED = {
  sharpen: [0, -1, 0, -1, 5, -1, 0, -1, 0],
  sobel_x: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  sobel_y: [-1, -2, -1, 0, 0, 0, 1, 2, 1],
  laplacian: [0, 1, 0, 1, -4, 1, 0, 1, 0],
  emboss: [-2, -1, 0, -1, 1, 1, 0, 1, 2],
};

// Choosing a preset sets its usual size (if it has one), its parameters and a display that
// suits it (signed outputs are best seen as absolute values, rescaled).
export const PRESETS = {
  box: { label: "Box (mean)", display: ["clip", false] },
  gaussian: { label: "Gaussian", params: { sigma: 1 }, display: ["clip", false] },
  sharpen: { label: "Sharpen", size: 3, display: ["clip", false] },
  sobel_x: { label: "Sobel x (vertical edges)", size: 3, display: ["rescale", true] },
  sobel_y: { label: "Sobel y (horizontal edges)", size: 3, display: ["rescale", true] },
  laplacian: { label: "Laplacian", size: 3, display: ["rescale", true] },
  log: { label: "Laplacian of Gaussian", size: 7, params: { sigma: 1 }, display: ["rescale", true] },
  emboss: { label: "Emboss", size: 3, display: ["clip", false] },
  gabor: { label: "Gabor (even, cosine)", size: 7, params: { sigma: 2, theta: 0, frequency: 0.15 }, display: ["rescale", true] },
  custom: { label: "Custom (edit the numbers)" },
};

function grid(size, f) {
  const r = (size - 1) / 2;
  const w = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) w[i * size + j] = f(j - r, i - r); // x to the right, y down
  }
  return w;
}

function centred3(values, size) {
  const r = (size - 3) / 2;
  const w = new Float64Array(size * size);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) w[(i + r) * size + j + r] = values[i * 3 + j];
  }
  return w;
}

/** The weights (row by row) of a preset kernel of size × size. Angles in degrees. */
export function presetKernel(name, size, { sigma = 1, theta = 0, frequency = 0.2 } = {}) {
  if (name in FIXED) return centred3(FIXED[name], size);
  if (name === "box") return new Float64Array(size * size).fill(1 / (size * size));
  if (name === "gaussian") {
    const w = grid(size, (x, y) => Math.exp(-(x * x + y * y) / (2 * sigma * sigma)));
    const total = w.reduce((a, b) => a + b, 0);
    return w.map((v) => v / total);
  }
  if (name === "log") {
    // The Laplacian of a Gaussian, (r² - 2σ²) / (2πσ⁶) · exp(-r² / 2σ²), shifted to sum 0
    // (the truncated kernel would otherwise respond to flat regions).
    const s2 = sigma * sigma;
    const w = grid(size, (x, y) => {
      const r2 = x * x + y * y;
      return ((r2 - 2 * s2) / (2 * Math.PI * s2 * s2 * s2)) * Math.exp(-r2 / (2 * s2));
    });
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    return w.map((v) => v - mean);
  }
  if (name === "gabor") {
    // Gaussian envelope times a cosine wave; theta is the direction the wave travels in,
    // counter-clockwise from the x axis as seen on screen (y points down in the image).
    const t = (theta * Math.PI) / 180;
    const c = Math.cos(t);
    const s = Math.sin(t);
    return grid(size, (x, y) => {
      const along = x * c - y * s;
      const envelope = Math.exp(-(x * x + y * y) / (2 * sigma * sigma)) / (2 * Math.PI * sigma * sigma);
      return envelope * Math.cos(2 * Math.PI * frequency * along);
    });
  }
  throw new Error(`unknown preset ${name}`);
}

/** Resize a kernel to a new odd size, keeping its centre (cropping or padding with zeros). */
function resizeKernel(w, size, newSize) {
  const out = new Float64Array(newSize * newSize);
  const d = (newSize - size) / 2;
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) {
      const a = i + d;
      const b = j + d;
      if (a >= 0 && a < newSize && b >= 0 && b < newSize) out[a * newSize + b] = w[i * size + j];
    }
  }
  return out;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** Parse one grid cell: a number or a fraction "a/b". Returns {value} or {error}. */
export function parseCell(text) {
  const t = text.trim().replace(/\u2212/g, "-").replace(/\s+/g, "");
  if (t === "") return { empty: true, error: "is empty" };
  const parts = t.split("/");
  if (parts.length > 2 || !parts.every((p) => NUMBER.test(p))) {
    return { error: `“${text.trim()}” is not a number (write e.g. 0.25, -2, 1e-3 or 1/16)` };
  }
  const value = parts.length === 2 ? Number(parts[0]) / Number(parts[1]) : Number(parts[0]);
  if (!Number.isFinite(value)) return { error: `“${text.trim()}” is not a finite number` };
  if (Math.abs(value) > LIMIT) {
    return { error: `“${text.trim()}” is too large (use values between −1000000 and 1000000)` };
  }
  return { value };
}

/** The kernel actually applied: optionally flipped (convolution) and normalised to sum 1. */
export function effectiveKernel(w, size, { flip = false, normalise = false } = {}) {
  let k = flip ? Float64Array.from(w).reverse() : Float64Array.from(w); // reverse = flip rows and columns
  let note = "";
  if (normalise) {
    const total = k.reduce((a, b) => a + b, 0);
    if (Math.abs(total) < 1e-9) note = "This kernel sums to 0, so it cannot be normalised: it is used as it is.";
    else k = k.map((v) => v / total);
  }
  return { kernel: k, note };
}

// ---------------------------------------------------------------------------------------------
// Filtering

/** Index into 0..n-1 for a position i outside it, or -1 for zero padding. */
export function padIndex(i, n, mode) {
  if (i >= 0 && i < n) return i;
  if (mode === "zeros") return -1;
  if (mode === "replicate") return i < 0 ? 0 : n - 1;
  if (mode === "circular") return ((i % n) + n) % n;
  // reflect: mirror about the edge pixel without repeating it (numpy "reflect", torch "reflect")
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

// Work buffers, kept between updates (allocating megabytes per update costs time).
const buffers = new Map();
function scratch(name, length) {
  if (buffers.get(name)?.length !== length) buffers.set(name, new Float64Array(length));
  return buffers.get(name);
}

function padPlane(plane, width, height, p, mode) {
  const pw = width + 2 * p;
  const ph = height + 2 * p;
  const out = scratch("padded", pw * ph);
  out.fill(0);
  const cols = Int32Array.from({ length: pw }, (_, x) => padIndex(x - p, width, mode));
  for (let y = 0; y < ph; y++) {
    const sy = padIndex(y - p, height, mode);
    if (sy < 0) continue;
    const src = sy * width;
    const dst = y * pw;
    out.set(plane.subarray(src, src + width), dst + p); // the row itself, then its padding
    for (let x = 0; x < p; x++) {
      if (cols[x] >= 0) out[dst + x] = plane[src + cols[x]];
      const right = pw - 1 - x;
      if (cols[right] >= 0) out[dst + right] = plane[src + cols[right]];
    }
  }
  return out;
}

/**
 * Split a kernel into a sum of outer products u vᵀ (cross approximation with full pivoting,
 * exact when the kernel has low rank). Returns the terms, or null if more than maxTerms are
 * needed. A kernel of rank r can be applied as r pairs of 1-D passes.
 */
export function separate(w, k, maxTerms) {
  const r = Float64Array.from(w);
  const scale = r.reduce((a, b) => Math.max(a, Math.abs(b)), 0);
  const terms = [];
  for (;;) {
    let best = 0;
    let bi = 0;
    let bj = 0;
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const v = Math.abs(r[i * k + j]);
        if (v > best) [best, bi, bj] = [v, i, j];
      }
    }
    if (best <= 1e-12 * scale) return terms;
    if (terms.length >= maxTerms) return null;
    const pivot = r[bi * k + bj];
    const u = Float64Array.from({ length: k }, (_, i) => r[i * k + bj]);
    const v = Float64Array.from({ length: k }, (_, j) => r[bi * k + j] / pivot);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) r[i * k + j] -= u[i] * v[j];
    terms.push([u, v]);
  }
}

// The inner loops work on 7 taps: a smaller kernel is placed in the middle of a 7 × 7 grid of
// weights and the image is padded by 3 pixels, which gives the same output (the extra weights
// are zeros). Fixed-size loops let the JavaScript engine keep the 7 weights and the 7 pixels
// under them in registers, several times faster than a general loop over the taps.
const TAPS = 7;
const RADIUS = 3;

/** dst[d + x] += sum over j < 7 of w[q + j] * src[s + x + j], for x < n. */
function addRowFilter(src, s, dst, d, n, w, q) {
  const w0 = w[q], w1 = w[q + 1], w2 = w[q + 2], w3 = w[q + 3], w4 = w[q + 4], w5 = w[q + 5], w6 = w[q + 6];
  let p0 = src[s], p1 = src[s + 1], p2 = src[s + 2], p3 = src[s + 3], p4 = src[s + 4], p5 = src[s + 5];
  for (let x = 0; x < n; x++) {
    const p6 = src[s + x + 6];
    dst[d + x] += w0 * p0 + w1 * p1 + w2 * p2 + w3 * p3 + w4 * p4 + w5 * p5 + w6 * p6;
    p0 = p1;
    p1 = p2;
    p2 = p3;
    p3 = p4;
    p4 = p5;
    p5 = p6;
  }
}

/** acc[y, x] += sum over i < 7 of u[i] * rows[y + i, x], for every output row y. */
function addColumnFilter(rows, acc, width, height, u) {
  const u0 = u[0], u1 = u[1], u2 = u[2], u3 = u[3], u4 = u[4], u5 = u[5], u6 = u[6];
  const n = width;
  for (let y = 0; y < height; y++) {
    const o = y * n;
    for (let x = o; x < o + n; x++) {
      acc[x] += u0 * rows[x] + u1 * rows[x + n] + u2 * rows[x + 2 * n] + u3 * rows[x + 3 * n]
        + u4 * rows[x + 4 * n] + u5 * rows[x + 5 * n] + u6 * rows[x + 6 * n];
    }
  }
}

/**
 * Filter every channel of an image (planes: Float32Array, channel after channel, row by row)
 * with the k × k kernel w (row by row) by cross-correlation, padding k // 2 pixels on each side.
 * Returns {output: Float32Array shaped like planes, passes: which method was used}.
 */
export function filterImage(planes, width, height, channels, w, k, mode) {
  const w7 = resizeKernel(w, k, TAPS);
  const pw = width + 2 * RADIUS;
  const ph = height + 2 * RADIUS;
  const rows = [...Array(TAPS).keys()].filter((i) => w7.subarray(i * TAPS, (i + 1) * TAPS).some((v) => v !== 0));
  // Measured in Chromium: a pair of 1-D passes costs about as much as 2.5 kernel rows of the
  // direct pass (which skips rows that are all zero). Use pairs of passes when that is cheaper.
  const terms = separate(w7, TAPS, Math.floor((rows.length - 0.5) / 2.5));
  const output = new Float32Array(width * height * channels);
  const acc = scratch("acc", width * height);
  const tmp = terms ? scratch("tmp", ph * width) : null;
  for (let c = 0; c < channels; c++) {
    const plane = planes.subarray(c * width * height, (c + 1) * width * height);
    const padded = padPlane(plane, width, height, RADIUS, mode);
    acc.fill(0);
    if (terms) {
      for (const [u, v] of terms) {
        tmp.fill(0);
        for (let y = 0; y < ph; y++) addRowFilter(padded, y * pw, tmp, y * width, width, v, 0);
        addColumnFilter(tmp, acc, width, height, u);
      }
    } else {
      for (let y = 0; y < height; y++) {
        for (const i of rows) addRowFilter(padded, (y + i) * pw, acc, y * width, width, w7, i * TAPS);
      }
    }
    output.set(acc, c * width * height);
  }
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const passes = terms
    ? `separable: ${plural(terms.length, "pair")} of 1-D passes`
    : `direct 2-D pass over ${plural(rows.length, "kernel row")}`;
  return { output, passes };
}

/** RGBA bytes for display: optional absolute value, then clip to [0, 1] or rescale min..max. */
export function toDisplay(values, width, height, channels, { range = "clip", absolute = false } = {}) {
  const n = width * height;
  let lo = 0;
  let hi = 1;
  if (range === "rescale") {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < values.length; i++) {
      const v = absolute ? Math.abs(values[i]) : values[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) hi = lo + 1;
  }
  const scale = 255 / (hi - lo);
  const rgba = new Uint8ClampedArray(n * 4);
  for (let c = 0; c < 3; c++) {
    const plane = (channels === 1 ? 0 : c) * n;
    for (let i = 0; i < n; i++) {
      const v = absolute ? Math.abs(values[plane + i]) : values[plane + i];
      rgba[4 * i + c] = (v - lo) * scale; // Uint8ClampedArray rounds and clips
    }
  }
  for (let i = 0; i < n; i++) rgba[4 * i + 3] = 255;
  return { rgba, lo, hi };
}

/** |H(fx, fy)| on an N × N grid of frequencies, zero frequency in the middle. */
export function frequencyResponse(w, k, N = FREQ_N) {
  const mag = new Float64Array(N * N);
  const r = (k - 1) / 2;
  for (let a = 0; a < N; a++) {
    const fy = (a - N / 2) / N;
    for (let b = 0; b < N; b++) {
      const fx = (b - N / 2) / N;
      let re = 0;
      let im = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const phase = -2 * Math.PI * (fx * (j - r) + fy * (i - r));
          re += w[i * k + j] * Math.cos(phase);
          im += w[i * k + j] * Math.sin(phase);
        }
      }
      mag[a * N + b] = Math.hypot(re, im);
    }
  }
  return mag;
}

// ---------------------------------------------------------------------------------------------
// The widget

const STYLE = `
.kp { --kp-border: var(--md-default-fg-color--lighter, #8888); margin: 1em 0; }
.kp fieldset { border: 1px solid var(--kp-border); border-radius: 4px; margin: 0.8em 0; padding: 0.4em 0.8em 0.8em; min-width: 0; }
.kp legend { font-weight: 700; padding: 0 0.3em; }
.kp .kp-row { display: flex; flex-wrap: wrap; gap: 0.5em 1.2em; align-items: center; margin: 0.4em 0; }
.kp .kp-field { display: inline-flex; flex-wrap: wrap; gap: 0.3em 0.4em; align-items: center; max-width: 100%; }
.kp select { max-width: 100%; }
.kp .kp-check { flex-wrap: nowrap; align-items: baseline; }
.kp select, .kp input, .kp button { font: inherit; color: var(--md-typeset-color, inherit);
  background: var(--md-default-bg-color, transparent); border: 1px solid var(--md-default-fg-color--light, #666);
  border-radius: 3px; padding: 0.15em 0.3em; }
.kp input[type=checkbox], .kp input[type=range] { accent-color: var(--md-accent-fg-color, auto); padding: 0; }
.kp input[type=range] { width: 9em; border: none; }
.kp .kp-slider { display: inline-flex; flex-wrap: wrap; gap: 0.4em; align-items: center; }
.kp .kp-slider output { min-width: 5em; }
.kp input[type=file] { max-width: 100%; border: none; padding: 0; }
.kp :focus-visible { outline: 2px solid var(--md-accent-fg-color, #06c); outline-offset: 2px; }
.kp .kp-images { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 0.6em; margin: 0.6em 0; }
.kp figure { margin: 0; width: auto; max-width: none; display: block; text-align: center; }
.kp figcaption { font-size: 0.85em; margin-top: 0.2em; }
.kp canvas { width: 100%; height: auto; image-rendering: pixelated; background: #808080; display: block; }
.kp .kp-grid { display: grid; gap: 3px; }
.kp .kp-grid input { width: 100%; box-sizing: border-box; font-size: 0.9em; text-align: right; font-variant-numeric: tabular-nums; }
.kp .kp-grid input[aria-invalid=true] { border: 2px solid var(--kp-error); }
.kp .kp-kernel { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; }
.kp .kp-freq-figure { width: 11em; }
.kp .kp-freq { width: 100%; }
.kp .kp-error { --kp-error: #b3261e; color: var(--kp-error); border-left: 4px solid var(--kp-error);
  padding: 0.3em 0.6em; margin: 0.4em 0; font-weight: 700; }
.kp { --kp-error: #b3261e; }
[data-md-color-scheme=slate] .kp, [data-md-color-scheme=slate] .kp .kp-error { --kp-error: #ffb4ab; }
.kp .kp-status, .kp .kp-note { font-size: 0.85em; margin: 0.3em 0; }
.kp figcaption .kp-note { display: block; font-style: normal; font-size: 1em; }
.kp [hidden] { display: none !important; }
.kp .kp-kernel > div { min-width: 0; max-width: 100%; }
@media (max-width: 480px) { .kp .kp-grid input { font-size: 0.75em; padding: 0.15em 0.1em; } .kp .kp-images { gap: 0.3em; } }
`;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "text") node.textContent = value;
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value != null) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

function formatWeight(v) {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

function formatNumber(v, digits = 3) {
  return Number(v.toFixed(digits)).toString().replace("-", "−");
}

const ROOT_ID = "kernel-playground";
let uid = 0;

class Playground {
  constructor(root) {
    this.root = root;
    this.images = [...root.querySelectorAll("a[href]")].map((a) => ({ label: a.textContent.trim(), url: a.href }));
    this.size = 5;
    this.preset = "gaussian";
    this.params = { sigma: 1, theta: 0, frequency: 0.15 };
    this.values = presetKernel(this.preset, this.size, this.params); // what the grid holds
    this.cellErrors = new Map(); // cell index -> message
    this.valid = { weights: this.values, size: this.size }; // last valid kernel
    this.image = null; // {name, width, height, channels, planes}
    this.output = null;
    this.applied = null; // the effective kernel of the last output
    this.updateMs = NaN;
    this.version = 0;
    this.build();
  }

  id(name) {
    return `kp${this.uid}-${name}`;
  }

  build() {
    this.uid = ++uid;
    const id = (n) => this.id(n);
    const style = el("style", { text: STYLE });
    document.head.append(style);

    const imageSelect = el("select", { id: id("image") });
    this.images.forEach((image, i) => imageSelect.append(el("option", { value: String(i), text: image.label })));
    const file = el("input", { id: id("file"), type: "file", accept: "image/*" });
    const inCanvas = el("canvas", { id: id("in"), role: "img", "aria-label": "Input image" });
    const outCanvas = el("canvas", { id: id("out"), role: "img", "aria-label": "Output image" });
    const error = el("div", { id: id("error"), class: "kp-error", role: "alert", hidden: true });
    const status = el("p", { id: id("status"), class: "kp-status" });

    const presetSelect = el("select", { id: id("preset") });
    for (const [name, { label }] of Object.entries(PRESETS)) presetSelect.append(el("option", { value: name, text: label }));
    presetSelect.value = this.preset;
    const sizeSelect = el("select", { id: id("size") });
    for (const s of SIZES) sizeSelect.append(el("option", { value: String(s), text: `${s} × ${s}` }));
    sizeSelect.value = String(this.size);

    const slider = (name, label, min, max, step, unit) => {
      const input = el("input", { id: id(name), type: "range", min, max, step, value: this.params[name] });
      const output = el("output", { id: id(`${name}-value`), for: id(name), "aria-live": "polite" });
      const wrap = el("div", { class: "kp-slider" }, el("label", { for: id(name), text: label }), input, output);
      const show = () => {
        const text = `${input.value}${unit}`;
        output.textContent = text;
        input.setAttribute("aria-valuetext", text);
      };
      show();
      input.addEventListener("input", () => {
        show();
        this.params[name] = Number(input.value);
        this.loadPreset(this.preset);
      });
      const set = (value) => {
        input.value = String(value);
        this.params[name] = Number(input.value);
        show();
      };
      return { wrap, set };
    };
    const sliders = {
      sigma: slider("sigma", "σ (spread)", 0.3, 3, 0.1, " px"),
      theta: slider("theta", "θ (wave direction)", 0, 180, 15, "°"),
      frequency: slider("frequency", "Frequency", 0.05, 0.5, 0.01, " cycles/px"),
    };

    const gridBox = el("div", { id: id("grid"), class: "kp-grid", role: "group", "aria-labelledby": id("grid-label") });
    const gridLabel = el("p", { id: id("grid-label"), class: "kp-note" });
    const sum = el("p", { id: id("sum"), class: "kp-note" });

    const flip = el("input", { id: id("flip"), type: "checkbox" });
    const normalise = el("input", { id: id("normalise"), type: "checkbox" });
    const padding = el("select", { id: id("padding") });
    for (const [value, label] of [["zeros", "zeros"], ["reflect", "reflect"], ["replicate", "replicate (edge)"], ["circular", "circular (wrap)"]]) {
      padding.append(el("option", { value, text: label }));
    }
    padding.value = "reflect";
    const range = el("select", { id: id("range") });
    range.append(el("option", { value: "clip", text: "clip to 0…1" }), el("option", { value: "rescale", text: "rescale min…max" }));
    const absolute = el("input", { id: id("abs"), type: "checkbox" });
    const showFreq = el("input", { id: id("show-freq"), type: "checkbox", checked: true });
    const freqCanvas = el("canvas", { id: id("freq"), class: "kp-freq", width: FREQ_N, height: FREQ_N, role: "img", "aria-label": "Frequency response" });
    const freqNote = el("span", { id: id("freq-note"), class: "kp-note" });
    const freqFigure = el("figure", { id: id("freq-figure"), class: "kp-freq-figure" }, freqCanvas,
      el("figcaption", {}, "|H|, the gain per frequency: zero in the middle, ±0.5 cycles/px at the edges; white is the largest gain.", freqNote));
    const note = el("p", { id: id("note"), class: "kp-note", "aria-live": "polite" });
    const label = (control, text) => {
      const tag = el("label", { for: control.id, text: text.trim() });
      if (control.type === "checkbox") return el("span", { class: "kp-field kp-check" }, control, tag);
      return el("span", { class: "kp-field" }, tag, control);
    };

    this.root.replaceChildren(el("div", { class: "kp" },
      el("fieldset", {}, el("legend", { text: "Image" }),
        el("div", { class: "kp-row" }, label(imageSelect, "Photo "), label(file, "or your own image (it stays in your browser)"))),
      el("div", { class: "kp-images" },
        el("figure", {}, inCanvas, el("figcaption", { id: id("in-caption"), text: "Input" })),
        el("figure", {}, outCanvas, el("figcaption", { id: id("out-caption"), text: "Output" }))),
      error, status,
      el("fieldset", {}, el("legend", { text: "Kernel" }),
        el("div", { class: "kp-row" }, label(presetSelect, "Preset "), label(sizeSelect, "Size ")),
        el("div", { class: "kp-row" }, sliders.sigma.wrap, sliders.theta.wrap, sliders.frequency.wrap),
        el("div", { class: "kp-kernel" }, el("div", {}, gridLabel, gridBox, sum), freqFigure)),
      el("fieldset", {}, el("legend", { text: "Options" }),
        el("div", { class: "kp-row" }, label(flip, "Flip the kernel: true convolution (unticked: cross-correlation, what PyTorch computes)")),
        el("div", { class: "kp-row" }, label(normalise, "Normalise the kernel to sum 1"), label(padding, "Padding ")),
        el("div", { class: "kp-row" }, label(range, "Display "), label(absolute, "Absolute value"), label(showFreq, "Show the frequency response")),
        note)));

    Object.assign(this, { imageSelect, file, inCanvas, outCanvas, error, status, presetSelect, sizeSelect, sliders,
      gridBox, gridLabel, sum, flip, normalise, padding, range, absolute, showFreq, freqCanvas, freqNote, freqFigure, note });

    imageSelect.addEventListener("change", () => {
      if (imageSelect.value === "file") this.loadFile(this.userFile);
      else this.loadUrl(this.images[Number(imageSelect.value)]);
    });
    file.addEventListener("change", () => file.files.length && this.loadFile(file.files[0]));
    presetSelect.addEventListener("change", () => this.loadPreset(presetSelect.value, true));
    sizeSelect.addEventListener("change", () => this.setSize(Number(sizeSelect.value)));
    for (const control of [flip, normalise, padding]) control.addEventListener("change", () => this.update());
    for (const control of [range, absolute]) control.addEventListener("change", () => this.redisplay());
    showFreq.addEventListener("change", () => this.drawFrequency());
    this.buildGrid();
    this.showPresetControls();
  }

  showPresetControls() {
    const used = PRESETS[this.preset].params || {};
    for (const [name, { wrap }] of Object.entries(this.sliders)) wrap.hidden = !(name in used);
  }

  buildGrid() {
    const k = this.size;
    this.gridBox.style.gridTemplateColumns = `repeat(${k}, minmax(0, 5em))`;
    this.gridLabel.textContent = `Weights, ${k} rows × ${k} columns (numbers or fractions such as 1/16):`;
    this.cells = [];
    const cells = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const cell = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
          id: this.id(`cell-${i}-${j}`), "aria-label": `Row ${i + 1}, column ${j + 1}`, value: formatWeight(this.values[i * k + j]) });
        cell.addEventListener("input", () => this.editCell(i * k + j, cell.value));
        cell.addEventListener("keydown", (event) => this.moveInGrid(event, i, j));
        cells.push(cell);
      }
    }
    this.cells = cells;
    this.gridBox.replaceChildren(...cells);
  }

  moveInGrid(event, i, j) {
    const k = this.size;
    const step = { ArrowUp: [-1, 0], ArrowDown: [1, 0] }[event.key];
    if (!step) return;
    const a = i + step[0];
    if (a < 0 || a >= k) return;
    event.preventDefault();
    this.cells[a * k + j].focus();
  }

  editCell(index, text) {
    const parsed = parseCell(text);
    const cell = this.cells[index];
    if (parsed.error) {
      this.cellErrors.set(index, parsed);
      cell.setAttribute("aria-invalid", "true");
      cell.setAttribute("aria-describedby", this.error.id);
    } else {
      this.cellErrors.delete(index);
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("aria-describedby");
      this.values[index] = parsed.value;
    }
    if (this.preset !== "custom") {
      this.preset = "custom";
      this.presetSelect.value = "custom";
      this.showPresetControls();
    }
    this.checkGrid();
  }

  /** Accept the grid as the kernel if every cell holds a valid number, else explain why not. */
  checkGrid() {
    const k = this.size;
    if (this.cellErrors.size === k * k && [...this.cellErrors.values()].every((e) => e.empty)) {
      return this.fail("The kernel is empty: type a number in each cell (0 for no weight).");
    }
    if (this.cellErrors.size) {
      const [index, problem] = [...this.cellErrors.entries()].sort((a, b) => a[0] - b[0])[0];
      const where = `Row ${Math.floor(index / k) + 1}, column ${(index % k) + 1}`;
      return this.fail(problem.empty ? `${where} is empty (type 0 for no weight).` : `${where}: ${problem.error}.`);
    }
    this.valid = { weights: Float64Array.from(this.values), size: k };
    this.clearError();
    this.update();
  }

  fail(message) {
    this.error.textContent = `${message} The output still shows the last valid result.`;
    this.error.hidden = false;
  }

  clearError() {
    this.error.hidden = true;
    this.error.textContent = "";
  }

  /** Fill the grid with a preset; ``chosen``: the reader picked it, so apply its defaults. */
  loadPreset(name, chosen = false) {
    this.preset = name;
    this.showPresetControls();
    if (name === "custom") return;
    const preset = PRESETS[name];
    if (chosen) {
      for (const [param, value] of Object.entries(preset.params || {})) this.sliders[param].set(value);
      if (preset.size) this.sizeSelect.value = String((this.size = preset.size));
      [this.range.value, this.absolute.checked] = preset.display;
    }
    this.values = presetKernel(name, this.size, this.params);
    this.cellErrors.clear();
    this.buildGrid();
    this.checkGrid();
  }

  setSize(size) {
    const old = this.size;
    const texts = this.cells.map((cell) => cell.value);
    this.size = size;
    if (this.preset !== "custom") return this.loadPreset(this.preset);
    // A custom kernel keeps its centre: cells are cropped away or new zeros appear around it.
    this.values = resizeKernel(this.values, old, size);
    this.buildGrid();
    this.cellErrors.clear();
    const d = (size - old) / 2;
    this.cells.forEach((cell, index) => {
      const i = Math.floor(index / size) - d;
      const j = (index % size) - d;
      if (i < 0 || i >= old || j < 0 || j >= old) return;
      cell.value = texts[i * old + j];
      const parsed = parseCell(cell.value);
      if (parsed.error) {
        this.cellErrors.set(index, parsed);
        cell.setAttribute("aria-invalid", "true");
        cell.setAttribute("aria-describedby", this.error.id);
      }
    });
    this.checkGrid();
  }

  async loadUrl(image) {
    try {
      const response = await fetch(image.url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const name = decodeURIComponent(image.url.split("/").pop());
      await this.setImage(await response.blob(), name, image.label);
    } catch (problem) {
      this.fail(`Could not load the image ${image.label} (${problem.message}).`);
    }
  }

  async loadFile(file) {
    try {
      await this.setImage(file, file.name, file.name);
    } catch {
      this.fail(`“${file.name}” could not be read as an image (try a PNG, JPEG, GIF or WebP file); the previous image is kept.`);
      return;
    }
    // The reader's image joins the list, so that they can come back to it.
    this.userFile = file;
    let option = this.imageSelect.querySelector("option[value=file]");
    if (!option) this.imageSelect.append((option = el("option", { value: "file" })));
    option.textContent = `Your image: ${file.name}`;
    this.imageSelect.value = "file";
  }

  async setImage(blob, name, label) {
    const options = { colorSpaceConversion: "none", premultiplyAlpha: "none" };
    let bitmap = await createImageBitmap(blob, options);
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    if (scale < 1) { // a smooth reduction (drawImage alone would alias fine detail)
      const full = bitmap;
      bitmap = await createImageBitmap(full, { ...options, resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
      full.close();
    }
    const canvas = this.inCanvas;
    canvas.width = width;
    canvas.height = height;
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.fillStyle = "#fff"; // transparent parts are shown on white
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0, width, height);
    bitmap.close();
    const rgba = context.getImageData(0, 0, width, height).data;
    const n = width * height;
    let grey = true;
    for (let i = 0; i < n && grey; i++) grey = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
    const channels = grey ? 1 : 3;
    const planes = new Float32Array(n * channels);
    for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) planes[c * n + i] = rgba[4 * i + c] / 255;
    this.image = { name, label, width, height, channels, planes, scaled: scale < 1 };
    const kind = grey ? "grey" : "colour";
    const resized = scale < 1 ? `, scaled down to ${width} × ${height}` : "";
    canvas.setAttribute("aria-label", `Input: ${label}, ${width} × ${height} pixels, ${kind}${resized}`);
    document.getElementById(this.id("in-caption")).textContent = `Input: ${width} × ${height}, ${kind}${resized}`;
    if (this.error.textContent.includes("could not be read") || this.error.textContent.includes("Could not load")) {
      this.clearError();
      if (this.cellErrors.size) this.checkGrid();
    }
    this.update();
  }

  /** Recompute the output from the last valid kernel and the current options. */
  update() {
    if (!this.image) return;
    const { weights, size } = this.valid;
    const { kernel, note } = effectiveKernel(weights, size, { flip: this.flip.checked, normalise: this.normalise.checked });
    const { width, height, channels, planes } = this.image;
    const start = performance.now();
    const { output, passes } = filterImage(planes, width, height, channels, kernel, size, this.padding.value);
    this.filterMs = performance.now() - start;
    this.output = output;
    this.applied = { kernel, size, flip: this.flip.checked, normalise: this.normalise.checked, padding: this.padding.value };
    this.draw();
    this.updateMs = performance.now() - start;
    this.version++;
    this.passes = passes;
    const total = kernel.reduce((a, b) => a + b, 0);
    this.sum.textContent = `Sum of the weights applied: ${formatNumber(total, 4)}`;
    this.note.textContent = note;
    this.status.textContent = `Output computed in ${this.updateMs.toFixed(1)} ms (${passes}).`;
    this.drawFrequency();
  }

  draw() {
    const { width, height, channels } = this.image;
    const { rgba, lo, hi } = toDisplay(this.output, width, height, channels, { range: this.range.value, absolute: this.absolute.checked });
    const canvas = this.outCanvas;
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
    const a = this.applied;
    const op = a.flip ? "convolution" : "cross-correlation";
    const shown = `${this.absolute.checked ? "absolute value, " : ""}${formatNumber(lo)} shown black, ${formatNumber(hi)} white`;
    const text = `Output: ${op} with the ${a.size} × ${a.size} ${this.preset === "custom" ? "custom" : PRESETS[this.preset].label.toLowerCase()} kernel, ${a.padding} padding; ${shown}`;
    canvas.setAttribute("aria-label", text);
    document.getElementById(this.id("out-caption")).textContent = `Output: ${op}, ${a.padding} padding; ${shown}`;
  }

  redisplay() {
    if (!this.output) return;
    this.draw();
    this.version++;
  }

  drawFrequency() {
    this.freqFigure.hidden = !this.showFreq.checked;
    if (!this.showFreq.checked || !this.applied) return;
    const { kernel, size } = this.applied;
    const mag = frequencyResponse(kernel, size);
    let peak = 0;
    let at = 0;
    mag.forEach((v, i) => {
      if (v > peak) [peak, at] = [v, i];
    });
    const rgba = new Uint8ClampedArray(FREQ_N * FREQ_N * 4);
    for (let i = 0; i < mag.length; i++) {
      const v = peak > 0 ? (255 * mag[i]) / peak : 0;
      rgba.set([v, v, v, 255], 4 * i);
    }
    this.freqCanvas.getContext("2d").putImageData(new ImageData(rgba, FREQ_N, FREQ_N), 0, 0);
    const dc = mag[(FREQ_N / 2) * FREQ_N + FREQ_N / 2];
    const fy = (Math.floor(at / FREQ_N) - FREQ_N / 2) / FREQ_N;
    const fx = ((at % FREQ_N) - FREQ_N / 2) / FREQ_N;
    const kind = dc >= 0.7 * peak ? "passes low frequencies (smooths)" : dc <= 0.05 * peak ? "blocks zero frequency (responds to changes only)" : "mixes both";
    const text = `Gain at zero frequency ${formatNumber(dc)}, largest gain ${formatNumber(peak)} at fx ${formatNumber(fx)}, fy ${formatNumber(fy)} cycles/px: the kernel ${kind}.`;
    this.freqNote.textContent = text;
    this.freqCanvas.setAttribute("aria-label", `Frequency response. ${text}`);
  }
}

function start() {
  const root = document.getElementById(ROOT_ID);
  if (!root || root.dataset.ready) return;
  root.dataset.ready = "true";
  const playground = new Playground(root);
  // A read-only view for the tests and for curious readers (try it in the browser console).
  window.playground = Object.freeze({
    get lastOutput() { return playground.output; },
    get input() { return playground.image && playground.image.planes; },
    get image() { return playground.image && { ...playground.image, planes: undefined }; },
    get applied() { return playground.applied; },
    get lastUpdateMs() { return playground.updateMs; },
    get lastFilterMs() { return playground.filterMs; },
    get passes() { return playground.passes; },
    get version() { return playground.version; },
    get error() { return playground.error.hidden ? "" : playground.error.textContent; },
  });
  if (playground.images.length) playground.loadUrl(playground.images[0]);
}

if (typeof document !== "undefined") {
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
}
