/**
 * A small seeded PRNG and the draws the demo generator needs. Same seed, same sequence, on every platform:
 * only 32-bit integer arithmetic (Math.imul, shifts) and one division, no Math.random.
 */

/** A number in [0, 1) from a seeded sequence. */
export type Rng = () => number;

/** splitmix32 step: spreads a (possibly small, possibly similar) seed over all 32 bits. */
function splitmix32(state: number): [number, number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counting generator): 128 bits of state, passes PractRand, and is
 * a few integer ops per draw. `stream` derives independent sequences from one seed (plan, ids, history).
 */
export function createRng(seed: number, stream = 0): Rng {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  // Both 32-bit halves of the seed count, so seeds that differ only above bit 31 still differ.
  let state =
    (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x27d4eb2f) ^ Math.imul(stream, 0x165667b1);
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    const [next, word] = splitmix32(state);
    state = next;
    words.push(word);
  }
  let [a = 0, b = 0, c = 0, d = 1] = words;
  const rng: Rng = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) rng();
  return rng;
}

/** An integer in [min, max], both inclusive. */
export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function chance(rng: Rng, probability: number): boolean {
  return rng() < probability;
}

export function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new RangeError("pick from an empty list");
  return item;
}

/** The index of a weighted pick; `weights` need not sum to 1. */
export function pickIndexWeighted(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i] ?? 0;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Cumulative weights for `pickCumulative`: a binary search instead of a scan, for long lists. */
export function cumulative(weights: readonly number[]): Float64Array {
  let sum = 0;
  return Float64Array.from(weights, (w) => (sum += w));
}

/** The index of a weighted pick from cumulative weights. */
export function pickCumulative(rng: Rng, cumulativeWeights: Float64Array): number {
  const target = rng() * (cumulativeWeights[cumulativeWeights.length - 1] ?? 0);
  let lo = 0;
  let hi = cumulativeWeights.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulativeWeights[mid] ?? 0) > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function pickWeighted<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  const item = items[pickIndexWeighted(rng, weights)];
  if (item === undefined) throw new RangeError("pick from an empty list");
  return item;
}

/** A standard normal draw (Box–Muller; the second value is discarded to keep the sequence simple). */
export function normal(rng: Rng): number {
  const u = 1 - rng(); // (0, 1]: log(0) would be -Infinity
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Log-normal around `median`, with `sigma` the spread of its logarithm; right-skewed like real invoice totals. */
export function logNormal(rng: Rng, median: number, sigma: number): number {
  return median * Math.exp(sigma * normal(rng));
}

const HEX = "0123456789abcdef";

export function hex(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += HEX[Math.floor(rng() * 16)];
  return out;
}

export function digits(rng: Rng, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += String(Math.floor(rng() * 10));
  return out;
}

/** A version-4-shaped UUID from the seeded sequence, so ids of seeded rows are reproducible. */
export function uuid(rng: Rng): string {
  const h = hex(rng, 32);
  const variant = HEX[8 + Math.floor(rng() * 4)];
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Splits `total` into integer parts proportional to `weights` (largest remainder), so the parts always sum
 * to `total` exactly. Ties go to the lower index, which keeps the result deterministic.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((s, w) => s + w, 0);
  if (total <= 0 || sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (total * w) / sum);
  const parts = exact.map(Math.floor);
  let rest = total - parts.reduce((s, p) => s + p, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((x, y) => y.r - x.r || x.i - y.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    parts[i] = (parts[i] ?? 0) + 1;
    rest -= 1;
  }
  return parts;
}
