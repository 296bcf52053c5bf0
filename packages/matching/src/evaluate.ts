/**
 * Accuracy metrics of suggestions against generator labels, as the benchmark prints them.
 * A suggestion is correct when its set of documents equals the labelled set exactly.
 */
import type { CaseType, Label } from "./generator.ts";

export interface SuggestionLike {
  transactionId: string;
  score: number;
  allocations: { documentId: string }[];
}

export interface CaseMetrics {
  lines: number;
  matchable: number;
  suggested: number;
  correct: number;
  precision: number;
  recall: number;
}

export interface CalibrationBin {
  from: number;
  to: number;
  count: number;
  meanScore: number;
  precision: number;
}

export interface Metrics {
  overall: CaseMetrics;
  byCase: Partial<Record<CaseType, CaseMetrics>>;
  high: { threshold: number; suggested: number; precision: number; coverage: number };
  /** Share of no-document lines that got a suggestion. */
  falseOnNoDocument: number;
  /** Share of one-payment-many-invoices lines (with references) whose exact set was suggested. */
  exactSets: number;
  calibration: { ece: number; bins: CalibrationBin[] };
}

const ratio = (a: number, b: number): number => (b === 0 ? 1 : a / b);
const BIN_EDGES = [0, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0001];

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

export function evaluate(
  labels: readonly Label[],
  suggestions: readonly SuggestionLike[],
  highThreshold = 0.9,
): Metrics {
  const byTx = new Map(suggestions.map((s) => [s.transactionId, s]));
  const empty = (): CaseMetrics => ({
    lines: 0,
    matchable: 0,
    suggested: 0,
    correct: 0,
    precision: 0,
    recall: 0,
  });
  const overall = empty();
  const byCase: Partial<Record<CaseType, CaseMetrics>> = {};
  let highSuggested = 0;
  let highCorrect = 0;
  let noDoc = 0;
  let noDocSuggested = 0;
  let multi = 0;
  let multiExact = 0;
  const bins = BIN_EDGES.slice(0, -1).map((from, i) => ({
    from,
    to: BIN_EDGES[i + 1]!,
    n: 0,
    sum: 0,
    ok: 0,
  }));
  for (const label of labels) {
    const m = byCase[label.caseType] ?? empty();
    byCase[label.caseType] = m;
    const s = byTx.get(label.transactionId);
    const matchable = label.expected.length > 0;
    const correct =
      s !== undefined &&
      matchable &&
      sameSet(
        label.expected,
        s.allocations.map((a) => a.documentId),
      );
    for (const x of [m, overall]) {
      x.lines++;
      if (matchable) x.matchable++;
      if (s) x.suggested++;
      if (correct) x.correct++;
    }
    if (!matchable) {
      noDoc++;
      if (s) noDocSuggested++;
    }
    if (label.caseType === "multi_ref" && label.refsPresent) {
      multi++;
      if (correct) multiExact++;
    }
    if (s) {
      if (s.score >= highThreshold) {
        highSuggested++;
        if (correct) highCorrect++;
      }
      const bin = bins.find((b) => s.score >= b.from && s.score < b.to);
      if (bin) {
        bin.n++;
        bin.sum += s.score;
        if (correct) bin.ok++;
      }
    }
  }
  for (const x of [overall, ...Object.values(byCase)]) {
    x.precision = ratio(x.correct, x.suggested);
    x.recall = ratio(x.correct, x.matchable);
  }
  const total = bins.reduce((a, b) => a + b.n, 0);
  const ece = bins.reduce(
    (a, b) => (b.n === 0 ? a : a + (b.n / total) * Math.abs(b.ok / b.n - b.sum / b.n)),
    0,
  );
  return {
    overall,
    byCase,
    high: {
      threshold: highThreshold,
      suggested: highSuggested,
      precision: ratio(highCorrect, highSuggested),
      coverage: ratio(highCorrect, overall.matchable),
    },
    falseOnNoDocument: ratio(noDocSuggested, noDoc),
    exactSets: ratio(multiExact, multi),
    calibration: {
      ece,
      bins: bins
        .filter((b) => b.n > 0)
        .map((b) => ({
          from: b.from,
          to: Math.min(1, b.to),
          count: b.n,
          meanScore: b.sum / b.n,
          precision: b.ok / b.n,
        })),
    },
  };
}
