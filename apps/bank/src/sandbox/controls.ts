import { z } from "zod";

/**
 * Sandbox controls: faults and quirks a real bank shows now and then, off by default, switched on per bank
 * instance (deps) or per test (PUT /sandbox/controls). Random choices come from a seeded generator so a
 * failing run can be replayed with the same seed.
 */
export const controlsSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(30_000).default(0),
    /** Probability that an XS2A request answers 500 before doing anything. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Probability of 429 ACCESS_EXCEEDED with Retry-After (a transient throttle, not the daily limit). */
    throttleRate: z.number().min(0).max(1).default(0),
    retryAfterSeconds: z.number().int().min(0).max(3600).default(1),
    /** Probability that the connection is dropped without any response. */
    dropRate: z.number().min(0).max(1).default(0),
    /** Probability that a transactions page is cut off mid-body (connection closed after half the bytes). */
    truncateRate: z.number().min(0).max(1).default(0),
    /** Probability, per first-page read, that the bank asks for SCA again (the reference says it happens at random). */
    scaAgainRate: z.number().min(0).max(1).default(0),
    /** Moves the bank's clock, e.g. +181 days to expire consents. */
    clockOffsetMs: z.number().int().default(0),
    /** Page size of the transactions endpoint. */
    pageSize: z.number().int().min(1).max(5000).default(100),
    seed: z.number().int().default(1),
  })
  .strict();

export type Controls = z.infer<typeof controlsSchema>;
export type ControlsInput = z.input<typeof controlsSchema>;

export interface SandboxControls {
  get(): Controls;
  set(input: ControlsInput): Controls;
  /** A number in [0, 1) from the seeded sequence. */
  random(): number;
}

export function createSandboxControls(initial: ControlsInput = {}): SandboxControls {
  let controls = controlsSchema.parse(initial);
  let state = controls.seed >>> 0;
  return {
    get: () => controls,
    set(input) {
      controls = controlsSchema.parse(input);
      state = controls.seed >>> 0;
      return controls;
    },
    // mulberry32: small, fast and good enough for fault injection.
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
