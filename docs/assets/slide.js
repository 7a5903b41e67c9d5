// The kernel sliding, step by step: the playground's kernel moved over a small crop of its image,
// one output pixel at a time.
//
// Plain ES module under the playground (docs/playground.md holds a placeholder
// <div id="kernel-slide">). It computes nothing of its own: each step shows the products and the
// sum from the playground's inspectPixel, and fills in the playground's own output value (made by
// its filterImage), read through window.playground; the playground announces each update with a
// "playground-update" event. Padding cells are filled as the playground's padding mode says
// (padIndex). A read-only view of the state is window.kernelSlide, for the site's tests.

import { claim, el, field, whenReady } from "./dom.js";
import { compactNumber, formatNumber } from "./numbers.js";
import { inspectPixel, padIndex } from "./playground.js";

const ROOT_ID = "kernel-slide";
const SIDE = 8; // the crop is SIDE × SIDE output pixels
const INTERVAL_MS = 350; // one step every INTERVAL_MS while playing
const CELL = 24; // canvas pixels per image pixel
const label = (control, text) => field(control, text, "kp");
const CROPS = {
  corner: "top-left corner (the window leaves the image)",
  centre: "centre of the image",
  inspected: "around the pixel in the inspector",
};

class Slide {
  constructor(root) {
    this.root = root;
    this.step = 0; // output pixels filled so far, 0 … SIDE²
    this.playing = false;
    this.timer = null;
    this.crop = null; // {x0, y0, w, h, channel}
    this.current = null; // inspectPixel's record of the last filled pixel
    this.filled = []; // output values filled so far, row by row in the crop
    this.stepMs = NaN;
    this.version = 0;
    this.build();
  }

  build() {
    const button = (text, action, extra = {}) => {
      const node = el("button", { type: "button", text, ...extra });
      node.addEventListener("click", action);
      return node;
    };
    this.cropSelect = el("select", { id: "ks-crop" });
    for (const [value, text] of Object.entries(CROPS)) this.cropSelect.append(el("option", { value, text }));
    this.cropSelect.addEventListener("change", () => this.reset());
    this.channelSelect = el("select", { id: "ks-channel" });
    ["red", "green", "blue"].forEach((name, c) => this.channelSelect.append(el("option", { value: String(c), text: name })));
    this.channelSelect.addEventListener("change", () => this.reset());
    this.channelField = label(this.channelSelect, "Channel");
    this.playButton = button("Play", () => this.toggle(), { id: "ks-play", "aria-pressed": "false" });
    const controls = el("div", { class: "kp-row ks-buttons" },
      button("« Start", () => this.reset(), { id: "ks-reset" }),
      button("◀ Back", () => this.go(this.step - 1), { id: "ks-back" }),
      this.playButton,
      button("Step ▶", () => this.go(this.step + 1), { id: "ks-step" }),
      button("All »", () => this.go(SIDE * SIDE), { id: "ks-all" }));
    // The stage: the crop and a ring of pixels around it wide enough for the kernel, the window
    // outlined; cells outside the image (padding) are hatched.
    this.stage = el("canvas", { id: "ks-stage", role: "application", tabindex: "0", "aria-describedby": "ks-help",
      "aria-label": "The crop, with the kernel's window" });
    this.stage.addEventListener("keydown", (event) => this.key(event));
    this.outTable = el("table", { id: "ks-output", class: "kp-table ks-output" });
    this.products = el("table", { id: "ks-products", class: "kp-table" });
    this.sum = el("p", { id: "ks-sum", class: "kp-inspect-sum" });
    this.note = el("p", { id: "ks-note", class: "kp-note" });
    this.live = el("p", { class: "kp-sr", "aria-live": "polite" });
    this.status = el("p", { id: "ks-status", class: "kp-status" });
    const help = el("p", { id: "ks-help", class: "kp-note",
      text: "Buttons, or focus the crop and use the keys: → one step, ← one step back, Space play or pause, Home start, End all." });
    this.root.replaceChildren(el("div", { class: "kp ks" },
      el("fieldset", {}, el("legend", { text: "The kernel sliding, step by step" }),
        el("div", { class: "kp-row" }, label(this.cropSelect, "Crop"), this.channelField),
        controls, help,
        el("div", { class: "ks-panels" },
          el("figure", {}, this.stage, el("figcaption", { id: "ks-stage-caption", text: "Input crop" })),
          el("div", { class: "kp-scroll", role: "region", tabindex: "0", "aria-label": "Output of the crop" }, this.outTable)),
        el("div", { class: "kp-scroll", role: "region", tabindex: "0", "aria-label": "Products of this step" }, this.products),
        this.sum, this.note, this.live, this.status)));
  }

  /** The playground's state, or null before its first output. */
  get source() {
    const p = window.playground;
    return p && p.lastOutput && p.applied ? p : null;
  }

  /** Place the crop (after a new image, crop choice or channel) and start again from step 0; with
   * `keep` (after the playground changed its kernel or padding), stay at the same step. */
  reset(keep = false) {
    if (!keep) this.pause();
    const p = this.source;
    if (!p) return;
    const { width, height, channels } = p.image;
    const w = Math.min(SIDE, width);
    const h = Math.min(SIDE, height);
    let x0 = 0;
    let y0 = 0;
    if (this.cropSelect.value === "centre") [x0, y0] = [Math.floor((width - w) / 2), Math.floor((height - h) / 2)];
    if (this.cropSelect.value === "inspected" && p.inspected) [x0, y0] = [p.inspected.x - Math.floor(w / 2), p.inspected.y - Math.floor(h / 2)];
    x0 = Math.min(width - w, Math.max(0, x0));
    y0 = Math.min(height - h, Math.max(0, y0));
    this.channelField.hidden = channels === 1;
    const channel = Math.min(Number(this.channelSelect.value), channels - 1);
    this.crop = { x0, y0, w, h, channel };
    this.go(keep ? this.step : 0);
  }

  /** Show the state after `n` steps (clamped): n output pixels filled, the window on the n-th. */
  go(n) {
    const p = this.source;
    if (!p || !this.crop) return;
    const t0 = performance.now();
    const { x0, y0, w, h, channel } = this.crop;
    const total = w * h;
    this.step = Math.min(total, Math.max(0, n));
    const { width, height } = p.image;
    const { kernel, size: k, padding } = p.applied;
    const output = p.lastOutput;
    const base = channel * width * height;
    this.filled = [];
    for (let s = 0; s < this.step; s++) this.filled.push(output[base + (y0 + Math.floor(s / w)) * width + x0 + (s % w)]);
    const s = this.step - 1;
    this.current = s < 0 ? null : inspectPixel(p.input, width, height, channel, kernel, k, padding, x0 + (s % w), y0 + Math.floor(s / w));
    this.drawStage(p);
    this.drawOutput();
    this.drawProducts();
    this.stepMs = performance.now() - t0;
    this.status.textContent = `Step ${this.step} of ${total}, shown in ${this.stepMs.toFixed(1)} ms.`;
    if (this.step === total) this.pause();
    this.version++;
  }

  drawStage(p) {
    const { width, height } = p.image;
    const { size: k, padding } = p.applied;
    const r = (k - 1) / 2;
    const { x0, y0, w, h, channel } = this.crop;
    const cols = w + 2 * r;
    const rows = h + 2 * r;
    const canvas = this.stage;
    if (canvas.width !== cols * CELL || canvas.height !== rows * CELL) [canvas.width, canvas.height] = [cols * CELL, rows * CELL];
    const g = canvas.getContext("2d");
    g.clearRect(0, 0, canvas.width, canvas.height);
    const planes = p.input;
    const base = channel * width * height;
    for (let i = 0; i < rows; i++) {
      const y = y0 - r + i;
      const sy = padIndex(y, height, padding);
      for (let j = 0; j < cols; j++) {
        const x = x0 - r + j;
        const sx = padIndex(x, width, padding);
        const v = sy < 0 || sx < 0 ? 0 : planes[base + sy * width + sx];
        const grey = Math.round(255 * Math.min(1, Math.max(0, v)));
        g.fillStyle = `rgb(${grey} ${grey} ${grey})`;
        g.fillRect(j * CELL, i * CELL, CELL, CELL);
        if (y < 0 || y >= height || x < 0 || x >= width) {
          // Padding: hatched in a colour that shows on any grey.
          g.strokeStyle = "#e07000";
          g.lineWidth = 2;
          g.beginPath();
          g.moveTo(j * CELL + 3, (i + 1) * CELL - 3);
          g.lineTo((j + 1) * CELL - 3, i * CELL + 3);
          g.stroke();
        }
      }
    }
    // The crop (dashed), then the window and the pixel it fills.
    g.setLineDash([5, 4]);
    g.strokeStyle = "#e07000";
    g.lineWidth = 2;
    g.strokeRect(r * CELL + 1, r * CELL + 1, w * CELL - 2, h * CELL - 2);
    g.setLineDash([]);
    const caption = document.getElementById("ks-stage-caption");
    const at = `x ${x0} to ${x0 + w - 1}, y ${y0} to ${y0 + h - 1}`;
    if (this.current) {
      const cx = this.current.x - x0;
      const cy = this.current.y - y0;
      for (const [colour, width_] of [["#fff", 6], ["#000", 2]]) {
        g.strokeStyle = colour;
        g.lineWidth = width_;
        g.strokeRect(cx * CELL + 2, cy * CELL + 2, k * CELL - 4, k * CELL - 4);
        g.strokeRect((cx + r) * CELL + 6, (cy + r) * CELL + 6, CELL - 12, CELL - 12);
      }
    }
    caption.textContent = `Input crop (${at}, dashed) and ${r} pixel${r === 1 ? "" : "s"} around it; hatched cells are ${padding} padding.`;
    canvas.setAttribute("aria-label", this.current
      ? `The ${k} × ${k} window on pixel x ${this.current.x}, y ${this.current.y} of the crop ${at}`
      : `The crop ${at}, before the first step`);
  }

  drawOutput() {
    const { x0, y0, w, h } = this.crop;
    const head = el("tr", {}, el("th", { scope: "col", text: "y\\x" }));
    for (let j = 0; j < w; j++) head.append(el("th", { scope: "col", text: String(x0 + j) }));
    const body = el("tbody");
    for (let i = 0; i < h; i++) {
      const tr = el("tr", {}, el("th", { scope: "row", text: String(y0 + i) }));
      for (let j = 0; j < w; j++) {
        const s = i * w + j;
        const td = el("td", { text: s < this.step ? compactNumber(this.filled[s]) : "" });
        if (s === this.step - 1) td.className = "kp-centre";
        tr.append(td);
      }
      body.append(tr);
    }
    this.outTable.replaceChildren(el("caption", { text: "Output, filled one pixel per step" }), el("thead", {}, head), body);
  }

  drawProducts() {
    const c = this.current;
    if (!c) {
      this.products.replaceChildren();
      this.sum.textContent = "Press Step or Play: the window moves to the first pixel of the crop.";
      this.note.textContent = "";
      this.live.textContent = "";
      return;
    }
    const k = c.size;
    const body = el("tbody");
    for (let i = 0; i < k; i++) {
      const tr = el("tr");
      for (let j = 0; j < k; j++) {
        const n = i * k + j;
        const td = el("td", { text: compactNumber(c.products[n]), title: `${formatNumber(c.inputs[n], 4)} × ${formatNumber(c.weights[n], 4)}` });
        td.className = [c.padded[n] ? "kp-pad" : "", n === (k * k - 1) / 2 ? "kp-centre" : ""].join(" ").trim();
        tr.append(td);
      }
      body.append(tr);
    }
    this.products.replaceChildren(el("caption", { text: "Products: input × weight" }), body);
    const value = this.filled[this.step - 1];
    const outside = c.padded.reduce((a, b) => a + b, 0);
    this.sum.textContent = `Step ${this.step}: pixel x ${c.x}, y ${c.y}. Sum of the ${k * k} products = ${formatNumber(c.sum, 4)}; the output holds ${formatNumber(value, 4)}.`;
    this.note.textContent = outside
      ? `${outside} of the ${k * k} cells lie outside the image (dashed, shaded): ${c.mode} padding.`
      : "Every cell under the window lies inside the image.";
    this.live.textContent = `Step ${this.step}: output ${formatNumber(value, 4)} at x ${c.x}, y ${c.y}.`;
  }

  toggle() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    if (!this.crop) return;
    if (this.step >= this.crop.w * this.crop.h) this.go(0);
    this.playing = true;
    this.playButton.textContent = "Pause";
    this.playButton.setAttribute("aria-pressed", "true");
    this.timer = setInterval(() => this.go(this.step + 1), INTERVAL_MS);
    this.version++;
  }

  pause() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.playing) this.version++;
    this.playing = false;
    this.playButton.textContent = "Play";
    this.playButton.setAttribute("aria-pressed", "false");
  }

  key(event) {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    const total = this.crop ? this.crop.w * this.crop.h : 0;
    const actions = {
      ArrowRight: () => this.go(this.step + 1),
      ArrowLeft: () => this.go(this.step - 1),
      Home: () => this.reset(),
      End: () => this.go(total),
      " ": () => this.toggle(),
    };
    if (!(event.key in actions)) return;
    event.preventDefault();
    if (event.key !== " ") this.pause();
    actions[event.key]();
  }
}

function start() {
  const root = claim(ROOT_ID);
  if (!root) return;
  const slide = new Slide(root);
  // Each playground update (new image, kernel, padding …) redraws the crop at the same step.
  document.addEventListener("playground-update", () => slide.reset(true));
  if (window.playground?.lastOutput) slide.reset();
  window.kernelSlide = Object.freeze({
    get crop() { return slide.crop && { ...slide.crop }; },
    get step() { return slide.step; },
    get steps() { return slide.crop ? slide.crop.w * slide.crop.h : 0; },
    get playing() { return slide.playing; },
    get filled() { return [...slide.filled]; },
    get current() {
      const c = slide.current;
      return c && { x: c.x, y: c.y, size: c.size, mode: c.mode, sum: c.sum, inputs: Array.from(c.inputs), products: Array.from(c.products), padded: Array.from(c.padded) };
    },
    get stepMs() { return slide.stepMs; },
    get version() { return slide.version; },
  });
}

whenReady(start);
