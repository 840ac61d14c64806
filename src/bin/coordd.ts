#!/usr/bin/env node
const argv = process.argv.slice(2);
const first = argv[0];

// `coordd <command> …` is the operator CLI; no command (or only flags) runs the daemon.
if (first !== undefined && !first.startsWith('-')) {
  const { COMMAND_WORDS, runCli } = await import('../cli/index.js');
  if (COMMAND_WORDS.has(first)) {
    process.exitCode = await runCli(argv, process.env);
  } else {
    process.stderr.write(`coordd: unknown command "${first}"; commands: ${[...COMMAND_WORDS].join(', ')} (see coordd --help)\n`);
    process.exitCode = 2;
  }
} else {
  const { main } = await import('../main.js');
  main(argv, process.env).catch((err: unknown) => {
    process.stderr.write(`coordd: fatal: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
