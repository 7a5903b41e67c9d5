// Kernel playground: filter an image with a small kernel, live, in the browser.
//
// Plain ES module; it imports the site's shared modules beside it (dom.js, numbers.js,
// kernels.js, images.js). The page holds a placeholder <div id="kernel-playground"> whose links
// name the images on offer; this module replaces it with the widget. Everything is computed here,
// in the reader's browser: an image loaded from disk never leaves it.
//
// What is computed (the same as PyTorch's F.conv2d after F.pad, one colour channel at a time):
//   out[y, x] = sum over i, j of  padded[y + i, x + j] * w[i, j]      (cross-correlation)
// with w the kernel flipped in both directions when "convolution" is chosen.
//
// Besides the kernels designed by hand (kernels.js), the page offers kernels a network learned:
// the placeholder's link marked data-kernels names a JSON file, written when the site is built
// from the network's weights (snippets/real/playground_presets.py), that this module loads and
// adds to the presets (see addLearned). No number of those kernels is written in this file.
//
// A read-only view of the state is exposed as window.playground (raw output values, the pixel
// under the inspector, timings) so that the site's tests can compare the output with PyTorch;
// window.playground.benchmark() times updates of the bundled photos (see Playground.benchmark).

import { claim, el, field, inTasks, whenReady } from "./dom.js";
import { acceptDrops, fetchOk, readImage } from "./images.js";
import { designedKernel, resizeKernel } from "./kernels.js";
import { compactNumber, formatNumber, minus, readNumber } from "./numbers.js";

const MAX_SIDE = 512; // larger images are scaled down to this many pixels on their longer side
const LIMIT = 1e6; // largest accepted magnitude of one kernel weight
const FREQ_N = 64; // frequency response sampled on a FREQ_N × FREQ_N grid
const SIZES = [3, 5, 7];
const FLAT = 1e-9; // a gain whose largest and smallest values differ by less (relatively) is flat

// ---------------------------------------------------------------------------------------------
// Kernels

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

// Kernels learned by a network, added when their file has loaded: name -> 9 weights, row by row.
const LEARNED = {};

/**
 * Add learned 3 × 3 kernels to the presets, from the file the page links to:
 * {kernels_in_layer, scale, kernels: [{id, unit, label, weights: 3 rows of 3}]}. Returns the names
 * added.
 */
export function addLearned(file) {
  const names = [];
  for (const { id, unit, label, weights } of file.kernels) {
    const values = weights.flat().map(Number);
    if (values.length !== 9 || !values.every(Number.isFinite)) throw new Error(`kernel ${id} is not 3 × 3 numbers`);
    LEARNED[id] = values;
    // Signed outputs of any size: shown rescaled, negative dark and positive bright.
    PRESETS[id] = { label, size: 3, display: ["rescale", false], learned: { unit, scale: file.scale, of: file.kernels_in_layer } };
    names.push(id);
  }
  return names;
}

/** The weights (row by row) of a preset kernel of size × size. Angles in degrees. */
export function presetKernel(name, size, params) {
  return name in LEARNED ? resizeKernel(LEARNED[name], 3, size) : designedKernel(name, size, params);
}

const CELL_EXAMPLES = "e.g. 0.25, -2, 1e-3 or 1/16";
const CELL_ERRORS = {
  space: (t) => `“${t}” has a space inside: type one number per cell (${CELL_EXAMPLES})`,
  syntax: (t) => `“${t}” is not a number (write ${CELL_EXAMPLES})`,
  infinite: (t) => `“${t}” is not a finite number`,
};

/** Parse one grid cell (see readNumber): {value} or {error}, with `empty` set for an empty cell. */
export function parseCell(text) {
  const { value, error } = readNumber(text);
  if (error === "empty") return { empty: true, error: "is empty" };
  if (error) return { error: CELL_ERRORS[error](text.trim()) };
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
  const out = new Float64Array(pw * ph); // zeros
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

// The padded planes depend only on the image and the padding mode, not on the kernel: they are
// kept until either changes (most updates change only the kernel).
let paddedCache = { planes: null, mode: "", list: [] };
function paddedPlane(planes, c, plane, width, height, mode) {
  if (paddedCache.planes !== planes || paddedCache.mode !== mode) paddedCache = { planes, mode, list: [] };
  paddedCache.list[c] ??= padPlane(plane, width, height, RADIUS, mode);
  return paddedCache.list[c];
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

/** 1 if the rows i and 6 − i of a 7 × 7 kernel are equal, −1 if they are opposite, else 0. */
function rowSymmetry(w7) {
  for (const sign of [1, -1]) {
    let ok = true;
    for (let i = 0; i <= RADIUS && ok; i++) {
      for (let j = 0; j < TAPS && ok; j++) ok = w7[i * TAPS + j] === sign * w7[(TAPS - 1 - i) * TAPS + j];
    }
    if (ok) return sign;
  }
  return 0;
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
  // A kernel whose rows i and 6 − i are equal (fold 1: Gaussian, Laplacian, ...) or opposite
  // (fold −1: Sobel y) needs one row pass per pair, over the sum or difference of the two image
  // rows, in the direct pass.
  const fold = rowSymmetry(w7);
  const direct = fold ? rows.filter((i) => i <= RADIUS) : rows; // the rows passed over
  // Measured in Chromium: a pair of 1-D passes costs about as much as 2.5 kernel rows of the
  // direct pass (which skips rows that are all zero). Use pairs of passes when that is cheaper.
  const terms = separate(w7, TAPS, Math.floor((direct.length - 0.5) / 2.5));
  const output = new Float32Array(width * height * channels);
  const acc = scratch("acc", width * height);
  const tmp = terms ? scratch("tmp", ph * width) : null;
  const line = scratch("line", pw);
  for (let c = 0; c < channels; c++) {
    const plane = planes.subarray(c * width * height, (c + 1) * width * height);
    const padded = paddedPlane(planes, c, plane, width, height, mode);
    acc.fill(0);
    if (terms) {
      for (const [u, v] of terms) {
        tmp.fill(0);
        for (let y = 0; y < ph; y++) addRowFilter(padded, y * pw, tmp, y * width, width, v, 0);
        addColumnFilter(tmp, acc, width, height, u);
      }
    } else {
      for (let y = 0; y < height; y++) {
        for (const i of direct) {
          if (!fold || i === RADIUS) {
            addRowFilter(padded, (y + i) * pw, acc, y * width, width, w7, i * TAPS);
            continue;
          }
          const a = (y + i) * pw;
          const b = (y + TAPS - 1 - i) * pw;
          for (let x = 0; x < pw; x++) line[x] = padded[a + x] + fold * padded[b + x];
          addRowFilter(line, 0, acc, y * width, width, w7, i * TAPS);
        }
      }
    }
    output.set(acc, c * width * height);
  }
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const passes = terms
    ? `separable: ${plural(terms.length, "pair")} of 1-D passes`
    : `direct 2-D pass over ${plural(rows.length, "kernel row")}${fold && direct.length < rows.length ? `, folded to ${direct.length} by symmetry` : ""}`;
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

// Cosines and sines of the phases −2π f d for the N frequencies f and the k tap offsets d of a
// kernel, kept per (N, k): cos[b * k + j] for frequency index b and tap j.
const trigTables = new Map();
function trigTable(N, k) {
  const key = `${N}:${k}`;
  if (!trigTables.has(key)) {
    const r = (k - 1) / 2;
    const cos = new Float64Array(N * k);
    const sin = new Float64Array(N * k);
    for (let b = 0; b < N; b++) {
      for (let j = 0; j < k; j++) {
        const phase = (-2 * Math.PI * (b - N / 2) * (j - r)) / N;
        cos[b * k + j] = Math.cos(phase);
        sin[b * k + j] = Math.sin(phase);
      }
    }
    trigTables.set(key, { cos, sin });
  }
  return trigTables.get(key);
}

/**
 * |H(fx, fy)| on an N × N grid of frequencies, zero frequency in the middle, where
 * H(fx, fy) = Σ_i Σ_j w[i, j] · exp(−2πi (fx (j − r) + fy (i − r))). The sum over j is done first,
 * once per kernel row and fx, then the sum over i: k·N·(k + N) products instead of k²·N².
 */
export function frequencyResponse(w, k, N = FREQ_N) {
  const { cos, sin } = trigTable(N, k);
  const rowRe = new Float64Array(k * N);
  const rowIm = new Float64Array(k * N);
  for (let i = 0; i < k; i++) {
    for (let b = 0; b < N; b++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < k; j++) {
        re += w[i * k + j] * cos[b * k + j];
        im += w[i * k + j] * sin[b * k + j];
      }
      rowRe[i * N + b] = re;
      rowIm[i * N + b] = im;
    }
  }
  const mag = new Float64Array(N * N);
  for (let a = 0; a < N; a++) {
    for (let b = 0; b < N; b++) {
      let re = 0;
      let im = 0;
      for (let i = 0; i < k; i++) {
        const c = cos[a * k + i];
        const s = sin[a * k + i];
        const xr = rowRe[i * N + b];
        const xi = rowIm[i * N + b];
        re += xr * c - xi * s;
        im += xr * s + xi * c;
      }
      mag[a * N + b] = Math.sqrt(re * re + im * im);
    }
  }
  return mag;
}

/**
 * What a kernel does, from its weights and |H| on the grid. dc = H(0, 0) is the sum of the
 * weights, with its sign. kind is one of
 *   "zero"        every weight is 0
 *   "identity"    one non-zero weight, in the centre (scale: its value)
 *   "shift"       one non-zero weight elsewhere: output[y, x] = scale · input[y + dy, x + dx]
 *   "edge"        dc ≈ 0 (below 1/100 of the largest gain): flat regions give 0 (high-pass); a
 *                 learned kernel sums to nearly, not exactly, 0
 *   "smoothing"   dc > 0 and no frequency gets more gain than zero frequency (low-pass)
 *   "sharpening"  dc > 0 and no frequency gets less gain than zero frequency, some get more
 *   "other"       anything else (a band-pass such as the Gabor, or dc < 0)
 */
export function classifyKernel(w, k, mag) {
  const dc = w.reduce((a, b) => a + b, 0);
  let peak = 0;
  let low = Infinity;
  for (const v of mag) {
    if (v > peak) peak = v;
    if (v < low) low = v;
  }
  const nonzero = [];
  w.forEach((v, i) => v !== 0 && nonzero.push(i));
  if (nonzero.length === 0) return { kind: "zero", dc, peak };
  if (nonzero.length === 1) {
    const r = (k - 1) / 2;
    const dx = (nonzero[0] % k) - r;
    const dy = Math.floor(nonzero[0] / k) - r;
    return { kind: dx === 0 && dy === 0 ? "identity" : "shift", dc, peak, dx, dy, scale: w[nonzero[0]] };
  }
  const tolerance = 1e-9 * peak;
  let kind = "other";
  if (Math.abs(dc) <= 1e-2 * peak) kind = "edge";
  else if (dc > 0 && peak <= dc + tolerance) kind = "smoothing";
  else if (dc > 0 && low >= dc - tolerance) kind = "sharpening";
  return { kind, dc, peak };
}

/** The sentence under the frequency response that says what a classified kernel does. */
export function describeKernel(c) {
  const times = (v) => (v === 1 ? "" : ` times ${formatNumber(v, 4)}`);
  const px = (n, plus, minus) => `${Math.abs(n)} px ${n > 0 ? plus : minus}`;
  switch (c.kind) {
    case "zero":
      return "All weights are 0: the output is 0 everywhere, whatever the image.";
    case "identity":
      return c.scale === 1
        ? "The identity: a single weight of 1, in the centre, so the output equals the input."
        : `The identity scaled by ${formatNumber(c.scale, 4)}: a single weight, in the centre, so each pixel is multiplied by it.`;
    case "shift": {
      const where = [c.dx && px(c.dx, "to the right", "to the left"), c.dy && px(c.dy, "below", "above")].filter(Boolean).join(" and ");
      const moves = [c.dx && px(c.dx, "left", "right"), c.dy && px(c.dy, "up", "down")].filter(Boolean).join(" and ");
      return `A pure shift: a single weight, so each output pixel is the input pixel ${where}${times(c.scale)}; the picture moves ${moves}.`;
    }
    case "edge":
      return "An edge detector (high-pass): the gain at zero frequency is 0 (or nearly), so flat regions give 0 and only changes pass.";
    case "smoothing":
      return "Smoothing (low-pass): no frequency gets more gain than zero frequency, so fine detail is damped.";
    case "sharpening":
      return "Sharpening: flat regions keep their gain and every other frequency gets at least as much, so fine detail is boosted.";
    default:
      return c.dc < 0
        ? "Another kind: the gain at zero frequency is negative, so the kernel inverts brightness and flat regions come out negative (black when clipped)."
        : "Another kind: some frequencies get more gain than zero frequency and some less (a band-pass, like the Gabor).";
  }
}

// ---------------------------------------------------------------------------------------------
// The pixel inspector

/**
 * How one output value is made: the k × k input values under the kernel when it sits on output
 * pixel (x, y) of channel c, padding included, the weights, their products and the sum, which is
 * the output value. padded[n] is 1 where the cell lies outside the image; source[n] is the index
 * (y · width + x) of the pixel whose value the cell holds, or −1 for a zero of zero padding.
 */
export function inspectPixel(planes, width, height, c, kernel, k, mode, x, y) {
  const r = (k - 1) / 2;
  const base = c * width * height;
  const inputs = new Float64Array(k * k);
  const products = new Float64Array(k * k);
  const padded = new Uint8Array(k * k);
  const source = new Int32Array(k * k);
  let sum = 0;
  for (let i = 0; i < k; i++) {
    const yy = y + i - r;
    const sy = padIndex(yy, height, mode);
    for (let j = 0; j < k; j++) {
      const xx = x + j - r;
      const sx = padIndex(xx, width, mode);
      const n = i * k + j;
      padded[n] = yy < 0 || yy >= height || xx < 0 || xx >= width ? 1 : 0;
      source[n] = sy < 0 || sx < 0 ? -1 : sy * width + sx;
      inputs[n] = source[n] < 0 ? 0 : planes[base + source[n]];
      products[n] = inputs[n] * kernel[n];
      sum += products[n];
    }
  }
  return { x, y, channel: c, size: k, mode, inputs, weights: Float64Array.from(kernel), products, padded, source, sum };
}

// ---------------------------------------------------------------------------------------------
// The widget

function formatWeight(v) {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(3)));
}

const ROOT_ID = "kernel-playground";
let uid = 0;
const label = (control, text) => field(control, text, "kp");

class Playground {
  constructor(root) {
    this.root = root;
    this.images = [...root.querySelectorAll("a[href]:not([data-kernels])")].map((a) => ({ label: a.textContent.trim(), url: a.href }));
    this.kernelsUrl = root.querySelector("a[href][data-kernels]")?.href;
    this.learned = null; // the names of the learned presets, once their file is loaded
    this.size = 5;
    this.preset = "gaussian";
    this.params = { sigma: 1, theta: 0, frequency: 0.15 };
    this.values = presetKernel(this.preset, this.size, this.params); // what the grid holds
    this.cellErrors = new Map(); // cell index -> message
    this.valid = { weights: Float64Array.from(this.values), size: this.size }; // last valid kernel
    this.image = null; // {name, label, width, height, channels, planes, originalWidth, originalHeight}
    this.source = null; // {blob, name, label} of the image shown
    this.output = null;
    this.applied = null; // the effective kernel of the last output
    this.updateMs = NaN;
    this.timings = null; // the parts of the last update, in ms
    this.staged = null; // the parts of a new image's first update still to run (inTasks)
    this.frequency = null; // what the frequency response says about the applied kernel
    this.pixel = null; // {x, y}: the output pixel under the inspector
    this.inspected = null; // how that pixel's value is made (see inspectPixel)
    this.version = 0;
    this.build();
  }

  id(name) {
    return `kp${this.uid}-${name}`;
  }

  /** Replace the placeholder with the widget: its parts top to bottom, then the kernel's grid. */
  build() {
    this.uid = ++uid;
    this.error = el("div", { id: this.id("error"), class: "kp-error", role: "alert", hidden: true });
    this.status = el("p", { id: this.id("status"), class: "kp-status" });
    this.root.replaceChildren(el("div", { class: "kp" }, this.buildImageChoice(), this.buildCanvases(), this.error,
      this.status, this.buildInspectorControls(), this.buildKernelControls(), this.buildOptions()));
    this.observeScrolling();
    acceptDrops(this.root, (file) => this.loadFile(file)); // an image dropped anywhere on the widget
    this.buildGrid();
    this.showPresetControls();
  }

  /** The photos on offer, and a file of the reader's own. */
  buildImageChoice() {
    const imageSelect = el("select", { id: this.id("image") });
    this.images.forEach((image, i) => imageSelect.append(el("option", { value: String(i), text: image.label })));
    const file = el("input", { id: this.id("file"), type: "file", accept: "image/*" });
    imageSelect.addEventListener("change", () => {
      if (imageSelect.value === "file") this.loadFile(this.userFile);
      else this.loadUrl(this.images[Number(imageSelect.value)]);
    });
    file.addEventListener("change", () => file.files.length && this.loadFile(file.files[0]));
    this.imageSelect = imageSelect;
    return el("fieldset", {}, el("legend", { text: "Image" }),
      el("div", { class: "kp-row" }, label(imageSelect, "Photo"), label(file, "or your own image (it stays in your browser)")));
  }

  /** Input and output side by side; pointing at either (or the arrow keys) moves the inspector. */
  buildCanvases() {
    const id = (n) => this.id(n);
    // Square until the first photo is drawn (the first on offer is): the captions below do not jump.
    const inCanvas = el("canvas", { id: id("in"), width: 256, height: 256, role: "img", "aria-label": "Input image" });
    // The output is also the inspector's control: point at it, tap it, or focus it and use the
    // arrow keys ("application": a screen reader passes the keys on to the page).
    const outCanvas = el("canvas", { id: id("out"), width: 256, height: 256, role: "application", tabindex: "0", "aria-label": "Output image",
      "aria-describedby": id("inspect-help") });
    const windowBox = el("div", { id: id("window"), class: "kp-window", "aria-hidden": "true", hidden: true });
    const cursor = el("div", { id: id("cursor"), class: "kp-cursor", "aria-hidden": "true", hidden: true });
    const pick = (event, announce) => {
      if (!this.image) return;
      const box = event.currentTarget.getBoundingClientRect();
      const { width, height } = this.image;
      const x = Math.floor(((event.clientX - box.left) / box.width) * width);
      const y = Math.floor(((event.clientY - box.top) / box.height) * height);
      this.pointAt(x, y, announce);
    };
    for (const canvas of [inCanvas, outCanvas]) {
      canvas.addEventListener("pointermove", (event) => event.pointerType === "mouse" && pick(event, false));
      canvas.addEventListener("pointerdown", (event) => pick(event, true));
    }
    outCanvas.addEventListener("keydown", (event) => this.moveCursor(event));
    Object.assign(this, { inCanvas, outCanvas, windowBox, cursor });
    return el("div", { class: "kp-images" },
      el("figure", {}, el("div", { class: "kp-canvas" }, inCanvas, windowBox), el("figcaption", { id: id("in-caption"), text: "Input" })),
      el("figure", {}, el("div", { class: "kp-canvas" }, outCanvas, cursor), el("figcaption", { id: id("out-caption"), text: "Output" })));
  }

  /** The pixel inspector: its help, the channel, the three tables (see buildInspector) and sums. */
  buildInspectorControls() {
    const id = (n) => this.id(n);
    const inspectHelp = el("p", { id: id("inspect-help"), class: "kp-note",
      text: "Point at a pixel of the output or tap it, or press Tab to reach the output and move with the arrow keys (Shift: 10 pixels at a time), to see how its value is computed. The outlined cell is the pixel itself." });
    const channel = el("select", { id: id("channel") });
    ["red", "green", "blue"].forEach((name, c) => channel.append(el("option", { value: String(c), text: name })));
    channel.addEventListener("change", () => this.inspect());
    const channelField = label(channel, "Channel");
    const inspectTables = el("div", { id: id("inspect-tables"), class: "kp-inspect-tables kp-scroll", role: "region",
      "aria-label": "Input values under the kernel, weights and products" });
    const inspectSum = el("p", { id: id("inspect-sum"), class: "kp-inspect-sum" });
    const padNote = el("p", { id: id("pad-note"), class: "kp-note" });
    const live = el("p", { id: id("inspect-live"), class: "kp-sr", "aria-live": "polite" });
    Object.assign(this, { channel, channelField, inspectTables, inspectSum, padNote, live });
    return el("fieldset", { id: id("inspector") }, el("legend", { text: "Pixel inspector" }),
      inspectHelp, el("div", { class: "kp-row" }, channelField), inspectTables, inspectSum, padNote, live);
  }

  /** Preset, size, the preset's sliders, the grid of weights and the frequency response. */
  buildKernelControls() {
    const id = (n) => this.id(n);
    const presetSelect = el("select", { id: id("preset") });
    const designed = el("optgroup", { label: "Designed by hand" });
    for (const [name, { label: text }] of Object.entries(PRESETS)) {
      if (name !== "custom") designed.append(el("option", { value: name, text }));
    }
    presetSelect.append(designed, el("option", { value: "custom", text: PRESETS.custom.label }));
    presetSelect.value = this.preset;
    presetSelect.addEventListener("change", () => this.loadPreset(presetSelect.value, true));
    const presetNote = el("p", { id: id("preset-note"), class: "kp-note", hidden: true });
    const sizeSelect = el("select", { id: id("size") });
    for (const s of SIZES) sizeSelect.append(el("option", { value: String(s), text: `${s} × ${s}` }));
    sizeSelect.value = String(this.size);
    sizeSelect.addEventListener("change", () => this.setSize(Number(sizeSelect.value)));
    const sliders = {
      sigma: this.slider("sigma", "σ (spread)", 0.3, 3, 0.1, " px"),
      theta: this.slider("theta", "θ (wave direction)", 0, 180, 15, "°"),
      frequency: this.slider("frequency", "Frequency", 0.05, 0.5, 0.01, " cycles/px"),
    };
    const gridBox = el("div", { id: id("grid"), class: "kp-grid", role: "group", "aria-labelledby": id("grid-label") });
    const gridLabel = el("p", { id: id("grid-label"), class: "kp-note" });
    const sum = el("p", { id: id("sum"), class: "kp-note" });
    const gridScroll = el("div", { id: id("grid-scroll"), class: "kp-scroll" }, gridBox);
    const gridHint = el("p", { id: id("grid-hint"), class: "kp-note", hidden: true, text: "Scroll the weights sideways to reach every column." });
    const freqCanvas = el("canvas", { id: id("freq"), class: "kp-freq", width: FREQ_N, height: FREQ_N, role: "img", "aria-label": "Frequency response" });
    const freqNote = el("span", { id: id("freq-note"), class: "kp-note" });
    const freqFigure = el("figure", { id: id("freq-figure"), class: "kp-freq-figure" }, freqCanvas,
      el("figcaption", {}, "|H|, the gain per frequency: zero in the middle, ±0.5 cycles/px at the edges; white is the largest gain.", freqNote));
    Object.assign(this, { presetSelect, presetNote, sizeSelect, sliders, gridBox, gridLabel, sum, gridScroll, gridHint,
      freqCanvas, freqNote, freqFigure });
    return el("fieldset", {}, el("legend", { text: "Kernel" }),
      el("div", { class: "kp-row" }, label(presetSelect, "Preset"), label(sizeSelect, "Size")),
      presetNote,
      el("div", { class: "kp-row" }, sliders.sigma.wrap, sliders.theta.wrap, sliders.frequency.wrap),
      el("div", { class: "kp-kernel" }, el("div", {}, gridLabel, gridScroll, gridHint, sum), freqFigure));
  }

  /** A slider for one parameter of the preset; moving it refills the grid. Returns {wrap, set}. */
  slider(name, text, min, max, step, unit) {
    const input = el("input", { id: this.id(name), type: "range", min, max, step, value: this.params[name] });
    const output = el("output", { id: this.id(`${name}-value`), for: this.id(name), "aria-live": "polite" });
    const wrap = el("div", { class: "kp-slider" }, el("label", { for: this.id(name), text }), input, output);
    const show = () => {
      const shown = `${input.value}${unit}`;
      output.textContent = shown;
      input.setAttribute("aria-valuetext", shown);
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
  }

  /** Flip, normalise, padding, display and the frequency response's switch. */
  buildOptions() {
    const id = (n) => this.id(n);
    const flip = el("input", { id: id("flip"), type: "checkbox" });
    const normalise = el("input", { id: id("normalise"), type: "checkbox" });
    const padding = el("select", { id: id("padding") });
    for (const [value, text] of [["zeros", "zeros"], ["reflect", "reflect"], ["replicate", "replicate (edge)"], ["circular", "circular (wrap)"]]) {
      padding.append(el("option", { value, text }));
    }
    padding.value = "reflect";
    const range = el("select", { id: id("range") });
    range.append(el("option", { value: "clip", text: "clip to 0…1" }), el("option", { value: "rescale", text: "rescale min…max" }));
    const absolute = el("input", { id: id("abs"), type: "checkbox" });
    const showFreq = el("input", { id: id("show-freq"), type: "checkbox", checked: true });
    const note = el("p", { id: id("note"), class: "kp-note", "aria-live": "polite" });
    for (const control of [flip, normalise, padding]) control.addEventListener("change", () => this.update());
    for (const control of [range, absolute]) control.addEventListener("change", () => this.redisplay());
    showFreq.addEventListener("change", () => this.drawFrequency());
    Object.assign(this, { flip, normalise, padding, range, absolute, showFreq, note });
    return el("fieldset", {}, el("legend", { text: "Options" }),
      el("div", { class: "kp-row" }, label(flip, "Flip the kernel: true convolution (unticked: cross-correlation, what PyTorch computes)")),
      el("div", { class: "kp-row" }, label(normalise, "Normalise the kernel to sum 1"), label(padding, "Padding")),
      el("div", { class: "kp-row" }, label(range, "Display"), label(absolute, "Absolute value"), label(showFreq, "Show the frequency response")),
      note);
  }

  /** Cues for boxes that scroll sideways: the grid's hint, and a tab stop for the tables. */
  observeScrolling() {
    this.cue = () => {
      this.gridHint.hidden = this.gridScroll.scrollWidth <= this.gridScroll.clientWidth + 1;
      const tables = this.inspectTables;
      if (tables.scrollWidth > tables.clientWidth + 1) tables.setAttribute("tabindex", "0");
      else tables.removeAttribute("tabindex");
    };
    this.observer = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(this.cue);
    for (const box of [this.gridScroll, this.inspectTables]) this.observer?.observe(box);
  }

  showPresetControls() {
    const { params = {}, learned } = PRESETS[this.preset];
    for (const [name, { wrap }] of Object.entries(this.sliders)) wrap.hidden = !(name in params);
    this.presetNote.hidden = !learned;
    this.presetNote.textContent = learned
      ? `Learned by VGG16: kernel ${learned.unit} of the ${learned.of} in its first layer, its three colour slices added up (its response to a grey image) and multiplied by ${learned.scale}, as the network reads pixels from 0 to ${learned.scale} and this page from 0 to 1. Unflipped and away from the border, the output is the network's own value for a grey photo, up to a constant.`
      : "";
  }

  /** Load the learned kernels the page links to and offer them as presets, in their own group. */
  async loadLearned(url) {
    const group = el("optgroup", { label: "Learned by VGG16 (first layer)" });
    this.presetSelect.insertBefore(group, this.presetSelect.querySelector("option[value=custom]"));
    try {
      const response = await fetchOk(url);
      for (const name of addLearned(await response.json())) group.append(el("option", { value: name, text: PRESETS[name].label }));
    } catch (problem) {
      group.append(el("option", { disabled: true, text: `Could not load VGG16's kernels (${problem.message})` }));
    }
    this.learned = [...group.querySelectorAll("option:not([disabled])")].map((option) => option.value);
  }

  buildGrid() {
    const k = this.size;
    // Columns no narrower than the longest weight: on a narrow screen the grid scrolls sideways
    // (with a hint) rather than cut numbers off.
    const longest = Math.max(4, ...Array.from(this.values, (v) => formatWeight(v).length));
    this.gridBox.style.gridTemplateColumns = `repeat(${k}, minmax(calc(${longest}ch + 0.8em), 5em))`;
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
    this.cue?.();
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
    this.markCell(index, parsed);
    if (!parsed.error) this.values[index] = parsed.value;
    if (this.preset !== "custom") {
      this.preset = "custom";
      this.presetSelect.value = "custom";
      this.showPresetControls();
    }
    this.checkGrid();
  }

  /** Record whether a cell holds a valid weight, and mark it for assistive technology if not. */
  markCell(index, parsed) {
    const cell = this.cells[index];
    if (parsed.error) {
      this.cellErrors.set(index, parsed);
      cell.setAttribute("aria-invalid", "true");
      cell.setAttribute("aria-describedby", this.error.id);
    } else {
      this.cellErrors.delete(index);
      cell.removeAttribute("aria-invalid");
      cell.removeAttribute("aria-describedby");
    }
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
      this.markCell(index, parseCell(cell.value));
    });
    this.checkGrid();
  }

  async loadUrl(image) {
    try {
      const response = await fetchOk(image.url);
      const name = decodeURIComponent(image.url.split("/").pop());
      await this.setImage(await response.blob(), name, image.label);
    } catch (problem) {
      this.fail(`Could not load the image ${image.label} (${problem.message}).`);
    }
  }

  async loadFile(file) {
    try {
      await this.setImage(file, file.name, file.name);
    } catch (problem) {
      this.fail(`${problem.message}; the previous image is kept.`);
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
    const { rgba, width, height, originalWidth, originalHeight } = await readImage(blob, this.inCanvas, MAX_SIDE);
    const scaled = width !== originalWidth || height !== originalHeight;
    const n = width * height;
    let grey = true;
    for (let i = 0; i < n && grey; i++) grey = rgba[4 * i] === rgba[4 * i + 1] && rgba[4 * i] === rgba[4 * i + 2];
    const channels = grey ? 1 : 3;
    const planes = new Float32Array(n * channels);
    for (let c = 0; c < channels; c++) for (let i = 0; i < n; i++) planes[c * n + i] = rgba[4 * i + c] / 255;
    this.image = { name, label, width, height, channels, planes, scaled, originalWidth, originalHeight };
    this.source = { blob, name, label };
    const kind = grey ? "grey" : "colour";
    // The size of the file as it is, then (if it is too large) the size it was scaled down to.
    const size = `${originalWidth} × ${originalHeight}${scaled ? `, scaled down to ${width} × ${height}` : ""}`;
    this.inCanvas.setAttribute("aria-label", `Input: ${label}, ${size} pixels, ${kind}`);
    document.getElementById(this.id("in-caption")).textContent = `Input: ${size}, ${kind}`;
    this.channelField.hidden = channels === 1;
    this.pixel = { x: Math.floor(width / 2), y: Math.floor(height / 2) }; // a new image: inspect its centre
    if (this.error.textContent.includes("could not be read") || this.error.textContent.includes("Could not load")) {
      this.clearError();
      if (this.cellErrors.size) this.checkGrid();
    }
    await inTasks(this, this.updateParts()); // a new image: its first update one part per task
  }

  /**
   * Recompute the output from the last valid kernel and the current options, then draw it, its
   * frequency response and the inspector. The status line reports the time of all of it.
   */
  update() {
    if (!this.image) return;
    this.staged = null;
    for (const part of this.updateParts()) part();
  }

  /** An update in three parts: the output (filtered and drawn), its frequency response, then the
   * inspector and the status line. Each part times itself. */
  updateParts() {
    const t = {};
    let passes;
    const timed = (name, work) => {
      const start = performance.now();
      work();
      t[name] = performance.now() - start;
    };
    const output = () => {
      timed("filterMs", () => {
        const { weights, size } = this.valid;
        const { kernel, note } = effectiveKernel(weights, size, { flip: this.flip.checked, normalise: this.normalise.checked });
        const { width, height, channels, planes } = this.image;
        const filtered = filterImage(planes, width, height, channels, kernel, size, this.padding.value);
        this.output = filtered.output;
        passes = filtered.passes;
        this.note.textContent = note;
        this.applied = { kernel, size, flip: this.flip.checked, normalise: this.normalise.checked, padding: this.padding.value };
      });
      timed("drawMs", () => {
        this.draw();
        const total = this.applied.kernel.reduce((a, b) => a + b, 0);
        this.sum.textContent = `Sum of the weights applied: ${formatNumber(total, 4)}`;
      });
    };
    const frequency = () => timed("frequencyMs", () => this.drawFrequency());
    const inspector = () => {
      timed("inspectMs", () => this.inspect());
      this.report({ ...t, totalMs: t.filterMs + t.drawMs + t.frequencyMs + t.inspectMs }, passes);
    };
    return [output, frequency, inspector];
  }

  /** Record an update's timings and say them in the status line; tell slide.js. */
  report(timings, passes) {
    this.timings = timings;
    this.filterMs = timings.filterMs;
    this.updateMs = timings.totalMs;
    this.passes = passes;
    this.version++;
    const ms = (v) => `${v.toFixed(1)} ms`;
    const frequency = this.showFreq.checked ? `frequency response ${ms(timings.frequencyMs)}` : "frequency response off";
    this.root.dispatchEvent(new CustomEvent("playground-update", { bubbles: true })); // for slide.js
    this.status.textContent = `Updated in ${ms(timings.totalMs)}: filtering ${ms(timings.filterMs)} (${passes}), drawing ${ms(timings.drawMs)}, ${frequency}, inspector ${ms(timings.inspectMs)}.`;
  }

  draw() {
    const { width, height, channels } = this.image;
    const { rgba, lo, hi } = toDisplay(this.output, width, height, channels, { range: this.range.value, absolute: this.absolute.checked });
    const canvas = this.outCanvas;
    if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
    canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
    const a = this.applied;
    const op = a.flip ? "convolution" : "cross-correlation";
    const shown = `${this.absolute.checked ? "absolute value, " : ""}${formatNumber(lo)} shown black, ${formatNumber(hi)} white`;
    const preset = PRESETS[this.preset];
    const which = preset.learned
      ? `VGG16's learned kernel ${preset.learned.unit}, ${a.size} × ${a.size}`
      : `the ${a.size} × ${a.size} ${this.preset === "custom" ? "custom" : preset.label.toLowerCase()} kernel`;
    const text = `Output: ${op} with ${which}, ${a.padding} padding; ${shown}. Arrow keys choose the pixel shown in the pixel inspector.`;
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
    let least = Infinity;
    mag.forEach((v, i) => {
      if (v > peak) [peak, at] = [v, i];
      if (v < least) least = v;
    });
    const flat = peak - least <= FLAT * peak; // one gain everywhere: no frequency is the largest
    const rgba = new Uint8ClampedArray(FREQ_N * FREQ_N * 4);
    for (let i = 0; i < mag.length; i++) {
      const v = peak > 0 ? (255 * mag[i]) / peak : 0;
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    }
    this.freqCanvas.getContext("2d").putImageData(new ImageData(rgba, FREQ_N, FREQ_N), 0, 0);
    const fy = (Math.floor(at / FREQ_N) - FREQ_N / 2) / FREQ_N;
    const fx = ((at % FREQ_N) - FREQ_N / 2) / FREQ_N;
    const kind = classifyKernel(kernel, size, mag);
    this.frequency = { ...kind, fx, fy, flat };
    // H(0, 0) is the sum of the weights, a real number: its sign is kept (a negative gain
    // inverts flat regions).
    const largest = !(peak > 0) ? "" : flat ? `, gain ${formatNumber(peak)} at every frequency` : `, largest gain ${formatNumber(peak)} at fx ${formatNumber(fx)}, fy ${formatNumber(fy)} cycles/px`;
    const text = `Gain at zero frequency ${formatNumber(kind.dc)} (the sum of the weights)${largest}. ${describeKernel(kind)}`;
    this.freqNote.textContent = text;
    this.freqCanvas.setAttribute("aria-label", `Frequency response. ${text}`);
  }

  // -- the pixel inspector -----------------------------------------------------------------------

  /** Inspect output pixel (x, y) (clamped to the image); `announce`: say it in the live region. */
  pointAt(x, y, announce) {
    const { width, height } = this.image;
    this.pixel = { x: Math.min(width - 1, Math.max(0, x)), y: Math.min(height - 1, Math.max(0, y)) };
    this.inspect(announce);
  }

  moveCursor(event) {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (!step || !this.pixel || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const n = event.shiftKey ? 10 : 1;
    this.pointAt(this.pixel.x + n * step[0], this.pixel.y + n * step[1], true);
  }

  /** Three k × k tables (inputs, weights, products) with the image coordinates as headers. */
  buildInspector(k) {
    const table = (caption) => {
      const head = el("tr", {}, el("th", { scope: "col", text: "y\\x" }));
      const cols = [];
      for (let j = 0; j < k; j++) head.append((cols[j] = el("th", { scope: "col" })));
      const rows = [];
      const cells = [];
      const body = el("tbody");
      for (let i = 0; i < k; i++) {
        const tr = el("tr", {}, (rows[i] = el("th", { scope: "row" })));
        for (let j = 0; j < k; j++) tr.append((cells[i * k + j] = el("td")));
        body.append(tr);
      }
      const node = el("table", { class: "kp-table" }, el("caption", { text: caption }), el("thead", {}, head), body);
      return { node, cols, rows, cells };
    };
    this.tables = {
      inputs: table("Input under the kernel"),
      weights: table("× weights"),
      products: table("= products"),
    };
    this.tables.size = k;
    this.inspectTables.replaceChildren(this.tables.inputs.node, this.tables.weights.node, this.tables.products.node);
    for (const { node } of Object.values(this.tables).filter((t) => t.node)) this.observer?.observe(node);
  }

  /** Show how the value of the inspected output pixel is made (after every update, too). */
  inspect(announce = false) {
    if (!this.output || !this.pixel) return;
    const { width, height, channels, planes } = this.image;
    const { kernel, size: k, padding } = this.applied;
    const { x, y } = this.pixel;
    const c = Math.min(Number(this.channel.value), channels - 1);
    const info = inspectPixel(planes, width, height, c, kernel, k, padding, x, y);
    info.output = this.output[c * width * height + y * width + x];
    this.inspected = info;
    if (this.tables?.size !== k) this.buildInspector(k);
    const r = (k - 1) / 2;
    const centre = r * k + r;
    let outside = 0;
    for (const [name, values] of [["inputs", info.inputs], ["weights", info.weights], ["products", info.products]]) {
      const { cols, rows, cells } = this.tables[name];
      for (let j = 0; j < k; j++) cols[j].textContent = minus(x + j - r);
      for (let i = 0; i < k; i++) rows[i].textContent = minus(y + i - r);
      cells.forEach((cell, n) => {
        cell.textContent = compactNumber(values[n]);
        cell.className = [info.padded[n] ? "kp-pad" : "", n === centre ? "kp-centre" : ""].join(" ").trim();
      });
    }
    for (const n of info.padded) outside += n;
    const where = `x ${x}, y ${y}${channels === 1 ? "" : `, ${this.channel.options[c].text} channel`}`;
    this.inspectSum.textContent = `Sum of the ${k * k} products = ${formatNumber(info.sum, 4)}, the output value at ${where}.`;
    this.padNote.textContent = outside
      ? `${outside} of the ${k * k} cells (dashed, shaded) lie outside the image: ${padding} padding fills them with ${PADDING_FILL[padding]}.`
      : `Every cell lies inside the image: padding only matters within ${r} pixel${r === 1 ? "" : "s"} of the border.`;
    // The cursor on the output, and the window of pixels under the kernel on the input.
    const place = (box, left, top, w, h) => {
      Object.assign(box.style, { left: `${(100 * left) / width}%`, top: `${(100 * top) / height}%`, width: `${(100 * w) / width}%`, height: `${(100 * h) / height}%` });
      box.hidden = false;
    };
    place(this.cursor, x, y, 1, 1);
    place(this.windowBox, x - r, y - r, k, k);
    if (announce) {
      const pad = outside ? `; ${outside} of the cells under the kernel are ${padding} padding` : "";
      this.live.textContent = `Pixel ${where}: output ${formatNumber(info.output, 4)}, the sum of ${k * k} products${pad}.`;
    }
  }

  // -- the benchmark ----------------------------------------------------------------------------

  /**
   * Time whole updates (filter, draw, frequency response, inspector: what the status line
   * reports) of the bundled photos, as a change of kernel or padding triggers them. For each
   * photo (labels starting with `images`), preset, size and padding, `repeats` updates; returns
   * one row each with the median, the smallest and the largest time in ms, and the median of
   * each part. The page is put back as it was.
   */
  async benchmark({ images = [""], presets = Object.keys(PRESETS).filter((p) => p !== "custom"), sizes = SIZES,
    paddings = ["zeros", "reflect", "replicate", "circular"], repeats = 5 } = {}) {
    const saved = { valid: this.valid, padding: this.padding.value, source: this.source, choice: this.imageSelect.value, pixel: this.pixel };
    const rows = [];
    try {
      for (const image of this.images.filter((im) => images.some((start) => im.label.startsWith(start)))) {
        await this.loadUrl(image);
        for (const preset of presets) {
          for (const size of sizes) {
            this.valid = { weights: presetKernel(preset, size, PRESETS[preset].params), size };
            for (const padding of paddings) {
              this.padding.value = padding;
              const runs = [];
              for (let i = 0; i < repeats; i++) {
                this.update();
                runs.push(this.timings);
              }
              const median = (part) => runs.map((t) => t[part]).sort((a, b) => a - b)[Math.floor(repeats / 2)];
              const { width, height, channels } = this.image;
              rows.push({ image: image.label, width, height, channels, preset, size, padding, passes: this.passes,
                medianMs: median("totalMs"), minMs: Math.min(...runs.map((t) => t.totalMs)), maxMs: Math.max(...runs.map((t) => t.totalMs)),
                parts: Object.fromEntries(["filterMs", "drawMs", "frequencyMs", "inspectMs"].map((p) => [p, median(p)])) });
            }
          }
        }
      }
    } finally {
      this.valid = saved.valid;
      this.padding.value = saved.padding;
      if (saved.source) await this.setImage(saved.source.blob, saved.source.name, saved.source.label);
      this.imageSelect.value = saved.choice;
      if (saved.pixel) this.pointAt(saved.pixel.x, saved.pixel.y, false);
      this.update();
    }
    return rows;
  }
}

const PADDING_FILL = {
  zeros: "zeros",
  reflect: "the mirror image of the pixels inside (the edge pixel itself is not repeated)",
  replicate: "copies of the nearest edge pixel",
  circular: "the pixels of the opposite edge (the image wraps around)",
};

function start() {
  const root = claim(ROOT_ID);
  if (!root) return;
  const playground = new Playground(root);
  // A read-only view for the tests and for curious readers (try it in the browser console).
  window.playground = Object.freeze({
    get lastOutput() { return playground.output; },
    get input() { return playground.image && playground.image.planes; },
    get image() { return playground.image && { ...playground.image, planes: undefined }; },
    get applied() { return playground.applied; },
    get lastUpdateMs() { return playground.updateMs; },
    get lastFilterMs() { return playground.filterMs; },
    get timings() { return playground.timings && { ...playground.timings }; },
    get frequency() { return playground.frequency && { ...playground.frequency }; },
    get inspected() { return playground.inspected; },
    benchmark: (options) => playground.benchmark(options),
    get passes() { return playground.passes; },
    get version() { return playground.version; },
    get error() { return playground.error.hidden ? "" : playground.error.textContent; },
    get learned() { return playground.learned && [...playground.learned]; },
  });
  if (playground.kernelsUrl) playground.loadLearned(playground.kernelsUrl);
  if (playground.images.length) playground.loadUrl(playground.images[0]);
}

whenReady(start);
