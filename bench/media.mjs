#!/usr/bin/env node
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
/**
 * `npm run bench:media [-- --runs 5 --json FILE]`
 *
 * What processing an upload costs in CPU (`src/media/`), to choose where a blurhash fits the
 * Worker's budget. The modules are bundled with esbuild as wrangler bundles them and run in
 * Node's V8 (the engine workerd runs), on pictures made here: JPEGs (jpeg-js's encoder), PNGs
 * (zlib through `CompressionStream`), GIFs (plain LZW) of a few sizes, a 12-megapixel photo
 * carrying an Exif thumbnail, and a 99 MB MP4. For each case, the process's CPU time (user +
 * system, in ms) for the step named: the median over `--runs` (the code warm, as in an isolate
 * that has served a few uploads), and for the blurhash also its first run (cold, as in a new
 * isolate, where V8 has not optimised the decoder yet; the first case pays for loading it):
 * - `strip+size`: `stripMetadata` and `dimensionsOf` (what every upload pays);
 * - `blurhash`: `blurhashOf` (decode, average into a grid, encode);
 * - `form`: reading a multipart body of that size as it streams, in 64 kB chunks.
 */
import { build } from "esbuild";
import jpeg from "jpeg-js";

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const RUNS = Number(arg("runs", "5"));

/** Bundles the media modules into a temporary ES module and imports it. */
async function loadModules() {
  const dir = mkdtempSync(join(tmpdir(), "outpost-bench-media-"));
  const entry = join(dir, "entry.ts");
  const root = new URL("..", import.meta.url).pathname;
  writeFileSync(
    entry,
    [
      `export { stripMetadata } from "${root}src/media/strip.ts";`,
      `export { dimensionsOf } from "${root}src/media/dimensions.ts";`,
      `export { blurhashOf } from "${root}src/media/blurhash.ts";`,
      `export { readUploadForm } from "${root}src/http/api/media-form.ts";`,
    ].join("\n"),
  );
  const out = join(dir, "media.mjs");
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    outfile: out,
    logLevel: "error",
  });
  const modules = await import(pathToFileURL(out).href);
  rmSync(dir, { recursive: true });
  return modules;
}

/** RGBA pixels: a gradient with noise, so that compressors work as on a photo. */
function pixels(width, height) {
  const data = new Uint8Array(width * height * 4);
  let seed = 1;
  for (let i = 0; i < width * height; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const x = i % width;
    const y = Math.floor(i / width);
    data[i * 4] = (x * 255) / width + (seed & 15);
    data[i * 4 + 1] = (y * 255) / height + ((seed >> 4) & 15);
    data[i * 4 + 2] = 128 + ((seed >> 8) & 31);
    data[i * 4 + 3] = 255;
  }
  return data;
}

const jpegOf = (width, height, quality = 85) =>
  new Uint8Array(jpeg.encode({ width, height, data: pixels(width, height) }, quality).data);

/** A JPEG with an Exif block holding an orientation and a thumbnail (as cameras write). */
function withExifThumbnail(photo, thumbnail) {
  const tiff = new Uint8Array(8 + 2 + 12 + 4 + 2 + 24 + 4 + thumbnail.length);
  const view = new DataView(tiff.buffer);
  tiff.set([0x4d, 0x4d, 0, 42, 0, 0, 0, 8]);
  view.setUint16(8, 1);
  view.setUint16(10, 0x0112);
  view.setUint16(12, 3);
  view.setUint32(14, 1);
  view.setUint16(18, 6);
  view.setUint32(22, 26); // IFD1
  view.setUint16(26, 2);
  const at = 26 + 2 + 24 + 4;
  for (const [i, [tag, value]] of [
    [0x0201, at],
    [0x0202, thumbnail.length],
  ].entries()) {
    view.setUint16(28 + i * 12, tag);
    view.setUint16(30 + i * 12, 4);
    view.setUint32(32 + i * 12, 1);
    view.setUint32(36 + i * 12, value);
  }
  tiff.set(thumbnail, at);
  const segment = new Uint8Array(4 + 6 + tiff.length);
  new DataView(segment.buffer).setUint16(2, segment.length - 2);
  segment.set([0xff, 0xe1]);
  segment.set(new TextEncoder().encode("Exif\0\0"), 4);
  segment.set(tiff, 10);
  const out = new Uint8Array(photo.length + segment.length);
  out.set(photo.subarray(0, 2));
  out.set(segment, 2);
  out.set(photo.subarray(2), 2 + segment.length);
  return out;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function chunk(type, data) {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  let crc = 0xffffffff;
  for (const b of out.subarray(4, 8 + data.length)) crc = crcTable[(crc ^ b) & 0xff] ^ (crc >>> 8);
  view.setUint32(8 + data.length, (crc ^ 0xffffffff) >>> 0);
  return out;
}

/** An RGB PNG, each row filtered with Sub (as encoders often choose). */
async function pngOf(width, height) {
  const rgba = pixels(width, height);
  const raw = new Uint8Array(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    raw[row] = 1;
    for (let x = 0; x < width * 3; x++) {
      const value = rgba[(y * width + Math.floor(x / 3)) * 4 + (x % 3)];
      const left = x >= 3 ? rgba[(y * width + Math.floor(x / 3) - 1) * 4 + (x % 3)] : 0;
      raw[row + 1 + x] = (value - left) & 0xff;
    }
  }
  const deflated = new Uint8Array(
    await new Response(
      new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate")),
    ).arrayBuffer(),
  );
  const ihdr = new Uint8Array(13);
  new DataView(ihdr.buffer).setUint32(0, width);
  new DataView(ihdr.buffer).setUint32(4, height);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflated),
    chunk("IEND", new Uint8Array()),
  ];
  return new Uint8Array(await new Blob(parts).arrayBuffer());
}

/** A GIF of 256 colours, its LZW data plain (a clear code before the table grows). */
function gifOf(width, height) {
  const codes = [];
  for (let i = 0; i < width * height; i++) {
    if (i % 254 === 0) codes.push(256);
    codes.push((i * 7 + Math.floor(i / width)) & 255);
  }
  codes.push(257);
  const data = new Uint8Array(Math.ceil((codes.length * 9) / 8) + 1);
  let bit = 0;
  for (const code of codes) {
    for (let b = 0; b < 9; b++, bit++) if ((code >> b) & 1) data[bit >> 3] |= 1 << (bit & 7);
  }
  const blocks = [];
  for (let at = 0; at < data.length; at += 255) {
    const part = data.subarray(at, at + 255);
    blocks.push(new Uint8Array([part.length]), part);
  }
  const header = new Uint8Array(13 + 768);
  header.set(new TextEncoder().encode("GIF89a"));
  new DataView(header.buffer).setUint16(6, width, true);
  new DataView(header.buffer).setUint16(8, height, true);
  header[10] = 0xf7;
  for (let i = 0; i < 256; i++) header.set([i, 255 - i, (i * 3) & 255], 13 + i * 3);
  const image = new Uint8Array(11);
  image[0] = 0x2c;
  new DataView(image.buffer).setUint16(5, width, true);
  new DataView(image.buffer).setUint16(7, height, true);
  image[10] = 8;
  return new Blob([header, image, ...blocks, new Uint8Array([0, 0x3b])])
    .arrayBuffer()
    .then((b) => new Uint8Array(b));
}

/** A 99 MB MP4: ftyp, a huge mdat, then a moov carrying user data (as phones write it). */
function mp4Of(bytes) {
  const out = new Uint8Array(bytes);
  const view = new DataView(out.buffer);
  const box = (at, size, type) => {
    view.setUint32(at, size);
    out.set(new TextEncoder().encode(type), at + 4);
  };
  box(0, 24, "ftyp");
  out.set(new TextEncoder().encode("isom\0\0\0\0isommp42"), 8);
  const moov = 1000;
  box(24, bytes - 24 - moov, "mdat");
  box(bytes - moov, moov, "moov");
  box(bytes - moov + 8, 200, "udta");
  return out;
}

/** CPU milliseconds of one run of `task`; `prepare` runs first, uncounted. */
async function once(task, prepare = () => undefined) {
  const input = prepare();
  const start = process.cpuUsage();
  await task(input);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

/** The first run's CPU milliseconds (code not yet optimised), and the median of `RUNS` more. */
async function cpu(task, prepare) {
  const first = await once(task, prepare);
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await once(task, prepare));
  times.sort((a, b) => a - b);
  const round = (ms) => Math.round(ms * 10) / 10;
  return { first: round(first), median: round(times[Math.floor(times.length / 2)]) };
}

/** A multipart request carrying `file` as its `file` field, streamed in 64 kB chunks. */
function formRequest(file) {
  const boundary = "bench-boundary";
  const head = new TextEncoder().encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${boundary}--\r\n`);
  let at = -1;
  const body = new ReadableStream({
    pull(controller) {
      if (at === -1) controller.enqueue(head);
      else if (at >= file.length) {
        controller.enqueue(tail);
        controller.close();
        return;
      } else controller.enqueue(file.subarray(at, at + 65536));
      at = at === -1 ? 0 : at + 65536;
    },
  });
  return new Request("http://bench/", {
    method: "POST",
    headers: {
      "content-type": `multipart/form-data; boundary=${boundary}`,
      "content-length": String(head.length + file.length + tail.length),
    },
    body,
    duplex: "half",
  });
}

const media = await loadModules();
const rows = [];
async function measure(name, format, make) {
  const bytes = await make();
  const strip = await cpu(
    (copy) => {
      const stripped = media.stripMetadata(format, copy);
      media.dimensionsOf(format, stripped.bytes, stripped.orientation);
    },
    () => bytes.slice(),
  );
  const stripped = media.stripMetadata(format, bytes.slice());
  const size = media.dimensionsOf(format, stripped.bytes, stripped.orientation);
  const hash = await media.blurhashOf(format, stripped, size);
  const blurhash = hash && (await cpu(() => media.blurhashOf(format, stripped, size)));
  const form = await cpu(
    (request) => media.readUploadForm(request, { maxFileBytes: 100 * 1024 * 1024 }),
    () => formRequest(bytes),
  );
  const row = {
    case: name,
    MB: Math.round((bytes.length / 1048576) * 100) / 100,
    "strip+size": strip.median,
    "blurhash first": blurhash ? blurhash.first : "none",
    "blurhash warm": blurhash ? blurhash.median : "none",
    form: form.median,
  };
  rows.push(row);
  console.log(JSON.stringify(row));
}

const thumbnail = jpegOf(160, 120, 80);
await measure("JPEG 12 MP with a 160x120 Exif thumbnail", "jpeg", () =>
  withExifThumbnail(jpegOf(4000, 3000), thumbnail),
);
await measure("JPEG 12 MP without a thumbnail", "jpeg", () => jpegOf(4000, 3000));
for (const side of [256, 512, 768, 1024]) {
  await measure(`JPEG ${side}x${side}, decoded whole`, "jpeg", () => jpegOf(side, side));
}
for (const [w, h] of [
  [1000, 1000],
  [2000, 2000],
  [4000, 3000],
]) {
  await measure(`PNG ${w}x${h} RGB`, "png", () => pngOf(w, h));
}
for (const [w, h] of [
  [1000, 1000],
  [2000, 2000],
]) {
  await measure(`GIF ${w}x${h}`, "gif", () => gifOf(w, h));
}
await measure("MP4 99 MB (moov at the end)", "mp4", () => mp4Of(99 * 1024 * 1024));

const json = arg("json");
if (json) writeFileSync(json, `${JSON.stringify({ runs: RUNS, rows }, null, 2)}\n`);
console.table(rows);
