// "A filter is a stack of kernels", live: one filter of nn.Conv2d(3, k, 3) taken apart on a photo.
//
// Plain ES module, importing the site's shared modules beside it. The page holds a placeholder
// <div id="filter-stack"> whose link names the JSON file written by snippets/words/filter_stack.py
// (the photo's file name and the filters: per filter three 3 × 3 kernels, red, green, blue, and
// a bias); this module replaces it with the widget. No weight is written in this file.
//
// What is computed, in double precision, as nn.Conv2d(3, k, 3, padding=1) does for one filter:
//   response_c[y, x] = sum over i, j of  padded_c[y + i, x + j] * w_c[i, j]     (c = R, G, B)
//   output[y, x]     = response_R + response_G + response_B + bias
// with zero padding of one pixel. A read-only view of the state is window.filterStack, which
// the site's tests compare with the snippet's PyTorch numbers.

import { claim, el, field, whenNear, whenReady } from "./dom.js";
import { bitmapPixels, decodeImage, fetchOk } from "./images.js";
import { compactNumber, formatNumber, readNumber } from "./numbers.js";

const ROOT_ID = "filter-stack";
const CHANNELS = ["red", "green", "blue"];
const LIMIT = 1e6; // largest accepted magnitude of a typed weight or bias
const label = (control, text) => field(control, text, "kp");

/** Channel plane (Float64Array, row by row) cross-correlated with a 3 × 3 kernel, zero padding 1. */
export function channelResponse(plane, width, height, kernel) {
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = 0; i < 3; i++) {
        const yy = y + i - 1;
        if (yy < 0 || yy >= height) continue;
        for (let j = 0; j < 3; j++) {
          const xx = x + j - 1;
          if (xx >= 0 && xx < width) sum += plane[yy * width + xx] * kernel[i * 3 + j];
        }
      }
      out[y * width + x] = sum;
    }
  }
  return out;
}

/** The three 3 × 3 products, each channel's sum, the bias and the total at output pixel (x, y). */
export function pixelParts(planes, width, height, weights, bias, x, y) {
  const n = width * height;
  const inputs = [];
  const products = [];
  const sums = [];
  const padded = [];
  for (let c = 0; c < 3; c++) {
    const ins = new Float64Array(9);
    const prods = new Float64Array(9);
    const pad = new Uint8Array(9);
    let sum = 0;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const [yy, xx] = [y + i - 1, x + j - 1];
        const inside = yy >= 0 && yy < height && xx >= 0 && xx < width;
        pad[i * 3 + j] = inside ? 0 : 1;
        ins[i * 3 + j] = inside ? planes[c * n + yy * width + xx] : 0;
        prods[i * 3 + j] = ins[i * 3 + j] * weights[c * 9 + i * 3 + j];
        sum += prods[i * 3 + j];
      }
    }
    inputs.push(ins);
    products.push(prods);
    sums.push(sum);
    padded.push(pad);
  }
  return { x, y, inputs, products, sums, padded, bias, total: sums[0] + sums[1] + sums[2] + bias };
}

class FilterStack {
  constructor(root) {
    this.root = root;
    this.dataUrl = root.querySelector("a[href][data-filters]")?.href;
    this.filters = [];
    this.choice = 0;
    this.valid = null; // {weights: Float64Array(27), bias}: the last valid filter, applied
    this.image = null; // {width, height, planes: Float64Array(3 · n), 0 to 1}
    this.responses = null;
    this.summed = null;
    this.output = null;
    this.pixel = null;
    this.inspected = null;
    this.shown = new Map(); // input -> {text, value}: what choosing a filter wrote in it
    this.timings = null;
    this.version = 0;
    this.build();
  }

  build() {
    const select = el("select", { id: "fs-filter" });
    select.addEventListener("change", () => this.choose(Number(select.value)));
    this.error = el("div", { id: "fs-error", class: "kp-error", role: "alert", hidden: true });
    // The kernels: one 3 × 3 grid of inputs per channel, and the bias.
    this.cells = [];
    const grids = CHANNELS.map((name, c) => {
      const grid = el("div", { class: "kp-grid fs-kernel", role: "group", "aria-label": `${name} kernel` });
      grid.style.gridTemplateColumns = "repeat(3, minmax(3.5em, 1fr))";
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const input = el("input", { type: "text", inputmode: "decimal", spellcheck: "false", autocomplete: "off",
            "aria-label": `${name} kernel, row ${i + 1}, column ${j + 1}` });
          input.addEventListener("input", () => this.readGrid());
          this.cells[c * 9 + i * 3 + j] = input;
          grid.append(input);
        }
      }
      return el("figure", { class: `fs-kernel-figure fs-${name}` }, grid, el("figcaption", { text: `${name} kernel` }));
    });
    this.biasInput = el("input", { id: "fs-bias", type: "text", inputmode: "decimal", spellcheck: "false", autocomplete: "off", size: "10" });
    this.biasInput.addEventListener("input", () => this.readGrid());
    // The maps: the photo, the three per-channel responses, and the output (their sum + bias).
    const canvas = (name, text) => {
      const node = el("canvas", { id: `fs-${name}`, role: "img", "aria-label": text });
      const cursor = el("div", { class: "kp-cursor", "aria-hidden": "true", hidden: true });
      const caption = el("figcaption", { id: `fs-${name}-caption`, text });
      return { node, cursor, caption, figure: el("figure", {}, el("div", { class: "kp-canvas" }, node, cursor), caption) };
    };
    this.maps = {
      photo: canvas("photo", "Photo"),
      red: canvas("red", "Red × red kernel"),
      green: canvas("green", "Green × green kernel"),
      blue: canvas("blue", "Blue × blue kernel"),
      sum: canvas("sum", "Sum of the three"),
      output: canvas("output", "Output: sum + bias"),
    };
    const out = this.maps.output.node;
    out.setAttribute("role", "application");
    out.setAttribute("tabindex", "0");
    out.setAttribute("aria-describedby", "fs-help");
    out.addEventListener("keydown", (event) => this.moveCursor(event));
    for (const { node } of Object.values(this.maps)) {
      const pick = (event, announce) => {
        if (!this.image) return;
        const box = node.getBoundingClientRect();
        const x = Math.floor(((event.clientX - box.left) / box.width) * this.image.width);
        const y = Math.floor(((event.clientY - box.top) / box.height) * this.image.height);
        this.pointAt(x, y, announce);
      };
      node.addEventListener("pointermove", (event) => event.pointerType === "mouse" && pick(event, false));
      node.addEventListener("pointerdown", (event) => pick(event, true));
    }
    this.scaleNote = el("p", { id: "fs-scale", class: "kp-note" });
    // The readout under the maps.
    this.tables = CHANNELS.map((name) => {
      const cells = [];
      const body = el("tbody");
      for (let i = 0; i < 3; i++) {
        const tr = el("tr");
        for (let j = 0; j < 3; j++) tr.append((cells[i * 3 + j] = el("td")));
        body.append(tr);
      }
      const sum = el("p", { class: "kp-note" });
      const node = el("div", {}, el("table", { class: "kp-table" }, el("caption", { text: `${name}: pixel × weight` }), body), sum);
      return { node, cells, sum };
    });
    this.total = el("p", { id: "fs-total", class: "kp-inspect-sum" });
    this.live = el("p", { class: "kp-sr", "aria-live": "polite" });
    this.status = el("p", { id: "fs-status", class: "kp-status" });
    const help = el("p", { id: "fs-help", class: "kp-note",
      text: "Point at any map or tap it, or press Tab to reach the output and move with the arrow keys (Shift: 8 pixels at a time), to see how one output value is made." });
    Object.assign(this, { select });
    this.root.replaceChildren(el("div", { class: "kp fs" },
      el("fieldset", {}, el("legend", { text: "Filter" }),
        el("div", { class: "kp-row" }, label(select, "Filter")),
        el("div", { class: "fs-kernels" }, ...grids),
        el("div", { class: "kp-row" }, label(this.biasInput, "Bias")),
        this.error),
      el("div", { class: "kp-images fs-maps" }, ...Object.values(this.maps).map((m) => m.figure)),
      this.scaleNote, help,
      el("fieldset", { id: "fs-readout" }, el("legend", { text: "One output pixel" }),
        el("div", { class: "kp-inspect-tables kp-scroll", role: "region", tabindex: "0", "aria-label": "Products per channel" },
          ...this.tables.map((t) => t.node)),
        this.total, this.live),
      this.status));
  }

  showError(text) {
    this.error.textContent = text;
    this.error.hidden = !text;
  }

  async load() {
    try {
      if (!this.dataUrl) throw new Error("no file of filters");
      const file = await (await fetchOk(this.dataUrl)).json();
      this.filters = file.filters;
      const hand = el("optgroup", { label: "Made by hand" });
      const learned = el("optgroup", { label: "Learned by VGG16 (conv1_1)" });
      this.filters.forEach((f, i) => (f.label.startsWith("VGG16") ? learned : hand).append(el("option", { value: String(i), text: f.label })));
      this.select.append(hand, learned);
      const blob = await (await fetchOk(new URL(file.image, this.dataUrl))).blob();
      const { bitmap } = await decodeImage(blob);
      const { width, height } = bitmap;
      const rgba = bitmapPixels(bitmap, this.maps.photo.node);
      const n = width * height;
      const planes = new Float64Array(3 * n);
      for (let c = 0; c < 3; c++) for (let i = 0; i < n; i++) planes[c * n + i] = rgba[4 * i + c] / 255;
      this.image = { width, height, planes };
      this.pixel = { x: Math.floor(width / 3), y: Math.floor(height / 3) };
      this.choose(0);
    } catch (error) {
      this.showError(`Could not load the photo or the filters (${error.message}).`);
    }
  }

  /** Fill the grids with filter i and apply it. */
  choose(i) {
    this.choice = i;
    this.select.value = String(i);
    const { weights, bias } = this.filters[i];
    const flat = weights.flat(2).map(Number);
    // The cells show 4 significant digits; a cell left as shown keeps its exact value.
    this.shown = new Map();
    const show = (input, value) => {
      input.value = String(Number(value.toPrecision(4)));
      this.shown.set(input, { text: input.value, value });
    };
    this.cells.forEach((cell, n) => {
      show(cell, flat[n]);
      cell.removeAttribute("aria-invalid");
    });
    show(this.biasInput, Number(bias));
    this.biasInput.removeAttribute("aria-invalid");
    this.showError("");
    this.valid = { weights: Float64Array.from(flat), bias: Number(bias) };
    this.update();
  }

  /** Read what the reader typed; on any bad value, say which and keep the last valid filter. */
  readGrid() {
    const problems = [];
    const read = (input, name) => {
      const kept = this.shown.get(input);
      const { value, error } = kept && kept.text === input.value ? { value: kept.value } : readNumber(input.value);
      let problem = "";
      if (error === "empty") problem = `${name} is empty`;
      else if (error === "space") problem = `${name}: “${input.value.trim()}” has a space inside (one number per cell)`;
      else if (error) problem = `${name}: “${input.value.trim()}” is not a number (e.g. 0.25, -2, 1e-3 or 1/16)`;
      else if (Math.abs(value) > LIMIT) problem = `${name}: “${input.value.trim()}” is too large (use values between −1000000 and 1000000)`;
      if (problem) input.setAttribute("aria-invalid", "true");
      else input.removeAttribute("aria-invalid");
      if (problem) problems.push(problem);
      return value;
    };
    const weights = this.cells.map((cell, n) => read(cell, `The ${CHANNELS[Math.floor(n / 9)]} kernel's row ${Math.floor((n % 9) / 3) + 1}, column ${(n % 3) + 1}`));
    const bias = read(this.biasInput, "The bias");
    if (problems.length) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
      this.showError(`${problems[0]}${more}. The maps still show the last valid filter.`);
      this.version++;
      return;
    }
    this.showError("");
    this.valid = { weights: Float64Array.from(weights), bias };
    this.update();
  }

  update() {
    if (!this.image || !this.valid) return;
    const t0 = performance.now();
    const { width, height, planes } = this.image;
    const n = width * height;
    const { weights, bias } = this.valid;
    this.responses = [0, 1, 2].map((c) => channelResponse(planes.subarray(c * n, (c + 1) * n), width, height, weights.subarray(c * 9, c * 9 + 9)));
    const summed = new Float64Array(n);
    const output = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      summed[i] = this.responses[0][i] + this.responses[1][i] + this.responses[2][i];
      output[i] = summed[i] + bias;
    }
    this.summed = summed;
    this.output = output;
    const t1 = performance.now();
    this.draw();
    const t2 = performance.now();
    this.inspect(false);
    const t3 = performance.now();
    this.timings = { computeMs: t1 - t0, drawMs: t2 - t1, inspectMs: t3 - t2, totalMs: t3 - t0 };
    this.status.textContent = `Updated in ${(t3 - t0).toFixed(1)} ms (computing ${(t1 - t0).toFixed(1)} ms, drawing ${(t2 - t1).toFixed(1)} ms).`;
    this.version++;
  }

  /** The five signed maps on one scale: mid-grey is 0, white +s and black −s, s the largest |value|. */
  draw() {
    const { width, height } = this.image;
    const all = [...this.responses, this.summed, this.output];
    let s = 0;
    for (const map of all) for (const v of map) s = Math.max(s, Math.abs(v));
    if (!(s > 0)) s = 1;
    this.scale = s;
    const names = ["red", "green", "blue", "sum", "output"];
    all.forEach((map, m) => {
      const rgba = new Uint8ClampedArray(width * height * 4);
      for (let i = 0; i < map.length; i++) {
        const g = 127.5 + (127.5 * map[i]) / s;
        rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = g;
        rgba[4 * i + 3] = 255;
      }
      const canvas = this.maps[names[m]].node;
      if (canvas.width !== width || canvas.height !== height) [canvas.width, canvas.height] = [width, height];
      canvas.getContext("2d").putImageData(new ImageData(rgba, width, height), 0, 0);
    });
    const f = this.filters[this.choice];
    const typed = [...this.cells, this.biasInput].some((input) => this.shown.get(input).text !== input.value);
    this.scaleNote.textContent = `The five maps share one scale: mid-grey is 0, white ${formatNumber(s, 3)}, black ${formatNumber(-s, 3)}. Filter: ${typed ? "your numbers" : f.label}; zero padding of 1 pixel.`;
    this.maps.output.node.setAttribute("aria-label", `Output: the three channel maps added, plus the bias ${formatNumber(this.valid.bias, 4)}. Arrow keys choose the pixel shown below.`);
  }

  pointAt(x, y, announce) {
    const { width, height } = this.image;
    this.pixel = { x: Math.min(width - 1, Math.max(0, x)), y: Math.min(height - 1, Math.max(0, y)) };
    this.inspect(announce);
    this.version++;
  }

  moveCursor(event) {
    const step = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (!step || !this.pixel || event.altKey || event.ctrlKey || event.metaKey) return;
    event.preventDefault();
    const n = event.shiftKey ? 8 : 1;
    this.pointAt(this.pixel.x + n * step[0], this.pixel.y + n * step[1], true);
  }

  inspect(announce) {
    if (!this.output || !this.pixel) return;
    const { width, height, planes } = this.image;
    const { x, y } = this.pixel;
    const parts = pixelParts(planes, width, height, this.valid.weights, this.valid.bias, x, y);
    parts.output = this.output[y * width + x];
    this.inspected = parts;
    this.tables.forEach((table, c) => {
      table.cells.forEach((cell, n) => {
        cell.textContent = compactNumber(parts.products[c][n]);
        cell.title = `${formatNumber(parts.inputs[c][n], 4)} × ${formatNumber(this.valid.weights[c * 9 + n], 4)}`;
        cell.className = [parts.padded[c][n] ? "kp-pad" : "", n === 4 ? "kp-centre" : ""].join(" ").trim();
      });
      table.sum.textContent = `${CHANNELS[c]} sum ${formatNumber(parts.sums[c], 4)}`;
    });
    const f = (v) => formatNumber(v, 4);
    const text = `At x ${x}, y ${y}: ${f(parts.sums[0])} + ${f(parts.sums[1])} + ${f(parts.sums[2])} + bias ${f(parts.bias)} = ${f(parts.total)}`;
    this.total.textContent = text;
    const { width: w, height: h } = this.image;
    for (const { cursor } of Object.values(this.maps)) {
      Object.assign(cursor.style, { left: `${(100 * x) / w}%`, top: `${(100 * y) / h}%`, width: `${100 / w}%`, height: `${100 / h}%` });
      cursor.hidden = false;
    }
    if (announce) this.live.textContent = `${text}.`;
  }
}

function start() {
  const root = claim(ROOT_ID);
  if (!root) return;
  const widget = new FilterStack(root);
  // A read-only view for the tests and for curious readers (try it in the browser console).
  window.filterStack = Object.freeze({
    get filters() { return widget.filters.map((f) => f.label); },
    get choice() { return widget.choice; },
    get weights() { return widget.valid && Array.from(widget.valid.weights); },
    get bias() { return widget.valid && widget.valid.bias; },
    get image() { return widget.image && { width: widget.image.width, height: widget.image.height }; },
    get input() { return widget.image && Array.from(widget.image.planes); },
    get responses() { return widget.responses && widget.responses.map((r) => Array.from(r)); },
    get summed() { return widget.summed && Array.from(widget.summed); },
    get output() { return widget.output && Array.from(widget.output); },
    get inspected() {
      const p = widget.inspected;
      return p && { ...p, inputs: p.inputs.map((a) => Array.from(a)), products: p.products.map((a) => Array.from(a)), padded: p.padded.map((a) => Array.from(a)) };
    },
    get timings() { return widget.timings && { ...widget.timings }; },
    get error() { return widget.error.hidden ? "" : widget.error.textContent; },
    get version() { return widget.version; },
  });
  whenNear(root, () => widget.load());
}

whenReady(start);
