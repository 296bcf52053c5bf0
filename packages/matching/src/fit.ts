/**
 * Maximum-likelihood fit of the score weights (score.ts) on labelled lines.
 *
 * The model is the engine's own: the options of a line and "none" (logit 0) compete in a multinomial
 * logit, an option's logit being the sum of its features' weights. A line's label is which option is
 * right, or none (no document, or the right documents are not among its options: then abstaining is the
 * best answer). The negative log-likelihood is convex in the weights; Newton's method with a backtracking
 * line search finds its minimum in a few dozen steps. A Gaussian prior centred on the hand-set weights
 * (L2 towards them) keeps features that the data barely sees, and groups of features that always occur
 * together (every single-document option has exactly one amount, party and date feature), where they were
 * set by what they mean. Plain arithmetic, no randomness: the same examples give the same weights.
 */
import type { Weights } from "./score.ts";

/** One line: the features of each of its options, and the index of the right one (−1: none). */
export interface Example {
  options: readonly (readonly string[])[];
  correct: number;
}

export interface FitOptions {
  /** Prior means (the hand-set weights); also names the features that are fitted. */
  prior: Weights;
  /** Precision of the prior (1 / variance); larger keeps weights nearer the prior. */
  l2?: number;
  maxIterations?: number;
}

export interface FitResult {
  weights: Record<string, number>;
  /** Mean log-likelihood per line at the prior and at the fitted weights. */
  before: number;
  after: number;
  iterations: number;
}

interface Encoded {
  /** Per option: indices of its active features. */
  options: Int32Array[];
  correct: number;
}

/** Weights that maximise the (penalised) likelihood of `examples`. */
export function fitWeights(examples: readonly Example[], opts: FitOptions): FitResult {
  const names = Object.keys(opts.prior).sort();
  const position = new Map(names.map((n, i) => [n, i]));
  const prior = Float64Array.from(names, (n) => opts.prior[n] ?? 0);
  const l2 = opts.l2 ?? 1;
  const k = names.length;
  const data: Encoded[] = examples.map((e) => ({
    options: e.options.map((features) =>
      Int32Array.from(features.map((f) => position.get(f) ?? -1).filter((i) => i >= 0)),
    ),
    correct: e.correct,
  }));

  let w = Float64Array.from(prior);
  let current = objective(data, w, prior, l2);
  const before = loglik(data, w) / Math.max(1, data.length);
  let iterations = 0;
  for (; iterations < (opts.maxIterations ?? 50); iterations++) {
    const { gradient, hessian } = derivatives(data, w, prior, l2, k);
    // Newton direction: solve H·d = g, H the (positive definite) Hessian of the negative objective.
    const direction = solve(hessian, gradient, k);
    let step = 1;
    let next = w;
    let value = current;
    for (let tries = 0; tries < 30; tries++) {
      next = Float64Array.from(w, (x, i) => x + step * direction[i]!);
      value = objective(data, next, prior, l2);
      if (value >= current) break;
      step /= 2;
    }
    if (value < current) break;
    const gain = value - current;
    w = next;
    current = value;
    if (gain < 1e-9 * Math.max(1, Math.abs(current))) break;
  }
  const weights: Record<string, number> = {};
  names.forEach((n, i) => {
    weights[n] = w[i]!;
  });
  return { weights, before, after: loglik(data, w) / Math.max(1, data.length), iterations };
}

function logitsOf(e: Encoded, w: Float64Array): number[] {
  return e.options.map((features) => {
    let l = 0;
    for (const f of features) l += w[f]!;
    return l;
  });
}

/** Log-likelihood of the labels: Σ log P(right option, or none). */
function loglik(data: readonly Encoded[], w: Float64Array): number {
  let sum = 0;
  for (const e of data) {
    const logits = logitsOf(e, w);
    let m = 0;
    for (const l of logits) m = Math.max(m, l);
    let z = Math.exp(-m);
    for (const l of logits) z += Math.exp(l - m);
    const chosen = e.correct >= 0 ? logits[e.correct]! : 0;
    sum += chosen - m - Math.log(z);
  }
  return sum;
}

/** What is maximised: the log-likelihood plus the log-density of the prior. */
function objective(data: readonly Encoded[], w: Float64Array, prior: Float64Array, l2: number): number {
  let penalty = 0;
  for (let i = 0; i < w.length; i++) penalty += (w[i]! - prior[i]!) ** 2;
  return loglik(data, w) - (l2 / 2) * penalty;
}

/** Gradient of the objective and the negated Hessian (positive definite), row-major k × k. */
function derivatives(
  data: readonly Encoded[],
  w: Float64Array,
  prior: Float64Array,
  l2: number,
  k: number,
): { gradient: Float64Array; hessian: Float64Array } {
  const gradient = new Float64Array(k);
  const hessian = new Float64Array(k * k);
  const mean = new Float64Array(k);
  for (const e of data) {
    const logits = logitsOf(e, w);
    let m = 0;
    for (const l of logits) m = Math.max(m, l);
    let z = Math.exp(-m);
    for (const l of logits) z += Math.exp(l - m);
    const p = logits.map((l) => Math.exp(l - m) / z);
    // Observed minus expected feature counts.
    if (e.correct >= 0) for (const f of e.options[e.correct]!) gradient[f]! += 1;
    mean.fill(0);
    e.options.forEach((features, o) => {
      for (const f of features) mean[f]! += p[o]!;
    });
    for (let f = 0; f < k; f++) gradient[f]! -= mean[f]!;
    // Covariance of the features under the model: Σ p x xᵀ − mean meanᵀ.
    e.options.forEach((features, o) => {
      for (const a of features) for (const b of features) hessian[a * k + b]! += p[o]!;
    });
    const active: number[] = [];
    for (let f = 0; f < k; f++) if (mean[f] !== 0) active.push(f);
    for (const a of active) for (const b of active) hessian[a * k + b]! -= mean[a]! * mean[b]!;
  }
  for (let f = 0; f < k; f++) {
    gradient[f]! -= l2 * (w[f]! - prior[f]!);
    hessian[f * k + f]! += l2;
  }
  return { gradient, hessian };
}

/** Solves A·x = b for a symmetric positive definite A (Cholesky). */
function solve(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * k + j]!;
      for (let m = 0; m < j; m++) sum -= l[i * k + m]! * l[j * k + m]!;
      if (i === j) l[i * k + i] = Math.sqrt(Math.max(sum, 1e-12));
      else l[i * k + j] = sum / l[j * k + j]!;
    }
  }
  const y = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let sum = b[i]!;
    for (let m = 0; m < i; m++) sum -= l[i * k + m]! * y[m]!;
    y[i] = sum / l[i * k + i]!;
  }
  const x = new Float64Array(k);
  for (let i = k - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let m = i + 1; m < k; m++) sum -= l[m * k + i]! * x[m]!;
    x[i] = sum / l[i * k + i]!;
  }
  return x;
}
