import { ConfigError } from '../config.js';
import { CliFailure, EXIT, UsageError, commandHelp, parseCommandArgs, type Command } from './command.js';
import { agentCommands } from './commands/agents.js';
import { alertsCommand } from './commands/alerts.js';
import { configPrintCommand } from './commands/config-print.js';
import { statusCommand } from './commands/status.js';
import { clusterCommand } from './commands/cluster.js';
import { submitCommand } from './commands/submit.js';
import { taskCommands } from './commands/tasks.js';

/** Every operator subcommand, by its full name (`tasks list`). */
export const COMMANDS: readonly Command[] = [
  statusCommand,
  clusterCommand,
  ...agentCommands,
  ...taskCommands,
  submitCommand,
  alertsCommand,
  configPrintCommand,
];

/** Words that start a subcommand; anything else (`--port 0`, nothing) runs the daemon. */
export const COMMAND_WORDS: ReadonlySet<string> = new Set(COMMANDS.map((c) => c.name.split(' ')[0]!));

/** Groups whose first word needs a second one (`tasks list`), with their choices. */
function groupChoices(word: string): string[] {
  return COMMANDS.filter((c) => c.name.startsWith(`${word} `) && !COMMANDS.some((d) => d.name === word)).map((c) => c.name.split(' ')[1]!);
}

/** Pick the command `argv` names: the longest `word word` match, else the single word. */
function resolve(argv: string[]): { command: Command; rest: string[] } {
  const [first = '', second] = argv;
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two) return { command: two, rest: argv.slice(2) };
  const one = COMMANDS.find((c) => c.name === first);
  if (one) return { command: one, rest: argv.slice(1) };
  const choices = groupChoices(first);
  if (second === undefined || second.startsWith('-')) throw new UsageError(`${first} needs a subcommand: ${choices.join(', ')}`, `${first}`);
  throw new UsageError(`unknown command "coordd ${first} ${second}"; choose one of: ${choices.join(', ')}`, first);
}

/** What to print for `coordd tasks --help` (a group without a command of its own). */
function groupHelp(word: string): string {
  return [
    `Usage: coordd ${word} <${groupChoices(word).join('|')}> [options]`,
    '',
    ...COMMANDS.filter((c) => c.name.startsWith(`${word} `)).map((c) => `  coordd ${c.name}${c.args ? ` ${c.args}` : ''}\n      ${c.summary}`),
    '',
    `coordd ${word} <command> --help shows each one's options.`,
  ].join('\n');
}

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

/** Run an operator subcommand; resolves with the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv, io: CliIo = processIo): Promise<number> {
  let command: Command | undefined;
  try {
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    if (wantsHelp && groupChoices(argv[0] ?? '').length > 0 && !COMMANDS.some((c) => c.name === `${argv[0]} ${argv[1]}`)) {
      io.out(groupHelp(argv[0]!));
      return EXIT.OK;
    }
    const resolved = resolve(argv);
    command = resolved.command;
    const { values, positionals } = parseCommandArgs(command, resolved.rest);
    if (values.help) {
      io.out(commandHelp(command));
      return EXIT.OK;
    }
    return await command.run({ values, positionals, env, out: io.out, err: io.err });
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError) {
      const about = err instanceof UsageError ? (err.command ?? command?.name) : command?.name;
      io.err(`coordd: ${err.message}${about ? `; see coordd ${about} --help` : ''}`);
      return EXIT.USAGE;
    }
    if (err instanceof CliFailure) {
      io.err(`coordd: ${err.message}`);
      return EXIT.FAILED;
    }
    io.err(`coordd: ${(err as Error).stack ?? String(err)}`);
    return EXIT.FAILED;
  }
}
