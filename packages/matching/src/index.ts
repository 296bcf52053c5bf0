export type { AmountKind } from "./amounts.ts";
export {
  type DifferenceReason,
  type EngineResult,
  type Suggestion,
  type SuggestOptions,
  suggest,
  suggestParsed,
} from "./engine.ts";
export { isValidRf, makeRf } from "./references.ts";
export {
  type Dataset,
  type InputIssue,
  type MatchDocument,
  MatchingInputError,
  parseDataset,
  type Transaction,
} from "./schemas.ts";
export { SUGGEST_THRESHOLD } from "./score.ts";
