/**
 * Writes digits.json, the data of examples/digits.ts: 12×12 grayscale images of the digits 0–9,
 * each drawn from a hand-written 5×7 bitmap font with its own scale, aspect, slant, rotation,
 * position, stroke width, wobble and ink, over a background of Gaussian pixel noise.
 *
 * A digit may sit anywhere its strokes fit (up to 3.4 pixels off centre across and 2.2 down), so
 * the same stroke falls on different pixels from one image to the next: a model that weighs each
 * pixel on its own has to learn every digit at every position, where a convolution learns the
 * strokes once. The wobble moves every cell of the font on its own, so no two images of a digit have the
 * same shape. Classes are equally frequent in each split. Deterministic: the same seed writes the
 * same bytes.
 *
 *   node --conditions=source --import tsx examples/data/make_digits.ts
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Generator, randperm } from "@gradgraph/core";

/** The digits 0–9 in a 5×7 bitmap font, `#` for ink. */
const FONT = [
  [".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."],
  ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
  [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
  ["#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."],
  ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
  ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
  ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
  ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
  [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
  [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
];
const FONT_WIDTH = 5;
const FONT_HEIGHT = 7;
const SIZE = 12;
const TRAIN_PER_CLASS = 150;
const TEST_PER_CLASS = 50;
const SEED = 7;
/** How far each font cell's centre moves, in cells (a standard deviation). */
const WOBBLE = 0.12;

const generator = new Generator(SEED);
const drawn = new Float64Array(1);
/** A uniform draw from [from, to). */
const uniform = (from: number, to: number): number => (generator.fillUniform(drawn, from, to), drawn[0]);
/** A Gaussian draw. */
const normal = (mean: number, std: number): number => (generator.fillNormal(drawn, mean, std), drawn[0]);

type Point = readonly [x: number, y: number];

/**
 * The strokes of a glyph: a segment between every two inked cells that touch, side by side or
 * corner to corner (a corner only where no inked cell already joins the two, so that a stair of
 * cells draws a diagonal line and a block no extra cross), each cell's centre moved by `wobble`.
 */
function strokes(glyph: readonly string[], wobble: number): [Point, Point][] {
  const inked = (x: number, y: number) => glyph[y]?.[x] === "#";
  const centres = glyph.map((row, y) => Array.from(row, (_, x): Point => [x + normal(0, wobble), y + normal(0, wobble)]));
  const segments: [Point, Point][] = [];
  for (let y = 0; y < FONT_HEIGHT; y++) {
    for (let x = 0; x < FONT_WIDTH; x++) {
      if (!inked(x, y)) continue;
      segments.push([centres[y][x], centres[y][x]]);
      if (inked(x + 1, y)) segments.push([centres[y][x], centres[y][x + 1]]);
      if (inked(x, y + 1)) segments.push([centres[y][x], centres[y + 1][x]]);
      for (const dx of [-1, 1]) {
        if (inked(x + dx, y + 1) && !inked(x + dx, y) && !inked(x, y + 1)) segments.push([centres[y][x], centres[y + 1][x + dx]]);
      }
    }
  }
  return segments;
}

function distanceToSegment([px, py]: Point, [[ax, ay], [bx, by]]: [Point, Point]): number {
  const [dx, dy] = [bx - ax, by - ay];
  const length2 = dx * dx + dy * dy;
  const t = length2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - ax) * dx + (py - ay) * dy) / length2));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

/** Sub-pixel samples per pixel side: ink is averaged over 3×3 points, so edges come out grey. */
const SUPERSAMPLING = 3;

/** One SIZE×SIZE image of `digit` as bytes, row by row. */
function drawImage(digit: number): Uint8Array {
  const segments = strokes(FONT[digit], WOBBLE);
  // Pixels per font cell, across and down; a slant (above 0 the top leans right); a small rotation in radians.
  const scale = uniform(1.05, 1.45);
  const [scaleX, scaleY] = [scale * uniform(0.85, 1.15), scale];
  const slant = uniform(-0.25, 0.25);
  const angle = uniform(-0.2, 0.2);
  const [cos, sin] = [Math.cos(angle), Math.sin(angle)];
  const strokeRadius = uniform(0.45, 0.85); // in pixels
  const ink = uniform(0.6, 1);
  const background = uniform(0, 0.25);
  const pixelNoise = uniform(0.04, 0.14);

  /** Where font point (fx, fy) lands, relative to where the glyph's centre goes: scaled, slanted, rotated. */
  const fromFont = (fx: number, fy: number): Point => {
    const uy = (fy - (FONT_HEIGHT - 1) / 2) * scaleY;
    const ux = (fx - (FONT_WIDTH - 1) / 2) * scaleX - slant * uy;
    return [cos * ux - sin * uy, sin * ux + cos * uy];
  };
  // The glyph's centre goes anywhere that keeps its strokes inside the image.
  const corners = [fromFont(0, 0), fromFont(FONT_WIDTH - 1, 0), fromFont(0, FONT_HEIGHT - 1), fromFont(FONT_WIDTH - 1, FONT_HEIGHT - 1)];
  const place = (axis: 0 | 1) => {
    const low = Math.min(...corners.map((corner) => corner[axis])) - strokeRadius;
    const high = Math.max(...corners.map((corner) => corner[axis])) + strokeRadius;
    return uniform(-low, Math.max(-low, SIZE - high));
  };
  const [centreX, centreY] = [place(0), place(1)];

  /** The font point that pixel point (px, py) shows: fromFont undone. */
  const toFont = (px: number, py: number): Point => {
    const [rx, ry] = [px - centreX, py - centreY];
    const [ux, uy] = [cos * rx + sin * ry, -sin * rx + cos * ry];
    return [(ux + slant * uy) / scaleX + (FONT_WIDTH - 1) / 2, uy / scaleY + (FONT_HEIGHT - 1) / 2];
  };
  const image = new Uint8Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy++) {
        for (let sx = 0; sx < SUPERSAMPLING; sx++) {
          const point = toFont(x + (sx + 0.5) / SUPERSAMPLING, y + (sy + 0.5) / SUPERSAMPLING);
          const distance = Math.min(...segments.map((segment) => distanceToSegment(point, segment)));
          // The distance in font cells, as pixels (the scale across and down differ by at most 15%).
          if (distance * scale <= strokeRadius) covered++;
        }
      }
      const value = background + (ink * covered) / SUPERSAMPLING ** 2 + normal(0, pixelNoise);
      image[y * SIZE + x] = Math.round(255 * Math.min(1, Math.max(0, value)));
    }
  }
  return image;
}

/** `perClass` images of each digit in a random order: their pixels as one base64 string (SIZE·SIZE bytes an image) and their labels. */
function drawSplit(perClass: number): { pixels: string; labels: number[] } {
  const labels = Array.from(randperm(10 * perClass, { generator }).unsafeData(), (i) => i % 10);
  const pixels = new Uint8Array(labels.length * SIZE * SIZE);
  labels.forEach((digit, n) => pixels.set(drawImage(digit), n * SIZE * SIZE));
  return { pixels: Buffer.from(pixels).toString("base64"), labels };
}

const data = {
  task: "which digit (0-9) a 12x12 grayscale image shows",
  size: SIZE,
  classes: 10,
  seed: SEED,
  train: drawSplit(TRAIN_PER_CLASS),
  test: drawSplit(TEST_PER_CLASS),
};
const path = `${dirname(fileURLToPath(import.meta.url))}/digits.json`;
writeFileSync(path, `${JSON.stringify(data)}\n`);
console.log(`wrote ${path}: ${10 * TRAIN_PER_CLASS} train and ${10 * TEST_PER_CLASS} test images of ${SIZE}x${SIZE} pixels`);
