// A tiny CNN on the 8 × 8 digits, three ways (snippets/learn/digits_cnn_in_pytorch.py), on the
// "Learn a kernel yourself" page (learn.js starts it):
//   conv 1 → n kernels 3 × 3 (+ bias), ReLU, 2 × 2 max pooling, linear 9n → 10, cross-entropy,
//   mini-batch SGD (torch.optim.SGD, no momentum), a new order of the training digits each epoch.
// A seed draws everything random in a run from mulberry32(seed), as the snippet does: first the
// start (PyTorch's default rule: weights and biases uniform in ±1/√fan_in, fan_in 9 for the
// kernels and 9n for the linear layer, in the order conv.weight, conv.bias, head.weight,
// head.bias), then one Fisher–Yates shuffle of the training digits per epoch.
// Parameters are stored as PyTorch flattens them: conv.weight (n, 1, 3, 3), conv.bias (n),
// head.weight (10, 9n) with inputs ordered (kernel, row, column), head.bias (10).
//
// window.kernelLearning.digits (set up by learn.js) is a read-only view for the tests:
//   state()  → {step, steps, seed, lr, kernels, error, done, stepMs, modes: {learned, random,
//               bank: {convW, convB, headW, headB, loss, accuracy}}, ten: the last 10-seed summary}
//   step(n)  → does what pressing "Step" n times does.
//   ready    → true once the digits are loaded.

import { claim, el, field, whenNear } from "./dom.js";
import { fetchOk } from "./images.js";
import { formatNumber, minus, mulberry32, readNumber } from "./numbers.js";

export const DIGIT_MODES = {
  learned: "Kernels learned",
  random: "Kernels kept at their random start",
  bank: "Kernels fixed to the hand-made bank",
};
const MAX_KERNELS = 8; // as many as the bank holds
const MAX_SEED = 1e6;
const MAX_LR = 10;
const TEN = 10; // seeds of the "10 seeds" button
const T_975_9 = 2.262157162798205; // two-sided 5 % point of Student's t with 9 degrees of freedom
const FRAME_BUDGET_MS = 8; // work per animation frame, so that the page stays responsive
const TEN_BUDGET_MS = 12; // the ten seeds draw little, so they take more of each frame

// ---------------------------------------------------------------------------------------------
// The numbers

/** Everything random in a run of `seed`: the start of the network and each epoch's order. */
export function digitsDraws(seed, n, nTrain, epochs) {
  const random = mulberry32(seed);
  const uniform = (length, fanIn) => {
    const bound = 1 / Math.sqrt(fanIn);
    return Float64Array.from({ length }, () => (2 * random() - 1) * bound);
  };
  const start = { convW: uniform(9 * n, 9), convB: uniform(n, 9), headW: uniform(90 * n, 9 * n), headB: uniform(10, 9 * n) };
  const orders = [];
  for (let e = 0; e < epochs; e++) {
    const order = Int32Array.from({ length: nTrain }, (_, i) => i);
    for (let i = nTrain - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    orders.push(order);
  }
  return { start, orders };
}

/** The three networks of one seed: the same start, kernels learned, kept, or the bank's. */
export function digitsNets(start, bank, n) {
  const copy = (convW) => ({ convW: Float64Array.from(convW), convB: Float64Array.from(start.convB),
    headW: Float64Array.from(start.headW), headB: Float64Array.from(start.headB) });
  return { learned: copy(start.convW), random: copy(start.convW), bank: copy(bank.subarray(0, 9 * n)) };
}

/** Loss of a batch; if `grads` is given, adds the gradients of the mean loss to it. */
export function digitsBatch(net, images, labels, indices, grads) {
  const { convW, convB, headW, headB } = net;
  const n = convB.length;
  const q9 = 9 * n;
  const z = new Float64Array(36 * n);
  const pooled = new Float64Array(q9);
  const where = new Int32Array(q9); // which conv output each pooled value came from
  const logits = new Float64Array(10);
  const dLogit = new Float64Array(10);
  let total = 0;
  const scale = 1 / indices.length;
  for (const s of indices) {
    const x = images.subarray(s * 64, s * 64 + 64);
    for (let c = 0; c < n; c++) {
      const w = convW.subarray(c * 9, c * 9 + 9);
      for (let y = 0; y < 6; y++) {
        for (let xx = 0; xx < 6; xx++) {
          const o = y * 8 + xx;
          z[c * 36 + y * 6 + xx] = convB[c]
            + x[o] * w[0] + x[o + 1] * w[1] + x[o + 2] * w[2]
            + x[o + 8] * w[3] + x[o + 9] * w[4] + x[o + 10] * w[5]
            + x[o + 16] * w[6] + x[o + 17] * w[7] + x[o + 18] * w[8];
        }
      }
      for (let py = 0; py < 3; py++) {
        for (let px = 0; px < 3; px++) {
          let best = -Infinity;
          let at = -1;
          for (let dy = 0; dy < 2; dy++) {
            for (let dx = 0; dx < 2; dx++) { // the first largest value wins, as in PyTorch
              const k = c * 36 + (2 * py + dy) * 6 + 2 * px + dx;
              const v = z[k] > 0 ? z[k] : 0; // ReLU
              if (v > best) {
                best = v;
                at = k;
              }
            }
          }
          pooled[c * 9 + py * 3 + px] = best;
          where[c * 9 + py * 3 + px] = at;
        }
      }
    }
    let top = -Infinity;
    for (let o = 0; o < 10; o++) {
      let v = headB[o];
      for (let q = 0; q < q9; q++) v += headW[o * q9 + q] * pooled[q];
      logits[o] = v;
      if (v > top) top = v;
    }
    let sum = 0;
    for (let o = 0; o < 10; o++) sum += Math.exp(logits[o] - top);
    const label = labels[s];
    total += Math.log(sum) + top - logits[label];
    if (!grads) continue;
    for (let o = 0; o < 10; o++) {
      const d = (Math.exp(logits[o] - top) / sum - (o === label ? 1 : 0)) * scale; // ∂loss/∂logit
      dLogit[o] = d;
      grads.headB[o] += d;
      for (let q = 0; q < q9; q++) grads.headW[o * q9 + q] += d * pooled[q];
    }
    for (let q = 0; q < q9; q++) {
      const k = where[q];
      if (!(z[k] > 0)) continue; // ReLU passes no gradient where it was 0
      let dp = 0;
      for (let o = 0; o < 10; o++) dp += headW[o * q9 + q] * dLogit[o];
      const c = (k / 36) | 0;
      const o = (((k % 36) / 6) | 0) * 8 + (k % 6);
      grads.convB[c] += dp;
      const g = c * 9;
      const gw = grads.convW;
      gw[g] += dp * x[o]; gw[g + 1] += dp * x[o + 1]; gw[g + 2] += dp * x[o + 2];
      gw[g + 3] += dp * x[o + 8]; gw[g + 4] += dp * x[o + 9]; gw[g + 5] += dp * x[o + 10];
      gw[g + 6] += dp * x[o + 16]; gw[g + 7] += dp * x[o + 17]; gw[g + 8] += dp * x[o + 18];
    }
  }
  return total * scale;
}

/** The share of digits from … to − 1 that the network labels right. */
export function digitsAccuracy(net, images, labels, from, to) {
  const n = net.convB.length;
  const q9 = 9 * n;
  let right = 0;
  const pooled = new Float64Array(q9);
  const z = new Float64Array(36);
  for (let s = from; s < to; s++) {
    const x = images.subarray(s * 64, s * 64 + 64);
    for (let c = 0; c < n; c++) {
      const w = net.convW.subarray(c * 9, c * 9 + 9);
      for (let y = 0; y < 6; y++) {
        for (let xx = 0; xx < 6; xx++) {
          const o = y * 8 + xx;
          const v = net.convB[c]
            + x[o] * w[0] + x[o + 1] * w[1] + x[o + 2] * w[2]
            + x[o + 8] * w[3] + x[o + 9] * w[4] + x[o + 10] * w[5]
            + x[o + 16] * w[6] + x[o + 17] * w[7] + x[o + 18] * w[8];
          z[y * 6 + xx] = v > 0 ? v : 0;
        }
      }
      for (let py = 0; py < 3; py++) {
        for (let px = 0; px < 3; px++) {
          const a = 2 * py * 6 + 2 * px;
          pooled[c * 9 + py * 3 + px] = Math.max(z[a], z[a + 1], z[a + 6], z[a + 7]);
        }
      }
    }
    let best = 0;
    let top = -Infinity;
    for (let o = 0; o < 10; o++) {
      let v = net.headB[o];
      for (let q = 0; q < q9; q++) v += net.headW[o * q9 + q] * pooled[q];
      if (v > top) { // the first largest wins, as argmax does
        top = v;
        best = o;
      }
    }
    if (best === labels[s]) right++;
  }
  return right / (to - from);
}

/**
 * One seed's three networks, trained step by step: the data (images, labels, n_train,
 * batch_size, epochs, bank) and the setting {seed, lr, kernels}.
 */
export class DigitsRun {
  constructor(data, setting) {
    Object.assign(this, { data, setting });
    const { start, orders } = digitsDraws(setting.seed, setting.kernels, data.nTrain, data.epochs);
    this.orders = orders;
    this.nets = digitsNets(start, data.bank, setting.kernels);
    this.perEpoch = Math.ceil(data.nTrain / data.batchSize);
    this.total = data.epochs * this.perEpoch;
    this.steps = 0;
    this.losses = { learned: [], random: [], bank: [] }; // per step
    this.accuracies = { learned: [], random: [], bank: [] }; // [step, accuracy] at each measure
    this.diverged = false;
    this.measure();
  }

  get done() {
    return this.steps >= this.total;
  }

  step() {
    if (this.done || this.diverged) return;
    const { batchSize: size, nTrain, images, labels } = this.data;
    const order = this.orders[Math.floor(this.steps / this.perEpoch)];
    const first = (this.steps % this.perEpoch) * size;
    const indices = order.subarray(first, Math.min(first + size, nTrain));
    const n = this.setting.kernels;
    for (const [mode, net] of Object.entries(this.nets)) {
      const grads = { convW: new Float64Array(9 * n), convB: new Float64Array(n), headW: new Float64Array(90 * n), headB: new Float64Array(10) };
      const loss = digitsBatch(net, images, labels, indices, grads);
      this.losses[mode].push(loss);
      if (!Number.isFinite(loss)) this.diverged = true;
      for (const name of ["convW", "convB", "headW", "headB"]) {
        if (name === "convW" && mode !== "learned") continue; // these kernels are not trained
        const p = net[name];
        const g = grads[name];
        for (let i = 0; i < p.length; i++) p[i] -= this.setting.lr * g[i];
      }
    }
    this.steps++;
  }

  measure() {
    const { images, labels, nTrain } = this.data;
    this.accuracy = {};
    for (const [mode, net] of Object.entries(this.nets)) {
      this.accuracy[mode] = digitsAccuracy(net, images, labels, nTrain, labels.length);
      const history = this.accuracies[mode];
      if (history.at(-1)?.[0] !== this.steps) history.push([this.steps, this.accuracy[mode]]);
    }
  }
}

/** Mean and sample standard deviation. */
function meanSd(values) {
  const m = values.reduce((a, b) => a + b, 0) / values.length;
  const v = values.reduce((a, b) => a + (b - m) ** 2, 0) / (values.length - 1);
  return { mean: m, sd: Math.sqrt(v) };
}

/** The paired difference a − b over seeds, as snippets/common/paired.py reports it (n = 10). */
export function pairedDifference(a, b) {
  const d = a.map((v, i) => v - b[i]);
  const { mean, sd } = meanSd(d);
  const se = sd / Math.sqrt(d.length);
  const established = se > 0 ? Math.abs(mean) / se > T_975_9 : mean !== 0;
  return { mean, se, n: d.length, wins: d.filter((v) => v > 0).length, losses: d.filter((v) => v < 0).length,
    verdict: established ? (mean > 0 ? "higher" : "lower") : "not established" };
}

/** The summary of ten seeds' held-out accuracies {learned: [...], random: [...], bank: [...]}. */
export function tenSeedSummary(acc) {
  return {
    spread: Object.fromEntries(Object.entries(acc).map(([mode, a]) => [mode, meanSd(a)])),
    comparison: {
      learned_random: pairedDifference(acc.learned, acc.random),
      learned_bank: pairedDifference(acc.learned, acc.bank),
      random_bank: pairedDifference(acc.random, acc.bank),
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The widget

const pct = (v, digits = 1) => `${minus((100 * v).toFixed(digits))}%`;
const points = (v) => `${v > 0 ? "+" : ""}${minus((100 * v).toFixed(1))}`;
const pointsAbs = (v) => (100 * v).toFixed(1); // a spread, in percentage points
const SVG = "http://www.w3.org/2000/svg";

function weightColour(t) { // orange positive, blue negative, grey 0 (as the kernel learner)
  const end = t >= 0 ? [230, 110, 40] : [40, 120, 230];
  const a = Math.min(1, Math.abs(t));
  return [128, 128, 128].map((g, i) => Math.round(g + (end[i] - g) * a));
}

/** A small line chart (inline SVG, coloured by the stylesheet): values against x from 0 to xMax. */
class LineChart {
  constructor(id, cls) {
    this.svg = document.createElementNS(SVG, "svg");
    for (const [k, v] of Object.entries({ id, class: `kd-chart ${cls}`, viewBox: "0 0 200 60", preserveAspectRatio: "none", role: "img" })) this.svg.setAttribute(k, v);
    this.axis = document.createElementNS(SVG, "path");
    this.axis.setAttribute("class", "kd-axis");
    this.axis.setAttribute("d", "M0.5 0V59.5H200");
    this.line = document.createElementNS(SVG, "polyline");
    this.line.setAttribute("class", "kd-line");
    this.svg.append(this.axis, this.line);
  }

  /** points: [[x, y], …]; y is drawn between yMin (bottom) and yMax (top). */
  draw(pts, xMax, yMin, yMax, label) {
    const x = (v) => (200 * v) / Math.max(xMax, 1);
    const y = (v) => 58 - (56 * (Math.min(Math.max(v, yMin), yMax) - yMin)) / (yMax - yMin || 1);
    this.line.setAttribute("points", pts.filter(([, v]) => Number.isFinite(v)).map(([a, b]) => `${x(a).toFixed(1)},${y(b).toFixed(1)}`).join(" "));
    this.svg.setAttribute("aria-label", label);
  }
}

class DigitsLearner {
  constructor(root) {
    this.root = root;
    this.url = [...root.querySelectorAll("a[href]")].find((a) => a.href.endsWith(".json"))?.href;
    this.chapter6 = [...root.querySelectorAll("a[href]")].find((a) => a.href.includes("initialisation"))?.getAttribute("href");
    this.ready = false;
    this.running = false;
    this.tenRunning = false;
    this.ten = null;
    this.invalid = new Map(); // field → message
    this.stepMs = NaN;
    this.version = 0;
    this.build();
  }

  build() {
    const button = (name, text) => el("button", { id: `kd-${name}`, type: "button", text, disabled: true });
    const input = (name, mode) => el("input", { id: `kd-${name}`, type: "text", inputmode: mode, autocomplete: "off", spellcheck: "false", size: "6", disabled: true });
    this.inputs = { seed: input("seed", "numeric"), lr: input("lr", "decimal"), kernels: input("kernels", "numeric") };
    const label = (name, text) => field(this.inputs[name], text, "kl");
    this.play = button("play", "Train");
    this.stepButton = button("step", "Step");
    this.reset = button("reset", "Reset");
    this.tenButton = button("ten", "10 seeds");
    this.status = el("p", { id: "kd-status", class: "kl-status", "aria-live": "polite", text: "Loading the digits…" });
    this.error = el("div", { id: "kd-error", class: "kl-error", role: "alert", hidden: true });
    this.progress = el("progress", { id: "kd-progress", max: "1", value: "0", "aria-label": "Progress of the ten seeds", hidden: true });
    this.tenStatus = el("p", { id: "kd-ten-status", class: "kl-status", "aria-live": "polite" });
    this.tenResult = el("div", { id: "kd-ten-result", class: "kd-ten-result" });
    this.nets = el("div", { class: "kd-nets" });
    this.root.replaceChildren(el("div", { class: "kl kd" },
      el("div", { class: "kl-row" }, label("seed", "Seed"), label("lr", "Learning rate"), label("kernels", "Kernels (1 to 8)")),
      el("div", { class: "kl-row" }, this.play, this.stepButton, this.reset),
      this.error, this.status, this.nets,
      el("div", { class: "kl-row" }, this.tenButton, this.progress),
      this.tenStatus, this.tenResult));
    for (const [name, control] of Object.entries(this.inputs)) {
      control.addEventListener("change", () => this.readSetting(name));
      control.addEventListener("keydown", (event) => { if (event.key === "Enter") this.readSetting(name); });
    }
    this.play.addEventListener("click", () => (this.running ? this.pause() : this.train()));
    this.stepButton.addEventListener("click", () => this.stepPressed(1));
    this.reset.addEventListener("click", () => this.restart());
    this.tenButton.addEventListener("click", () => (this.tenRunning ? this.cancelTen() : this.runTen()));
  }

  /** The panels of the three networks, one kernel picture per kernel. */
  buildPanels() {
    const n = this.setting.kernels;
    this.panels = {};
    this.nets.replaceChildren(...Object.entries(DIGIT_MODES).map(([mode, label]) => {
      const canvases = Array.from({ length: n }, (_, c) => el("canvas", { width: 3, height: 3, role: "img", "aria-label": `Kernel ${c + 1}` }));
      const caption = el("figcaption", { id: `kd-${mode}-caption`, text: label });
      const loss = new LineChart(`kd-${mode}-loss`, "kd-loss");
      const acc = new LineChart(`kd-${mode}-accuracy`, "kd-accuracy");
      const lossText = el("span", { class: "kd-chart-label", text: "Loss" });
      const accText = el("span", { class: "kd-chart-label", text: "Held-out accuracy" });
      this.panels[mode] = { canvases, caption, label, loss, acc, lossText, accText };
      return el("figure", { class: "kd-net", id: `kd-${mode}` },
        el("div", { class: "kd-kernels", style: `--kd-n: ${n}` }, ...canvases), caption,
        el("div", { class: "kd-charts" }, el("div", {}, loss.svg, lossText), el("div", {}, acc.svg, accText)));
    }));
  }

  async load() {
    try {
      const data = await (await fetchOk(this.url)).json();
      this.data = { images: Float64Array.from(data.images, (v) => v / 16), labels: Int32Array.from(data.labels),
        nTrain: data.n_train, batchSize: data.batch_size, epochs: data.epochs, bank: Float64Array.from(data.bank), bankNames: data.bank_names };
      this.setting = { seed: data.seed, lr: data.lr, kernels: data.n_kernels };
      for (const [name, control] of Object.entries(this.inputs)) control.value = String(this.setting[name]);
      this.ready = true;
      for (const b of [this.reset, this.tenButton, ...Object.values(this.inputs)]) b.disabled = false;
      this.restart();
    } catch (problem) {
      this.error.textContent = `The digits could not be loaded (${problem.message}).`;
      this.error.hidden = false;
    }
  }

  /** Reads one field; a bad value is named in a message and changes nothing. */
  readSetting(name) {
    if (!this.ready) return;
    const control = this.inputs[name];
    const text = control.value;
    const read = readNumber(text);
    const labels = { seed: "Seed", lr: "Learning rate", kernels: "Kernels" };
    let problem = "";
    if (read.error === "empty") problem = "is empty";
    else if (read.error) problem = `“${text.trim()}” is not a number`;
    else if (name === "lr" && !(read.value > 0)) problem = "must be more than 0";
    else if (name === "lr" && read.value > MAX_LR) problem = `must be at most ${MAX_LR}`;
    else if (name !== "lr" && !Number.isInteger(read.value)) problem = "must be a whole number";
    else if (name === "seed" && (read.value < 0 || read.value > MAX_SEED)) problem = `must be from 0 to ${MAX_SEED}`;
    else if (name === "kernels" && (read.value < 1 || read.value > MAX_KERNELS)) problem = `must be from 1 to ${MAX_KERNELS}`;
    if (problem) {
      const current = name === "lr" ? minus(String(this.setting.lr)) : String(this.setting[name]);
      this.invalid.set(name, `${labels[name]} ${problem}; still using ${current}.`);
      control.setAttribute("aria-invalid", "true");
    } else {
      this.invalid.delete(name);
      control.removeAttribute("aria-invalid");
    }
    this.error.textContent = [...this.invalid.values()].join(" ");
    this.error.hidden = this.invalid.size === 0;
    if (problem || read.value === this.setting[name]) return;
    this.cancelTen();
    this.setting = { ...this.setting, [name]: read.value };
    this.ten = null;
    this.tenStatus.textContent = "";
    this.tenResult.replaceChildren();
    this.restart();
  }

  restart() {
    this.pause();
    if (!this.ready) return;
    this.run = new DigitsRun(this.data, this.setting);
    if (this.panels?.learned.canvases.length !== this.setting.kernels) this.buildPanels();
    this.draw();
  }

  stepPressed(n) {
    if (!this.ready) return;
    this.pause();
    const t0 = performance.now();
    let k = 0;
    for (; k < n && !this.run.done && !this.run.diverged; k++) this.run.step();
    if (k) this.stepMs = (performance.now() - t0) / k;
    this.run.measure();
    this.draw();
  }

  train() {
    if (!this.ready || this.run.done || this.run.diverged) return;
    this.running = true;
    this.play.textContent = "Pause";
    this.play.setAttribute("aria-pressed", "true");
    const loop = () => {
      if (!this.running) return;
      const start = performance.now();
      let k = 0;
      while (performance.now() - start < FRAME_BUDGET_MS && !this.run.done && !this.run.diverged) {
        this.run.step();
        k++;
      }
      if (k) this.stepMs = (performance.now() - start) / k;
      this.run.measure(); // accuracy and pictures once per frame
      if (this.run.done || this.run.diverged) this.pause();
      this.draw();
      if (this.running) this.raf = requestAnimationFrame(loop);
    };
    this.raf = requestAnimationFrame(loop);
    this.draw();
  }

  pause() {
    if (this.raf) cancelAnimationFrame(this.raf);
    this.raf = 0;
    if (!this.running) return;
    this.running = false;
    this.play.textContent = "Train";
    this.play.setAttribute("aria-pressed", "false");
    this.draw();
  }

  draw() {
    const run = this.run;
    const finished = run.done || run.diverged;
    // At the last step Train and Step have nothing left to do (Reset or a new setting starts
    // again); keyboard focus on one of them moves to Reset rather than to the page's start.
    const focused = document.activeElement === this.play || document.activeElement === this.stepButton;
    this.play.disabled = finished;
    this.stepButton.disabled = finished;
    if (finished && focused) this.reset.focus();
    const maxLoss = Math.max(...Object.values(run.losses).flatMap((l) => l.slice(0, 50)).filter(Number.isFinite), Math.log(10));
    for (const [mode, net] of Object.entries(run.nets)) {
      const { canvases, caption, label, loss, acc, lossText, accText } = this.panels[mode];
      canvases.forEach((canvas, c) => {
        const w = net.convW.subarray(c * 9, c * 9 + 9);
        const scale = Math.max(...w.map(Math.abs), 1e-12);
        const rgba = new Uint8ClampedArray(36);
        for (let i = 0; i < 9; i++) rgba.set([...weightColour(w[i] / scale), 255], 4 * i);
        canvas.getContext("2d").putImageData(new ImageData(rgba, 3, 3), 0, 0);
        const name = mode === "bank" ? ` (${this.data.bankNames[c]})` : "";
        canvas.setAttribute("aria-label", `${label}, kernel ${c + 1}${name}: ${[...w].map((v) => formatNumber(v, 3)).join(", ")}`);
      });
      const a = run.accuracy[mode];
      caption.textContent = `${label}: ${pct(a)} of the held-out digits right`;
      const losses = run.losses[mode];
      const last = losses.at(-1);
      const lossNow = last === undefined ? "no step yet" : `${formatNumber(last, 3)} at step ${run.steps}`;
      // The loss per step is noisy (each mini-batch differs): a running mean over 10 steps.
      const smooth = [];
      let sum = 0;
      losses.forEach((v, i) => {
        sum += v - (i >= 10 ? losses[i - 10] : 0);
        smooth.push([i + 1, sum / Math.min(i + 1, 10)]);
      });
      loss.draw(smooth, run.total, 0, maxLoss, `${label}: loss per step (mean of the last 10 steps), ${lossNow}`);
      lossText.textContent = `Loss: ${lossNow}`;
      acc.draw(run.accuracies[mode], run.total, 0, 1, `${label}: held-out accuracy, ${pct(a)} at step ${run.steps}`);
      accText.textContent = `Held-out accuracy: ${pct(a)}`;
    }
    const { seed, lr, kernels } = this.setting;
    const setting = `seed ${seed}, learning rate ${minus(String(lr))}, ${kernels} kernel${kernels > 1 ? "s" : ""}, mini-batches of ${this.data.batchSize} digits`;
    let status = `Step ${run.steps} of ${run.total} (${setting}).`;
    if (this.running) status = `Training… step ${run.steps} of ${run.total} (${setting}).`;
    if (run.done) status += " Done: as many steps as the snippet. Reset or change a setting to train again.";
    if (run.diverged) status += " The loss is no longer a number: this learning rate is too large. Lower it or reset.";
    this.status.textContent = status;
    this.version++;
  }

  // -- ten seeds -------------------------------------------------------------------------------

  runTen() {
    if (!this.ready) return;
    this.pause();
    const { seed, lr, kernels } = this.setting;
    const runs = Array.from({ length: TEN }, (_, i) => ({ seed: seed + i, lr, kernels }));
    let current = null;
    let index = 0;
    const acc = { learned: [], random: [], bank: [] };
    const total = TEN * Math.ceil(this.data.nTrain / this.data.batchSize) * this.data.epochs;
    let done = 0;
    const t0 = performance.now();
    this.tenRunning = true;
    this.tenButton.textContent = "Cancel the 10 seeds";
    this.progress.hidden = false;
    this.progress.value = 0;
    this.tenResult.replaceChildren();
    this.tenStatus.textContent = `Training seeds ${seed} to ${seed + TEN - 1}…`;
    const frame = () => {
      if (!this.tenRunning) return;
      const start = performance.now();
      while (performance.now() - start < TEN_BUDGET_MS && index < TEN) {
        current ??= new DigitsRun(this.data, runs[index]);
        current.step();
        done++;
        if (current.done || current.diverged) {
          current.measure();
          for (const mode of Object.keys(acc)) acc[mode].push(current.accuracy[mode]);
          current = null;
          index++;
        }
      }
      this.progress.value = done / total;
      this.tenStatus.textContent = `Training seeds ${seed} to ${seed + TEN - 1}: seed ${Math.min(seed + index, seed + TEN - 1)}, ${Math.round((100 * done) / total)}% done.`;
      if (index < TEN) {
        this.tenRaf = requestAnimationFrame(frame);
        return;
      }
      this.tenMs = performance.now() - t0;
      this.ten = { first: seed, lr, kernels, accuracy: acc, ...tenSeedSummary(acc), ms: this.tenMs };
      this.stopTen(`Seeds ${seed} to ${seed + TEN - 1}, each trained for ${total / TEN} steps (${formatNumber(this.tenMs / 1000, 1)} s).`);
      this.showTen();
    };
    this.tenRaf = requestAnimationFrame(frame);
  }

  stopTen(text) {
    if (this.tenRaf) cancelAnimationFrame(this.tenRaf);
    this.tenRaf = 0;
    this.tenRunning = false;
    this.tenButton.textContent = "10 seeds";
    this.progress.hidden = true;
    this.tenStatus.textContent = text;
  }

  cancelTen() {
    if (this.tenRunning) this.stopTen("The ten seeds were cancelled.");
  }

  showTen() {
    const { spread, comparison, accuracy, first } = this.ten;
    const names = { learned: "learned", random: "kept random", bank: "fixed bank" };
    const row = (cells, tag = "td") => el("tr", {}, ...cells.map((c) => el(tag, { text: c })));
    const accTable = el("table", { id: "kd-ten-accuracy", class: "kd-table" },
      el("caption", { text: "Held-out accuracy over the ten seeds" }),
      row(["Kernels", "Mean", "Standard deviation"], "th"),
      ...Object.entries(spread).map(([mode, s]) => row([names[mode], pct(s.mean), `${pointsAbs(s.sd)} points`])));
    const pairs = { learned_random: "learned − kept random", learned_bank: "learned − fixed bank", random_bank: "kept random − fixed bank" };
    const diffTable = el("table", { id: "kd-ten-paired", class: "kd-table" },
      el("caption", { text: "Paired differences seed by seed (percentage points)" }),
      row(["Difference", "Mean ± standard error", "Seeds won / lost", "Verdict (paired t-test, 5 %)"], "th"),
      ...Object.entries(pairs).map(([key, text]) => {
        const c = comparison[key];
        return row([text, `${points(c.mean)} ± ${pointsAbs(c.se)}`, `${c.wins} / ${c.losses}`, c.verdict]);
      }));
    const one = accuracy.learned[0] - accuracy.bank[0];
    const lb = comparison.learned_bank;
    const onePoint = one === 0 ? "tied with the bank" : `${one > 0 ? "ahead of" : "behind"} the bank by ${pointsAbs(Math.abs(one))} points`;
    const link = el("a", { href: this.chapter6 || "../initialisation/", text: "Chapter 6" });
    const verdict = lb.verdict === "not established"
      ? `over ten seeds the difference is ${points(lb.mean)} ± ${pointsAbs(lb.se)} points, within the seed-to-seed noise, so one run cannot tell which is better.`
      : `over ten seeds the difference is ${points(lb.mean)} ± ${pointsAbs(lb.se)} points, ${lb.wins} seeds won and ${lb.losses} lost: an effect that one run could only hint at.`;
    const sentence = el("p", { id: "kd-ten-sentence", class: "kl-note" },
      `With seed ${first} alone the learned kernels were ${onePoint}; ${verdict} `, link,
      " makes the same point with more seeds and a larger network.");
    this.tenResult.replaceChildren(el("div", { class: "kd-table-wrap" }, accTable), el("div", { class: "kd-table-wrap" }, diffTable), sentence);
  }
}

/** Starts the digits learner in its placeholder, if the page has one; returns the test view. */
export function startDigits() {
  const root = claim("digits-learner");
  if (!root) return null;
  const learner = new DigitsLearner(root);
  whenNear(root, () => learner.load());
  const copy = (net) => Object.fromEntries(Object.entries(net).map(([k, v]) => [k, Array.from(v)]));
  return Object.freeze({
    state() {
      if (!learner.ready) return null;
      const run = learner.run;
      const modes = Object.fromEntries(Object.keys(run.nets).map((mode) =>
        [mode, { ...copy(run.nets[mode]), loss: run.losses[mode].at(-1) ?? NaN, accuracy: run.accuracy[mode] }]));
      return { step: run.steps, steps: run.total, ...learner.setting, done: run.done, diverged: run.diverged,
        error: learner.error.hidden ? "" : learner.error.textContent, modes, stepMs: learner.stepMs,
        tenRunning: learner.tenRunning, ten: learner.ten };
    },
    step(n = 1) {
      learner.stepPressed(n);
      return this.state();
    },
    get ready() { return learner.ready; },
    get version() { return learner.version; },
  });
}
