import { parseArgs } from 'node:util';

/** One option of a subcommand: parsed by node:util parseArgs and described in its --help. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** What the value is, shown in help (`--type T`). */
  placeholder?: string;
  description: string;
  /** Shown in help; the command applies it. */
  defaultText?: string;
  /** Accepted but left out of help (config print's mirror of every daemon flag). */
  hidden?: boolean;
}

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

/** What a command's run() gets: parsed options and positionals, and where to write. */
export interface CommandContext {
  values: OptionValues;
  positionals: string[];
  env: NodeJS.ProcessEnv;
  out: (text: string) => void;
  err: (text: string) => void;
}

/** A subcommand: its help is generated from the same table its parser uses. */
export interface Command {
  /** e.g. `tasks list` */
  name: string;
  summary: string;
  /** After `coordd <name>`: positionals, e.g. `ID`. */
  args?: string;
  /** Extra lines at the end of the help. */
  notes?: string[];
  options: Record<string, OptionSpec>;
  /** Resolves with the exit code. */
  run(ctx: CommandContext): Promise<number>;
}

/** Exit codes of the CLI. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** Bad command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure to report in one line, exit code 1. */
export class CliFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliFailure';
  }
}

/** Parse `argv` with the command's options (strict: unknown flags are usage errors). */
export function parseCommandArgs(command: Command, argv: string[]): { values: OptionValues; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(command.options)) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const parsed = parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message, command.name);
  }
}

/** `coordd <command> --help`. */
export function commandHelp(command: Command): string {
  const flags = Object.entries(command.options)
    .filter(([, spec]) => !spec.hidden)
    .map(([name, spec]) => {
      const flag = `${spec.short ? `-${spec.short}, ` : '    '}--${name}${spec.type === 'string' ? ` ${spec.placeholder ?? 'VALUE'}` : ''}`;
      const extra = [spec.multiple ? 'repeatable' : '', spec.defaultText ? `default: ${spec.defaultText}` : ''].filter(Boolean).join('; ');
      return `  ${flag.padEnd(30)} ${spec.description}${extra ? ` (${extra})` : ''}`;
    });
  return [
    `Usage: coordd ${command.name}${command.args ? ` ${command.args}` : ''} [options]`,
    '',
    command.summary,
    '',
    'Options:',
    ...flags,
    ...(command.notes?.length ? ['', ...command.notes] : []),
  ].join('\n');
}

/** No positional arguments, or a usage error. */
export function noPositionals(ctx: CommandContext, command: string): void {
  if (ctx.positionals.length > 0) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, command);
}

/** The one positional a command needs, or a usage error naming it. */
export function onePositional(ctx: CommandContext, what: string, command: string): string {
  const [value, ...rest] = ctx.positionals;
  if (!value) throw new UsageError(`missing ${what}`, command);
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`, command);
  return value;
}

/** A whole number option, or a usage error. */
export function intOption(values: OptionValues, name: string, command: string, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  if (!/^-?\d+$/.test(text) || Number(text) < min) throw new UsageError(`--${name} must be a whole number >= ${min} (got "${text}")`, command);
  return Number(text);
}

/** A number option (seconds, ratios), or a usage error. */
export function numberOption(values: OptionValues, name: string, command: string, min = 0): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(String(raw).trim());
  if (String(raw).trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number >= ${min} (got "${String(raw)}")`, command);
  return n;
}
