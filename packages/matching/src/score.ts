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
 * candidate beside weak ones keeps nearly all of it. The weights are set by hand from what each signal
 * means (an RF reference or a full invoice number almost identifies a document; an equal amount alone
 * does not) and adjusted on the development generator only; the benchmark then reports calibration
 * (mean score against observed precision per bin, ECE) on the held-out variant. Fitting them by maximum
 * likelihood on development data is a planned refinement (see docs/design/matching.md).
 */

export type Weights = Readonly<Record<string, number>>;

/** Logit contributions per feature; a candidate's logit is the sum over its active features. */
export const WEIGHTS: Weights = {
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
