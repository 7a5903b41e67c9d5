// Learn a kernel yourself: gradient descent on one 3 × 3 kernel, live, in the browser.
//
// Plain ES module; it imports the site's shared modules beside it (dom.js, numbers.js,
// kernels.js, images.js). The page holds a placeholder <div id="kernel-learner"> whose links name
// the photo and the exported random start; this module replaces it with the widget. All numbers
// are JavaScript numbers (float64).
//
// What is computed, exactly as in snippets/learn/learn_kernel_in_pytorch.py:
//   x       the photo, 128 × 128, standardised to mean 0 and variance 1 (population variance):
//           the bundled 256 × 256 photo averaged over 2 × 2 blocks, or the reader's own photo
//           (read in the page, never sent anywhere), made grey, cut to its centre square and
//           averaged the same way over larger blocks (see preparePhoto)
//   out     cross-correlation of x with the kernel w, no padding ("valid"): 126 × 126
//   target  the same with the target kernel (or with the flipped target: true convolution)
//   loss    mean over the 126 × 126 outputs of (out − target)²          (F.mse_loss)
//   grad    ∂loss/∂w[i, j] = 2/N · Σ (out − target)[y, x] · x[y + i, x + j]
//   SGD     w ← w − lr · grad
//   momentum (torch.optim.SGD, dampening 0): buf ← μ · buf + grad (buf = grad at the first
//           step), w ← w − lr · buf
//
// window.kernelLearning is a read-only view for the tests and for curious readers:
//   kernelLearning.state()  → {kernel: [9 numbers, row by row], loss, step, distance, diverged,
//                              lr, optimiser, start, target: [9 numbers], error}
//                             `loss` is the loss of the current kernel; after n steps the kernel
//                             has been updated n times.
//   kernelLearning.step(n)  → does what pressing "Step" n times does.
//   kernelLearning.ready    → true once the photo and the exported start are loaded and first drawn.
//   kernelLearning.input()  → {name, own, crop, pixels: the 128 × 128 standardised input, row
//                              by row}; crop = {left, top, side, block, width, height}.

import { claim, el, field, inTasks, nextTask, whenReady } from "./dom.js";
import { startDigits } from "./digits.js";
import { acceptDrops, fetchOk, readImage } from "./images.js";
import { FIXED, designedKernel } from "./kernels.js";
import { formatNumber, minus, mulberry32, readNumber } from "./numbers.js";

const K = 3;
const SIDE = 128; // the photo is averaged down to SIDE × SIDE
const OUT = SIDE - K + 1; // "valid" output side
const DIVERGED = 1e6; // the loss diverges when it exceeds this many times its start (or 1)
const LEARNED = 1e-20; // training stops by itself below this loss
const MAX_STEPS = 20000;
const FRAME_BUDGET_MS = 8; // work per animation frame, so that the page stays responsive

// ---------------------------------------------------------------------------------------------
// Kernels

export const TARGETS = {
  sobel_x: { label: "Sobel x (vertical edges)", kernel: FIXED.sobel_x },
  gaussian: { label: "Gaussian, σ = 1 (blur)", kernel: designedKernel("gaussian", K, { sigma: 1 }) },
  laplacian: { label: "Laplacian", kernel: FIXED.laplacian },
  gabor: { label: "Gabor, σ = 1, θ = 45°, 0.2 cycles/px", kernel: designedKernel("gabor", K, { sigma: 1, theta: 45, frequency: 0.2 }) },
  custom: { label: "Your own (type in the grid)" },
};

export const STARTS = {
  snippet: "PyTorch's default, exactly as the snippet below draws it (its seed)",
  default: "PyTorch's default rule, U(−1/3, 1/3), from this page's seed",
  he: "He normal, N(0, 2/9), from this page's seed",
  noise: "Zeros plus small noise, U(−0.01, 0.01), from this page's seed",
};

/** The nine starting weights for a scheme; `exported` is the snippet's start. */
export function startKernel(scheme, seed, exported) {
  if (scheme === "snippet") return Float64Array.from(exported);
  const random = mulberry32(seed);
  const uniform = (bound) => Float64Array.from({ length: K * K }, () => (2 * random() - 1) * bound);
  if (scheme === "default") return uniform(1 / Math.sqrt(K * K)); // kaiming_uniform(a=√5): 1/√fan_in
  if (scheme === "noise") return uniform(0.01);
  if (scheme === "he") {
    const std = Math.sqrt(2 / (K * K));
    return Float64Array.from({ length: K * K }, () => {
      const u = 1 - random(); // (0, 1]: Box–Muller needs log(u) finite
      return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
    });
  }
  throw new Error(`unknown start ${scheme}`);
}

/** A number typed by the reader (fractions a/b allowed); {value} or {error}. */
export function parseNumber(text) {
  const { value, error } = readNumber(text);
  if (!error) return { value };
  if (error === "empty") return { error: "is empty" };
  const t = text.trim().replace(/\u2212/g, "-");
  return { error: error === "infinite" ? `“${t}” is not a finite number` : `“${t}” is not a number` };
}

// ---------------------------------------------------------------------------------------------
// The arithmetic

/** out[y, x] = Σ_ij x[y + i, x + j] · w[i, j] over the valid OUT × OUT positions. */
export function correlate(image, w, out) {
  for (let y = 0; y < OUT; y++) {
    const r0 = y * SIDE;
    const r1 = r0 + SIDE;
    const r2 = r1 + SIDE;
    const o = y * OUT;
    for (let x = 0; x < OUT; x++) {
      out[o + x] =
        image[r0 + x] * w[0] + image[r0 + x + 1] * w[1] + image[r0 + x + 2] * w[2] +
        image[r1 + x] * w[3] + image[r1 + x + 1] * w[4] + image[r1 + x + 2] * w[5] +
        image[r2 + x] * w[6] + image[r2 + x + 1] * w[7] + image[r2 + x + 2] * w[8];
    }
  }
  return out;
}

/** Loss of kernel w; if `grad` is given, also fills it with ∂loss/∂w. `out` gets the output. */
export function lossAndGradient(image, w, target, out, grad) {
  correlate(image, w, out);
  const n = OUT * OUT;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    const r = out[p] - target[p];
    sum += r * r;
  }
  if (grad) {
    let g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0, g8 = 0;
    for (let y = 0; y < OUT; y++) {
      const r0 = y * SIDE;
      const r1 = r0 + SIDE;
      const r2 = r1 + SIDE;
      const o = y * OUT;
      for (let x = 0; x < OUT; x++) {
        const r = out[o + x] - target[o + x];
        g0 += r * image[r0 + x]; g1 += r * image[r0 + x + 1]; g2 += r * image[r0 + x + 2];
        g3 += r * image[r1 + x]; g4 += r * image[r1 + x + 1]; g5 += r * image[r1 + x + 2];
        g6 += r * image[r2 + x]; g7 += r * image[r2 + x + 1]; g8 += r * image[r2 + x + 2];
      }
    }
    const s = 2 / n;
    grad.set([g0 * s, g1 * s, g2 * s, g3 * s, g4 * s, g5 * s, g6 * s, g7 * s, g8 * s]);
  }
  return sum / n;
}

/** One step of torch.optim.SGD (dampening 0, no weight decay, not Nesterov). */
export function sgdStep(w, grad, buf, lr, momentum) {
  for (let i = 0; i < w.length; i++) {
    let d = grad[i];
    if (momentum !== 0) {
      buf[i] = momentum * buf[i] + d; // buf starts at 0, so the first step sets buf = grad
      d = buf[i];
    }
    w[i] -= lr * d;
  }
}

/** Grey values 0…255 of RGBA bytes: (299 R + 587 G + 114 B) / 1000 (ITU-R BT.601), not rounded. */
export function greyOf(rgba) {
  const grey = new Float64Array(rgba.length / 4);
  for (let i = 0; i < grey.length; i++) grey[i] = (299 * rgba[4 * i] + 587 * rgba[4 * i + 1] + 114 * rgba[4 * i + 2]) / 1000;
  return grey; // a grey pixel (R = G = B) keeps its value exactly
}

/**
 * The layer's input from grey values (0…255, width × height, row by row): the centre square whose
 * side is the largest multiple of SIDE that fits, averaged over block × block squares into
 * SIDE × SIDE values 0…1, then standardised (mean 0, population variance 1). The bundled
 * 256 × 256 photo is all used, averaged over 2 × 2 blocks, as in the snippet.
 */
export function preparePhoto(grey, width, height = width) {
  const block = Math.floor(Math.min(width, height) / SIDE);
  if (block < 1) throw new Error(`it is ${width} × ${height} pixels, and the layer needs at least ${SIDE} × ${SIDE}`);
  const side = block * SIDE;
  const left = Math.floor((width - side) / 2);
  const top = Math.floor((height - side) / 2);
  const pixels = new Float64Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      let sum = 0;
      for (let i = 0; i < block; i++) {
        const row = (top + y * block + i) * width + left + x * block;
        for (let j = 0; j < block; j++) sum += grey[row + j] / 255;
      }
      pixels[y * SIDE + x] = sum / (block * block);
    }
  }
  const mean = pixels.reduce((s, v) => s + v, 0) / pixels.length;
  const variance = pixels.reduce((s, v) => s + (v - mean) ** 2, 0) / pixels.length;
  const std = Math.sqrt(variance);
  if (!(std > 0)) throw new Error("all its pixels have the same grey, so it cannot be standardised (there is nothing to filter)");
  return { pixels, image: pixels.map((v) => (v - mean) / std), crop: { left, top, side, block, width, height } };
}

// ---------------------------------------------------------------------------------------------
// The widget

/**
 * Train/Pause, shared by both widgets (each has `running`, `raf` and its `play` button): call
 * `frame` once per animation frame until it returns false or the widget is paused.
 */
function startFrames(widget, frame) {
  widget.running = true;
  widget.play.textContent = "Pause";
  widget.play.setAttribute("aria-pressed", "true");
  const loop = () => {
    if (!widget.running || frame() === false) return;
    widget.raf = requestAnimationFrame(loop);
  };
  widget.raf = requestAnimationFrame(loop);
}

/** Stop the frames and reset the button; returns whether the widget was running. */
function stopFrames(widget) {
  if (widget.raf) cancelAnimationFrame(widget.raf);
  widget.raf = 0;
  if (!widget.running) return false;
  widget.running = false;
  widget.play.textContent = "Train";
  widget.play.setAttribute("aria-pressed", "false");
  return true;
}

function fmt(v, digits = 3) {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? "not a number" : v > 0 ? "∞" : "−∞";
  if (v !== 0 && (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3)) return minus(v.toExponential(2));
  return formatNumber(v, digits);
}

function cssColour(name, fallback) {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** RGB for a weight in [−1, 1] (scaled): blue for negative, grey for 0, orange for positive. */
function weightColour(t) {
  const grey = [128, 128, 128];
  const end = t >= 0 ? [230, 110, 40] : [40, 120, 230];
  const a = Math.min(1, Math.abs(t));
  return grey.map((g, i) => Math.round(g + (end[i] - g) * a));
}

class Learner {
  constructor(root) {
    this.root = root;
    const links = [...root.querySelectorAll("a[href]")];
    this.photoUrl = links.find((a) => a.href.endsWith(".png"))?.href;
    this.startUrl = links.find((a) => a.href.endsWith(".json"))?.href;
    this.ready = false;
    this.staged = null; // the parts of the first start still to run (inTasks)
    this.targetValues = Float64Array.from(TARGETS.sobel_x.kernel); // what the grid holds
    this.target = Float64Array.from(this.targetValues); // last valid target kernel
    this.cellErrors = new Map();
    this.lr = 0.1;
    this.w = new Float64Array(K * K);
    this.buf = new Float64Array(K * K);
    this.grad = new Float64Array(K * K);
    this.out = new Float64Array(OUT * OUT);
    this.shown = new Float64Array(OUT * OUT);
    this.targetOut = new Float64Array(OUT * OUT);
    this.losses = [];
    this.running = false;
    this.version = 0;
    this.stepMs = NaN;
    this.build();
  }

  id(name) {
    return `kl-${name}`;
  }

  build() {
    const id = (n) => this.id(n);
    const label = (control, text) => field(control, text, "kl");
    const select = (name, options, value) => {
      const s = el("select", { id: id(name) });
      for (const [v, text] of Object.entries(options)) s.append(el("option", { value: v, text }));
      s.value = value;
      return s;
    };

    const photoSelect = select("photo", { camera: "The cameraman (the playground's)" }, "camera");
    const file = el("input", { id: id("file"), type: "file", accept: "image/*" });
    const targetSelect = select("target", Object.fromEntries(Object.entries(TARGETS).map(([k, v]) => [k, v.label])), "sobel_x");
    const flip = el("input", { id: id("flip"), type: "checkbox" });
    const grid = el("div", { id: id("grid"), class: "kl-grid", role: "group", "aria-label": "Target kernel, 3 rows × 3 columns" });
    this.cells = [];
    for (let i = 0; i < K; i++) {
      for (let j = 0; j < K; j++) {
        const cell = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", spellcheck: "false",
          id: id(`cell-${i}-${j}`), "aria-label": `Target row ${i + 1}, column ${j + 1}` });
        cell.addEventListener("input", () => this.editCell(i * K + j, cell.value));
        this.cells.push(cell);
      }
    }
    grid.append(...this.cells);
    const startSelect = select("start", STARTS, "snippet");
    const seed = el("input", { id: id("seed"), type: "text", inputmode: "numeric", value: "1", autocomplete: "off", size: "8" });
    const lr = el("input", { id: id("lr"), type: "text", inputmode: "decimal", value: String(this.lr), autocomplete: "off", size: "8" });
    const optimiser = select("optimiser", { momentum: "SGD with momentum 0.9", sgd: "SGD" }, "momentum");
    const speed = select("speed", { 1: "1 step per frame (slow)", 5: "5 steps per frame", 20: "20 steps per frame", 100: "up to 100 steps per frame (fast)" }, "5");
    const play = el("button", { id: id("play"), type: "button", text: "Train" });
    const step = el("button", { id: id("step"), type: "button", text: "Step" });
    const reset = el("button", { id: id("reset"), type: "button", text: "Reset" });
    const error = el("div", { id: id("error"), class: "kl-error", role: "alert", hidden: true });
    const diverged = el("div", { id: id("diverged"), class: "kl-error", role: "alert", hidden: true });
    const divergedText = el("span", { id: id("diverged-text") });
    const divergedReset = el("button", { id: id("diverged-reset"), type: "button", text: "Reset" });
    diverged.append(divergedText, " ", divergedReset);
    const status = el("p", { id: id("status"), class: "kl-status", "aria-live": "polite" });

    const canvas = (name, w, h, text) => el("canvas", { id: id(name), width: w, height: h, role: "img", "aria-label": text });
    const kernelCanvas = canvas("kernel-picture", K, K, "Picture of the learned kernel");
    const goalCanvas = canvas("goal-picture", K, K, "Picture of the goal kernel");
    const numbers = el("table", { id: id("numbers"), class: "kl-numbers" });
    const goalNumbers = el("table", { id: id("goal-numbers"), class: "kl-numbers" });
    const lossCanvas = canvas("loss", 640, 240, "Loss curve");
    const inCanvas = canvas("in", SIDE, SIDE, "The photo the kernel filters");
    const targetCanvas = canvas("target-out", OUT, OUT, "The target output");
    const outCanvas = canvas("out", OUT, OUT, "The layer's current output");

    const figure = (content, caption, cls) => el("figure", { class: cls }, content, el("figcaption", {}, caption));
    this.root.replaceChildren(el("div", { class: "kl" },
      el("fieldset", {}, el("legend", { text: "What to learn" }),
        el("div", { class: "kl-row" }, label(photoSelect, "Photo"),
          label(file, "or your own photo (it stays in your browser; you can also drop it here)")),
        el("div", { class: "kl-row" }, label(targetSelect, "Target kernel")),
        el("div", { class: "kl-row" }, el("div", {}, el("p", { class: "kl-note", text: "Target weights (edit to make your own):" }), grid)),
        el("div", { class: "kl-row" }, label(flip, "The target was made by true convolution (the kernel flipped)"))),
      el("fieldset", {}, el("legend", { text: "How to learn it" }),
        el("div", { class: "kl-row" }, label(startSelect, "Start")),
        el("div", { class: "kl-row" }, label(seed, "Seed"), label(lr, "Learning rate"), label(optimiser, "Optimiser")),
        el("div", { class: "kl-row" }, play, step, reset, label(speed, "Speed"))),
      error, diverged, status,
      el("div", { class: "kl-kernels" },
        figure(el("div", { class: "kl-pair" }, kernelCanvas, numbers), el("span", { id: id("kernel-caption"), text: "Learned kernel" }), "kl-kernel"),
        figure(el("div", { class: "kl-pair" }, goalCanvas, goalNumbers), el("span", { id: id("goal-caption"), text: "Goal" }), "kl-kernel")),
      figure(lossCanvas, el("span", { id: id("loss-caption"), text: "Loss (mean squared error), log scale, against the step" }), "kl-loss"),
      el("div", { class: "kl-images" },
        figure(inCanvas, el("span", { id: id("in-caption"), text: "Photo (128 × 128, standardised)" }), ""),
        figure(targetCanvas, "Target output", ""),
        figure(outCanvas, el("span", { id: id("out-caption"), text: "Layer output" }), ""))));

    Object.assign(this, { photoSelect, file, targetSelect, flip, startSelect, seed, lrInput: lr, optimiser, speed, play, stepButton: step,
      reset, error, diverged, divergedText, divergedReset, status, kernelCanvas, goalCanvas, numbers, goalNumbers,
      lossCanvas, inCanvas, targetCanvas, outCanvas });

    photoSelect.addEventListener("change", () => this.usePhoto(photoSelect.value === "own" ? this.ownPhoto : this.camera));
    file.addEventListener("change", () => file.files.length && this.loadOwn(file.files[0]));
    acceptDrops(this.root, (dropped) => this.loadOwn(dropped));
    targetSelect.addEventListener("change", () => this.chooseTarget(targetSelect.value));
    flip.addEventListener("change", () => this.restart());
    startSelect.addEventListener("change", () => this.restart());
    seed.addEventListener("change", () => this.restart());
    optimiser.addEventListener("change", () => this.restart());
    lr.addEventListener("change", () => this.readRate());
    play.addEventListener("click", () => (this.running ? this.pause() : this.train()));
    step.addEventListener("click", () => this.stepPressed());
    reset.addEventListener("click", () => this.restart());
    divergedReset.addEventListener("click", () => {
      this.restart();
      this.reset.focus();
    });
    this.fillGrid();
    this.setBusy(true);
    // The palette toggle switches palettes by changing an attribute of <body>: redraw in the new colours.
    new MutationObserver(() => this.ready && this.drawLoss()).observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
  }

  setBusy(busy) {
    for (const b of [this.play, this.stepButton, this.reset]) b.disabled = busy;
  }

  async load() {
    try {
      const [photo, start] = await Promise.all([fetchOk(this.photoUrl).then((r) => r.blob()), fetchOk(this.startUrl).then((r) => r.json())]);
      this.exported = start;
      this.startSelect.querySelector("option[value=snippet]").textContent = `${STARTS.snippet}: torch.manual_seed(${start.seed})`;
      this.camera = await this.readPhoto(photo, "The cameraman", false);
      await nextTask();
      this.showPhoto(this.ownPhoto ?? this.camera); // the reader may have dropped one already
      this.ready = true;
      await inTasks(this, this.restartParts()); // the first start one part per task
      this.setBusy(false);
    } catch (problem) {
      this.showError(`The photo or the starting kernel could not be loaded (${problem.message}).`);
    }
  }

  /** A photo (a fetched or a reader's file) made into the layer's input; throws a message. */
  async readPhoto(blob, name, own) {
    const { rgba, width, height } = await readImage(blob, el("canvas"));
    try {
      return { ...preparePhoto(greyOf(rgba), width, height), name, own };
    } catch (problem) {
      throw new Error(`“${name}” cannot be used: ${problem.message}`);
    }
  }

  /** The reader's own photo, from the file picker or dropped on the widget. */
  async loadOwn(file) {
    let photo;
    try {
      photo = await this.readPhoto(file, file.name, true);
    } catch (problem) {
      this.showError(`${problem.message}; the photo in use is kept.`, "photo");
      return;
    }
    this.ownPhoto = photo;
    let option = this.photoSelect.querySelector("option[value=own]");
    if (!option) this.photoSelect.append((option = el("option", { value: "own" })));
    option.textContent = `Your photo: ${file.name}`;
    this.photoSelect.value = "own";
    if (this.errorKind === "photo") this.clearError();
    if (this.ready) this.usePhoto(photo);
  }

  /** Filter this photo from now on: the run starts again. */
  usePhoto(photo) {
    if (!photo) return;
    this.showPhoto(photo);
    this.restart();
  }

  /** The photo drawn and described; the layer's input from now on. */
  showPhoto(photo) {
    Object.assign(this, { image: photo.image, pixels: photo.pixels, photo });
    const { left, top, side, block, width, height } = photo.crop;
    const part = side === width && side === height ? `${width} × ${height}` : `the centre ${side} × ${side} of ${width} × ${height} (from x ${left}, y ${top})`;
    const averaged = block > 1 ? `, averaged over ${block} × ${block} blocks` : "";
    const text = `${photo.own ? `Your photo, ${photo.name}` : photo.name}: ${part}${averaged} to ${SIDE} × ${SIDE}, standardised`;
    const short = side === width && side === height ? `${width} × ${height}` : `centre ${side} × ${side} of ${width} × ${height}`;
    document.getElementById(this.id("in-caption")).textContent = `${photo.name}: ${short}, ${block} × ${block} blocks, standardised`;
    this.inCanvas.setAttribute("aria-label", `The photo the kernel filters. ${text}`);
    if (this.errorKind === "photo") this.clearError(); // a photo in use now: the message is stale
    this.drawPhoto();
  }

  // -- the reader's choices --------------------------------------------------------------------

  fillGrid() {
    this.cells.forEach((cell, i) => {
      cell.value = String(Number(this.targetValues[i].toPrecision(4)));
      cell.removeAttribute("aria-invalid");
    });
    this.cellErrors.clear();
  }

  chooseTarget(name) {
    if (name !== "custom") {
      this.targetValues = Float64Array.from(TARGETS[name].kernel);
      this.fillGrid();
      this.checkGrid();
    }
  }

  editCell(index, text) {
    const parsed = parseNumber(text);
    const cell = this.cells[index];
    if (parsed.error) {
      this.cellErrors.set(index, parsed.error);
      cell.setAttribute("aria-invalid", "true");
    } else {
      this.cellErrors.delete(index);
      cell.removeAttribute("aria-invalid");
      this.targetValues[index] = parsed.value;
    }
    this.targetSelect.value = "custom";
    this.checkGrid();
  }

  checkGrid() {
    if (this.cellErrors.size) {
      const [index, problem] = [...this.cellErrors.entries()].sort((a, b) => a[0] - b[0])[0];
      return this.showError(`Target row ${Math.floor(index / K) + 1}, column ${(index % K) + 1} ${problem}: the last valid target is kept.`, "target");
    }
    const index = this.unrepresentable(this.targetValues);
    if (index >= 0) {
      this.cells[index].setAttribute("aria-invalid", "true");
      const typed = this.cells[index].value.trim();
      return this.showError(`Target row ${Math.floor(index / K) + 1}, column ${(index % K) + 1}: “${typed}” is too large: on this photo the target output, and so the loss, would not be a finite number. The last valid target is kept.`, "target");
    }
    this.target = Float64Array.from(this.targetValues);
    if (this.errorKind === "target") this.clearError(); // a message about something else stays
    this.restart();
  }

  /**
   * -1 if the target kernel `values` gives a finite loss from the start on the current photo;
   * otherwise the index of its largest weight (in size), the one to blame.
   */
  unrepresentable(values) {
    if (!this.ready) return -1;
    const goal = this.flip.checked ? Float64Array.from(values).reverse() : values;
    const wanted = correlate(this.image, goal, new Float64Array(OUT * OUT));
    const loss = lossAndGradient(this.image, this.startW, wanted, new Float64Array(OUT * OUT), null);
    if (Number.isFinite(loss)) return -1;
    let index = 0;
    values.forEach((v, i) => {
      if (Math.abs(v) > Math.abs(values[index])) index = i;
    });
    return index;
  }

  /** Read the learning rate field; keeps the last valid rate (and says so) if it is not valid. */
  readRate() {
    const parsed = parseNumber(this.lrInput.value);
    let problem = parsed.error ? `The learning rate ${parsed.error}` : "";
    if (!problem && !(parsed.value > 0)) problem = `The learning rate must be greater than 0 (it is ${fmt(parsed.value)})`;
    if (problem) {
      this.lrInput.setAttribute("aria-invalid", "true");
      this.lrInput.setAttribute("aria-describedby", this.error.id);
      this.showError(`${problem}: Train and Step keep using the last valid rate, ${fmt(this.lr, 6)}. Type a positive number such as 0.05.`, "rate");
      return false;
    }
    this.lrInput.removeAttribute("aria-invalid");
    this.lrInput.removeAttribute("aria-describedby");
    this.lr = parsed.value;
    if (this.errorKind === "rate") this.clearError();
    this.showStatus();
    return true;
  }

  readSeed() {
    const text = this.seed.value.trim();
    if (!/^\d{1,10}$/.test(text) || Number(text) > 4294967295) {
      this.seed.setAttribute("aria-invalid", "true");
      this.showError(`The seed must be a whole number from 0 to 4294967295 (it is “${text}”); the last valid start is kept.`, "seed");
      return null;
    }
    this.seed.removeAttribute("aria-invalid");
    if (this.errorKind === "seed") this.clearError();
    return Number(text);
  }

  /** Show a message; `kind` ("photo", "target", …) says which later success clears it. */
  showError(message, kind = "") {
    this.error.textContent = message;
    this.error.hidden = false;
    this.errorKind = kind;
  }

  clearError() {
    this.error.hidden = true;
    this.error.textContent = "";
    this.errorKind = "";
  }

  // -- training --------------------------------------------------------------------------------

  /** The kernel the layer should end up with: the target, flipped if it was used by convolution. */
  goal() {
    return this.flip.checked ? Float64Array.from(this.target).reverse() : Float64Array.from(this.target);
  }

  restart() {
    this.staged = null;
    for (const part of this.restartParts()) part();
  }

  /** A restart in three parts: the start kernel and its loss, the goal drawn, then the rest drawn
   * (none if the seed is invalid). */
  restartParts() {
    this.pause();
    if (!this.ready) return [];
    const seed = this.readSeed();
    this.seed.disabled = this.startSelect.value === "snippet";
    if (seed === null && this.startSelect.value !== "snippet") return [];
    return [() => this.start(seed), () => this.drawTarget(), () => this.refresh()];
  }

  /** Back to step 0 from the chosen start. */
  start(seed) {
    this.momentum = this.optimiser.value === "momentum" ? 0.9 : 0;
    this.w = startKernel(this.startSelect.value, seed ?? 0, this.exported.kernel);
    this.startW = Float64Array.from(this.w);
    this.buf.fill(0);
    this.steps = 0;
    this.losses = [];
    this.isDiverged = false;
    this.learned = false;
    this.diverged.hidden = true;
    correlate(this.image, this.goal(), this.targetOut);
    this.goalKernel = this.goal();
    this.startLoss = lossAndGradient(this.image, this.w, this.targetOut, this.out, null);
    this.loss = this.startLoss;
    this.shown.set(this.out);
    this.shownStep = 0;
    this.setTrainable(true);
  }

  /** n steps of gradient descent, then the loss of the new kernel. Returns false on divergence. */
  run(n, redraw = true) {
    if (this.isDiverged) return false;
    const t0 = performance.now();
    let done = 0;
    for (; done < n && this.steps < MAX_STEPS; done++) {
      const loss = lossAndGradient(this.image, this.w, this.targetOut, this.out, this.grad);
      this.losses.push(loss);
      sgdStep(this.w, this.grad, this.buf, this.lr, this.momentum);
      this.steps++;
      if (!this.check(loss)) break;
    }
    if (done) this.stepMs = (performance.now() - t0) / done;
    if (!this.isDiverged) {
      const loss = lossAndGradient(this.image, this.w, this.targetOut, this.out, null);
      if (this.check(loss)) this.loss = loss;
    } else if (this.w.every(Number.isFinite)) {
      correlate(this.image, this.w, this.out); // the diverged kernel's output, if it is finite
    }
    if (this.w.every(Number.isFinite) && this.out.every(Number.isFinite)) {
      this.shown.set(this.out); // only finite outputs are ever drawn
      this.shownStep = this.steps;
    }
    this.learned = !this.isDiverged && this.loss < LEARNED;
    if (redraw || this.isDiverged) this.refresh();
    return !this.isDiverged;
  }

  /** A loss that is not finite, or huge compared with the start, means the steps diverged. */
  check(loss) {
    if (Number.isFinite(loss) && loss <= DIVERGED * Math.max(this.startLoss, 1) && this.w.every(Number.isFinite)) return true;
    this.isDiverged = true;
    this.loss = loss;
    this.pause();
    this.setTrainable(false);
    this.divergedText.textContent = `The loss diverged at step ${this.steps}: it grew from ${fmt(this.startLoss)} to ${fmt(loss)} because the learning rate ${fmt(this.lr, 6)} is too large. Reset starts again from the same kernel; lower the learning rate first.`;
    this.diverged.hidden = false;
    return false;
  }

  setTrainable(on) {
    this.play.disabled = !on;
    this.stepButton.disabled = !on;
  }

  stepPressed(n = 1) {
    if (!this.ready || this.isDiverged) return;
    this.readRate(); // an invalid rate is reported, and the last valid one is used
    this.pause();
    this.run(n);
  }

  train() {
    if (!this.ready || this.isDiverged) return;
    this.readRate(); // an invalid rate is reported, and the last valid one is used
    if (this.learned || this.steps >= MAX_STEPS) return this.showStatus();
    startFrames(this, () => {
      const wanted = Number(this.speed.value);
      const start = performance.now();
      let done = 0;
      // Work in small slices: stop the frame's work after FRAME_BUDGET_MS.
      while (done < wanted && performance.now() - start < FRAME_BUDGET_MS) {
        const n = Math.min(5, wanted - done);
        if (!this.run(n, false)) return false;
        done += n;
      }
      this.refresh(); // draw once per frame
      if (this.learned || this.steps >= MAX_STEPS) return this.pause();
      return true;
    });
  }

  /** Stop training; returns false (which also stops the frames when a frame calls it). */
  pause() {
    if (stopFrames(this)) this.showStatus();
    return false;
  }

  distance() {
    let s = 0;
    for (let i = 0; i < K * K; i++) s += (this.w[i] - this.goalKernel[i]) ** 2;
    return Math.sqrt(s);
  }

  // -- drawing ---------------------------------------------------------------------------------

  refresh() {
    this.drawKernel(this.kernelCanvas, this.numbers, this.w, "Learned kernel");
    this.drawOutput();
    this.drawLoss();
    this.showStatus();
    this.version++;
  }

  showStatus() {
    if (!this.ready) return;
    const opt = this.momentum ? "SGD with momentum 0.9" : "SGD";
    let text = `Step ${this.steps}: loss ${fmt(this.loss)}, distance to the goal kernel ${fmt(this.distance())} (${opt}, learning rate ${fmt(this.lr, 6)}).`;
    if (this.learned) text += " The kernel has been learned: the loss is below 10⁻²⁰.";
    else if (this.steps >= MAX_STEPS) text += ` Stopped after ${MAX_STEPS} steps.`;
    if (Number.isFinite(this.stepMs)) text += ` One step takes ${this.stepMs.toFixed(2)} ms here.`;
    this.status.textContent = this.running ? "Training…" : text;
  }

  drawKernel(canvas, table, w, name) {
    const finite = w.every(Number.isFinite);
    const scale = Math.max(...this.goalKernel.map(Math.abs), ...(finite ? w.map(Math.abs) : [0]), 1e-12);
    if (finite) { // NaN or ∞ never reaches the picture: it keeps its last finite state
      const rgba = new Uint8ClampedArray(K * K * 4);
      for (let i = 0; i < K * K; i++) rgba.set([...weightColour(w[i] / scale), 255], 4 * i);
      canvas.getContext("2d").putImageData(new ImageData(rgba, K, K), 0, 0);
    }
    const rows = [];
    for (let i = 0; i < K; i++) {
      rows.push(el("tr", {}, ...[0, 1, 2].map((j) => el("td", { text: fmt(w[i * K + j]) }))));
    }
    table.replaceChildren(el("caption", { text: `${name}, weights` }), el("tbody", {}, ...rows));
    const described = [...w].map((v) => fmt(v)).join(", ");
    canvas.setAttribute("aria-label", `${name}: orange positive, blue negative, grey zero. Weights row by row: ${described}`);
  }

  drawTarget() {
    const flipped = this.flip.checked;
    const name = flipped ? "Goal: the target flipped (true convolution)" : "Goal: the target kernel";
    document.getElementById(this.id("goal-caption")).textContent = name;
    this.drawKernel(this.goalCanvas, this.goalNumbers, this.goalKernel, name);
    this.targetRange = this.range(this.targetOut);
    this.paint(this.targetCanvas, this.targetOut, OUT, this.targetRange);
    const op = flipped ? "true convolution with the target" : "cross-correlation with the target";
    this.targetCanvas.setAttribute("aria-label", `Target output: ${op}, 126 × 126 pixels`);
  }

  drawPhoto() {
    this.paint(this.inCanvas, this.pixels, SIDE, { lo: 0, hi: 1 });
  }

  drawOutput() {
    this.paint(this.outCanvas, this.shown, OUT, this.targetRange);
    const stale = this.shownStep !== this.steps ? ` (step ${this.shownStep}: the last one that is finite)` : "";
    const text = `Layer output at step ${this.shownStep}${stale ? ", the last one that is finite" : ""}, drawn on the target output's grey scale`;
    this.outCanvas.setAttribute("aria-label", text);
    document.getElementById(this.id("out-caption")).textContent = `Layer output${stale}`;
  }

  range(values) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    return hi > lo ? { lo, hi } : { lo: lo - 1, hi: lo + 1 };
  }

  paint(canvas, values, side, { lo, hi }) {
    const rgba = new Uint8ClampedArray(side * side * 4);
    const scale = 255 / (hi - lo);
    for (let i = 0; i < side * side; i++) {
      const v = (values[i] - lo) * scale; // Uint8ClampedArray clips to 0…255
      rgba[4 * i] = rgba[4 * i + 1] = rgba[4 * i + 2] = v;
      rgba[4 * i + 3] = 255;
    }
    canvas.getContext("2d").putImageData(new ImageData(rgba, side, side), 0, 0);
  }

  drawLoss() {
    const canvas = this.lossCanvas;
    const ctx = canvas.getContext("2d");
    const { width, height } = canvas;
    const fg = cssColour("--md-default-fg-color", "#333");
    const line = cssColour("--md-typeset-a-color", "#1b5e9e");
    const faint = cssColour("--md-default-fg-color--lightest", "#8883");
    ctx.clearRect(0, 0, width, height);
    const values = [...this.losses, this.loss].filter((v) => Number.isFinite(v) && v > 0).map(Math.log10);
    const left = 56;
    const bottom = height - 28;
    const top = 10;
    const right = width - 10;
    ctx.font = "14px system-ui, sans-serif";
    ctx.fillStyle = fg;
    ctx.strokeStyle = fg;
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(left, top);
    ctx.lineTo(left, bottom);
    ctx.lineTo(right, bottom);
    ctx.stroke();
    const n = Math.max(50, this.losses.length);
    ctx.textAlign = "center";
    ctx.fillText("0", left, height - 8);
    ctx.fillText(`${n} steps`, right - 30, height - 8);
    if (!values.length) return;
    let lo = Math.floor(Math.min(...values));
    let hi = Math.ceil(Math.max(...values));
    if (hi === lo) hi = lo + 1;
    const yOf = (v) => bottom - ((v - lo) / (hi - lo)) * (bottom - top);
    const xOf = (i) => left + (i / n) * (right - left);
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    for (let p = lo; p <= hi; p += every) {
      ctx.fillStyle = fg;
      ctx.fillText(`1e${p}`, left - 6, yOf(p));
      ctx.fillStyle = faint;
      ctx.fillRect(left + 1, Math.round(yOf(p)), right - left, 1);
    }
    ctx.textBaseline = "alphabetic";
    ctx.strokeStyle = line;
    ctx.lineWidth = 2;
    ctx.beginPath();
    values.forEach((v, i) => (i ? ctx.lineTo(xOf(i), yOf(v)) : ctx.moveTo(xOf(i), yOf(v))));
    ctx.stroke();
    canvas.setAttribute("aria-label", `Loss curve, log scale: ${fmt(this.startLoss)} at the start, ${fmt(this.loss)} after ${this.steps} steps`);
  }
}


// ---------------------------------------------------------------------------------------------
// A tiny CNN on the 8 × 8 digits, three ways: in digits.js (startDigits).

function start() {
  const digits = startDigits();
  const root = claim("kernel-learner");
  if (!root) return;
  const learner = new Learner(root);
  // A read-only view for the tests and for curious readers (try it in the browser console).
  window.kernelLearning = Object.freeze({
    state() {
      return {
        kernel: Array.from(learner.w),
        loss: learner.loss,
        step: learner.steps,
        distance: learner.ready ? learner.distance() : NaN,
        diverged: learner.isDiverged,
        lr: learner.lr,
        optimiser: learner.momentum ? "momentum" : "sgd",
        start: learner.startSelect.value,
        target: Array.from(learner.goalKernel || []),
        error: learner.error.hidden ? "" : learner.error.textContent,
        stepMs: learner.stepMs,
      };
    },
    step(n = 1) {
      learner.stepPressed(n);
      return this.state();
    },
    input() {
      const { name, own, crop } = learner.photo || {};
      return learner.ready ? { name, own, crop: { ...crop }, pixels: Array.from(learner.image) } : null;
    },
    get ready() { return learner.ready && learner.version > 0; }, // started and drawn
    get version() { return learner.version; },
    digits,
  });
  learner.load();
}

whenReady(start);
