// Kernels designed by hand, as the site's widgets offer them. A kernel is its weights row by row
// (size × size); angles are in degrees.

/** The 3 × 3 kernels with fixed weights. */
export const FIXED = {
  sharpen: [0, -1, 0, -1, 5, -1, 0, -1, 0],
  sobel_x: [-1, 0, 1, -2, 0, 2, -1, 0, 1],
  sobel_y: [-1, -2, -1, 0, 0, 0, 1, 2, 1],
  laplacian: [0, 1, 0, 1, -4, 1, 0, 1, 0],
  emboss: [-2, -1, 0, -1, 1, 1, 0, 1, 2],
};

function grid(size, f) {
  const r = (size - 1) / 2;
  const w = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    for (let j = 0; j < size; j++) w[i * size + j] = f(j - r, i - r); // x to the right, y down
  }
  return w;
}

/** Resize a kernel to a new odd size, keeping its centre (cropping or padding with zeros). */
export function resizeKernel(w, size, newSize) {
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

/** The weights of a designed kernel ("box", "gaussian", "log", "gabor" or one of FIXED). */
export function designedKernel(name, size, { sigma = 1, theta = 0, frequency = 0.2 } = {}) {
  if (name in FIXED) return resizeKernel(FIXED[name], 3, size);
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
  throw new Error(`unknown kernel ${name}`);
}
