/**
 * Signals → calibrated confidence.
 *
 * Each candidate (one document, or a set of documents for one payment) gets a logit: the sum of the
 * weights of its active features. The candidates of one transaction and "none of them" then compete in a
 * multinomial logit with the null option fixed at logit 0:
 *
 *     P(candidate i) = e^{l_i} / (1 + Σ_j e^{l_j})
 *
 * so two equally good candidates share the probability (and the engine abstains), and a strong
 * candidate beside weak ones keeps nearly all of it. The weights were first set by hand from what each
 * signal means (an RF reference or a full invoice number almost identifies a document; an equal amount
 * alone does not: PRIOR_WEIGHTS) and are now fitted by maximum likelihood on development data with those
 * as the prior (fit.ts, fit-weights.ts); the benchmark reports calibration (mean score against observed
 * precision per bin, ECE) on the held-out variant, which is never used for fitting.
 */

export type Weights = Readonly<Record<string, number>>;

/**
 * Hand-set logit contributions, from what each signal means: the prior of the fit (fit.ts) and where
 * the fitted weights start.
 */
export const PRIOR_WEIGHTS: Weights = {
  "bias.single": -7,
  "bias.multi": -7,
  "ref.rf": 10,
  "ref.full": 9,
  "ref.long": 8,
  "ref.medium": 6,
  "ref.weak": 1.5,
  "ref.fuzzy": 5,
  "ref.truncated": 3,
  cust: 3.5,
  "amt.exact": 4.5,
  "amt.discount_terms": 4,
  "amt.discount_unauth": 2.5,
  "amt.fee": 2,
  "amt.partial": -1,
  "amt.overpayment": -0.5,
  "amt.mismatch": -4,
  "party.iban": 3.5,
  "party.name": 3,
  "party.namepart": 1.5,
  "party.other": -0.5,
  "party.none": 0,
  "date.early": -3,
  "date.slightlyearly": -1,
  "date.normal": 0.5,
  "date.late": 0,
  "date.verylate": -1.5,
  "date.close": 1.5,
  "date.near": 0,
  "date.far": -2.5,
  reversed: -3,
  "mref.all": 9,
  "mref.some": 5,
  "mref.none": 0,
  "mref.subset": 6,
  "mfill.1": 0,
  "mfill.2": -0.5,
  "mfill.3": -1,
  "mfill.4": -1.5,
  "msize.2": 0,
  "msize.3": -0.3,
  "msize.4": -0.6,
  "msize.5": -0.9,
};

/**
 * Logit contributions per feature; a candidate's logit is the sum over its active features. Fitted by
 * maximum likelihood on development data (`node packages/matching/src/fit-weights.ts`, which prints this
 * table): the hand-set weights were under-confident (lines scored 0.6–0.9 were right 96–100 % of the
 * time; development ECE 0.027 → 0.002 with the fit, precision and recall unchanged within 0.1 point).
 */
export const WEIGHTS: Weights = {
  "bias.single": -8.85,
  "bias.multi": -9.67,
  "ref.rf": 10.07,
  "ref.full": 10.9,
  "ref.long": 10.34,
  "ref.medium": 6.4,
  "ref.weak": 2.76,
  "ref.fuzzy": 5.43,
  "ref.truncated": 2.99,
  cust: 1.2,
  "amt.exact": 9.46,
  "amt.discount_terms": 4.14,
  "amt.discount_unauth": 2.65,
  "amt.fee": 0.16,
  "amt.partial": -0.05,
  "amt.overpayment": -3.44,
  "amt.mismatch": -9.93,
  "party.iban": 3.46,
  "party.name": 3.43,
  "party.namepart": 1.01,
  "party.other": -4.92,
  "party.none": 0,
  "date.early": -4.89,
  "date.slightlyearly": -2.81,
  "date.normal": 0.68,
  "date.late": -0.35,
  "date.verylate": -1.5,
  "date.close": 3.58,
  "date.near": 0,
  "date.far": -2.56,
  reversed: -3.05,
  "mref.all": 9.23,
  "mref.some": 3.33,
  "mref.none": -1.23,
  "mref.subset": 6,
  "mfill.1": 0.5,
  "mfill.2": -1.7,
  "mfill.3": -1.97,
  "mfill.4": -1.5,
  "msize.2": 0.22,
  "msize.3": -0.08,
  "msize.4": -2.19,
  "msize.5": -2.42,
};

/** Suggestions below this confidence are withheld: the engine abstains rather than guess. */
export const SUGGEST_THRESHOLD = 0.6;

export function logitOf(features: readonly string[], weights: Weights = WEIGHTS): number {
  let sum = 0;
  for (const f of features) sum += weights[f] ?? 0;
  return sum;
}

/** Probability of the option with logit `best` among competitors with logits `all` (including itself). */
export function confidence(best: number, all: readonly number[]): number {
  // Shift by the max for numerical safety: e^{l-m} / (e^{-m} + Σ e^{l_j - m}).
  let m = 0;
  for (const l of all) if (l > m) m = l;
  let denom = Math.exp(-m);
  for (const l of all) denom += Math.exp(l - m);
  return Math.exp(best - m) / denom;
}
