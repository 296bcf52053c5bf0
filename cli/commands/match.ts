/**
 * `kontor match --input FILE`: reads a matching dataset (shared/DESIGN.md) and prints the suggestions
 * JSON on stdout. A file that is not JSON, or not a valid dataset, is a user error naming the bad field.
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { MatchingInputError, suggest } from "@kontor/matching";
import { CliError } from "../cli-error.ts";

export async function run(argv: string[]): Promise<number> {
  let values: { input?: string | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { input: { type: "string", short: "i" } },
      strict: true,
    }));
  } catch (error) {
    throw new CliError(
      `${error instanceof Error ? error.message : String(error)}\nusage: kontor match --input FILE`,
      2,
    );
  }
  if (!values.input) throw new CliError("missing --input FILE\nusage: kontor match --input FILE", 2);

  let text: string;
  try {
    text = await readFile(values.input, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(`cannot read ${values.input}${code ? ` (${code})` : ""}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CliError(
      `${values.input} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    const result = suggest(json);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (error) {
    if (error instanceof MatchingInputError) throw new CliError(`${values.input}: ${error.message}`);
    throw error;
  }
}
