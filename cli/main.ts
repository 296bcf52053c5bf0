/**
 * `kontor <command> [args]`: one file per command under ./commands, each exporting `run(argv)` that returns
 * the process exit code. Errors meant for the user are thrown as CliError and printed without a stack.
 */
import { CliError } from "./cli-error.ts";

const commands: Record<
  string,
  { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }
> = {
  match: {
    summary: "match --input FILE   suggest which documents transactions pay",
    load: () => import("./commands/match.ts"),
  },
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const command = name ? commands[name] : undefined;
  if (!command) {
    const lines = Object.values(commands).map((c) => `  kontor ${c.summary}`);
    process.stderr.write(`${name ? `unknown command "${name}"\n` : ""}usage:\n${lines.join("\n")}\n`);
    return name ? 2 : 0;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CliError) {
      process.stderr.write(`kontor: ${error.message}\n`);
      process.exitCode = error.exitCode;
    } else {
      process.stderr.write(
        `kontor: unexpected error\n${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exitCode = 70;
    }
  },
);
