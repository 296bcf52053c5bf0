/**
 * Fits the score weights on development data and prints them for score.ts, with development accuracy
 * and calibration before and after:
 *
 *   node packages/matching/src/fit-weights.ts
 *
 * Training lines come from development seeds TRAIN_SEEDS; the figures printed are from other development
 * seeds (CHECK_SEEDS, those the benchmark and the design note quote). Held-out data is never read here.
 * Options depend on the weights (weak ones are dropped before scoring), so options are collected with the
 * hand-set weights, fitted, collected again with the fitted weights and fitted once more.
 */
import { createContext, optionsFor, suggestParsed } from "./engine.ts";
import { evaluate } from "./evaluate.ts";
import { type Example, fitWeights } from "./fit.ts";
import { generate } from "./generator.ts";
import { parseDataset } from "./schemas.ts";
import { PRIOR_WEIGHTS, type Weights } from "./score.ts";

export const TRAIN_SEEDS = [11, 12, 13, 14];
export const CHECK_SEEDS = [1, 2, 3];
const LINES = 20_000;

/** Each development line's options under `weights`, labelled with the right one (−1: none of them). */
export function developmentExamples(weights: Weights, seeds: readonly number[], lines = LINES): Example[] {
  const out: Example[] = [];
  for (const seed of seeds) {
    const g = generate({ variant: "development", transactions: lines, seed });
    const dataset = parseDataset(g.dataset);
    const ctx = createContext(dataset.documents, weights);
    dataset.transactions.forEach((tx, t) => {
      const options = optionsFor(tx, ctx);
      const expected = [...g.labels[t]!.expected].sort().join(",");
      const correct =
        expected === ""
          ? -1
          : options.findIndex(
              (o) =>
                o.docs
                  .map((d) => ctx.index.docs[d]!.doc.id)
                  .sort()
                  .join(",") === expected,
            );
      out.push({ options: options.map((o) => o.features), correct });
    });
  }
  return out;
}

/** Weights fitted in two rounds from the hand-set prior, rounded to two decimals. */
export function fitOnDevelopment(
  seeds: readonly number[] = TRAIN_SEEDS,
  lines = LINES,
): Record<string, number> {
  let weights: Weights = PRIOR_WEIGHTS;
  for (let round = 0; round < 2; round++) {
    weights = fitWeights(developmentExamples(weights, seeds, lines), { prior: PRIOR_WEIGHTS, l2: 1 }).weights;
  }
  return Object.fromEntries(Object.entries(weights).map(([f, w]) => [f, Math.round(w * 100) / 100 + 0]));
}

function describe(name: string, weights: Weights): void {
  for (const seed of CHECK_SEEDS) {
    const g = generate({ variant: "development", transactions: LINES, seed });
    const m = evaluate(g.labels, suggestParsed(parseDataset(g.dataset), { weights }).suggestions);
    const bins = m.calibration.bins
      .map((b) => `${b.from.toFixed(2)}+ n=${b.count} ${b.meanScore.toFixed(2)}→${b.precision.toFixed(3)}`)
      .join(", ");
    process.stdout.write(
      `${name} (development seed ${seed}): precision ${(m.overall.precision * 100).toFixed(2)}%, recall ` +
        `${(m.overall.recall * 100).toFixed(2)}%, exact sets ${(m.exactSets * 100).toFixed(2)}%, false on no-document ` +
        `${(m.falseOnNoDocument * 100).toFixed(2)}%, ECE ${m.calibration.ece.toFixed(4)}\n  ${bins}\n`,
    );
  }
}

if (import.meta.main) {
  const fitted = fitOnDevelopment();
  process.stdout.write("export const WEIGHTS: Weights = {\n");
  for (const f of Object.keys(PRIOR_WEIGHTS)) process.stdout.write(`  ${JSON.stringify(f)}: ${fitted[f]},\n`);
  process.stdout.write("};\n\n");
  describe("hand-set", PRIOR_WEIGHTS);
  describe("fitted", fitted);
}
