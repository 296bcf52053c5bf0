import { describe, expect, it } from "vitest";
import { type Example, fitWeights } from "./fit.ts";
import { prng } from "./generator.ts";

/** Lines drawn from the engine's own model with known weights: two options, "none" at logit 0. */
function sample(truth: Record<string, number>, lines: number, seed: number): Example[] {
  const r = prng(seed);
  const names = Object.keys(truth);
  const out: Example[] = [];
  for (let i = 0; i < lines; i++) {
    const options = [0, 1].map(() => names.filter((n) => n === "bias" || r() < 0.5));
    const logits = options.map((f) => f.reduce((a, n) => a + truth[n]!, 0));
    const z = 1 + logits.reduce((a, l) => a + Math.exp(l), 0);
    let u = r() * z;
    let correct = -1;
    for (const [k, l] of logits.entries()) {
      u -= Math.exp(l);
      if (u < 0 && correct < 0) correct = k;
    }
    out.push({ options, correct });
  }
  return out;
}

describe("weight fit", () => {
  const truth = { bias: -2, ref: 4, amount: 1.5, name: -1 };
  const examples = sample(truth, 20_000, 7);

  it("recovers the weights that generated the choices, from a wrong start", () => {
    const fit = fitWeights(examples, { prior: { bias: 0, ref: 0, amount: 0, name: 0 }, l2: 0.01 });
    for (const [f, w] of Object.entries(truth)) expect(fit.weights[f]).toBeCloseTo(w, 0);
    expect(fit.after).toBeGreaterThan(fit.before);
  });

  it("is deterministic and keeps a feature the data never shows at its prior", () => {
    const prior = { bias: 0, ref: 0, amount: 0, name: 0, unseen: 3 };
    const a = fitWeights(examples, { prior });
    expect(fitWeights(examples, { prior })).toEqual(a);
    expect(a.weights.unseen).toBe(3);
  });
});
