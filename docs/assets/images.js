// Loading what a widget's page links to, and decoding images into pixels.

/** The response for a file on this site; a failed request throws an error naming its status. */
export async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response;
}

const DECODE = { colorSpaceConversion: "none", premultiplyAlpha: "none" }; // the values as stored

/**
 * Decode an image file; one larger than maxSide pixels on its longer side is reduced smoothly
 * (drawImage alone would alias fine detail). Returns {bitmap, originalWidth, originalHeight}.
 */
export async function decodeImage(blob, maxSide = Infinity) {
  const full = await createImageBitmap(blob, DECODE);
  const [originalWidth, originalHeight] = [full.width, full.height];
  const scale = Math.min(1, maxSide / Math.max(originalWidth, originalHeight));
  if (scale === 1) return { bitmap: full, originalWidth, originalHeight };
  const resizeWidth = Math.max(1, Math.round(originalWidth * scale));
  const resizeHeight = Math.max(1, Math.round(originalHeight * scale));
  const bitmap = await createImageBitmap(full, { ...DECODE, resizeWidth, resizeHeight, resizeQuality: "high" });
  full.close();
  return { bitmap, originalWidth, originalHeight };
}

/** Draw a bitmap on a canvas of its size (transparent parts on white), close it; its RGBA bytes. */
export function bitmapPixels(bitmap, canvas) {
  const { width, height } = bitmap;
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = "#fff";
  context.fillRect(0, 0, width, height);
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return context.getImageData(0, 0, width, height).data;
}

/**
 * The one way a widget reads an image: a file the reader chose or dropped (read in the page, never
 * sent anywhere) or a fetched photo. Decodes `blob` (reduced to maxSide, see decodeImage) and draws
 * it on `canvas`; returns {rgba, width, height, originalWidth, originalHeight}. A file that is not
 * an image throws an error whose message names it.
 */
export async function readImage(blob, canvas, maxSide = Infinity) {
  let decoded;
  try {
    decoded = await decodeImage(blob, maxSide);
  } catch {
    const name = blob.name ? `“${blob.name}”` : "The file";
    throw new Error(`${name} could not be read as an image (try a PNG, JPEG, GIF or WebP file)`);
  }
  const { bitmap, originalWidth, originalHeight } = decoded;
  const { width, height } = bitmap;
  return { rgba: bitmapPixels(bitmap, canvas), width, height, originalWidth, originalHeight };
}

/**
 * Let the reader drop an image file on `zone`: `onFile(file)` gets the first file dropped. While a
 * file is dragged over it, the zone has the class "dropping".
 */
export function acceptDrops(zone, onFile) {
  const over = (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault(); // allow the drop
    zone.classList.add("dropping");
  };
  zone.addEventListener("dragenter", over);
  zone.addEventListener("dragover", over);
  zone.addEventListener("dragleave", (event) => {
    if (!zone.contains(event.relatedTarget)) zone.classList.remove("dropping");
  });
  zone.addEventListener("drop", (event) => {
    zone.classList.remove("dropping");
    const file = event.dataTransfer?.files?.[0];
    if (!file) return;
    event.preventDefault(); // the browser would otherwise open the file in place of the page
    onFile(file);
  });
}
