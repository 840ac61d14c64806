import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { EnvSchema, FLAGS, loadConfig, storeText, type EnvName, type StoreSetting } from './config.js';
import { SETTING_DESCRIPTIONS } from './config-docs.js';

/** The operator subcommands, for the daemon's help (src/cli holds them; a test keeps the two in step). */
export const CLI_COMMANDS_HELP = [
  ['status', 'the pool at a glance'],
  ['cluster', 'cluster mode: the leader, its term, every replica'],
  ['agents [get ID]', 'agents and their state; one agent in full'],
  ['tasks list|get|cancel|retry|watch', 'look at and steer tasks'],
  ['submit --type T --payload JSON [--wait]', 'submit a task (and wait for it)'],
  ['alerts', 'active performance alerts'],
  ['config print', 'every setting, its value and where it came from'],
] as const;

const flagFor: Partial<Record<EnvName, string>> = Object.fromEntries(Object.entries(FLAGS).map(([flag, env]) => [env, `--${flag}`]));

/** Each setting's default as the schema gives it (undefined: none). */
export function settingDefaults(): Record<EnvName, unknown> {
  return EnvSchema.parse({}) as Record<EnvName, unknown>;
}

/** `coordd --help`: generated from the config schema (names, defaults) and SETTING_DESCRIPTIONS. */
export function helpText(): string {
  const defaults = settingDefaults();
  const settings = (Object.keys(EnvSchema.shape) as EnvName[]).flatMap((env) => {
    const flag = env === 'COORDD_INSECURE' ? '--insecure' : flagFor[env];
    const value = defaults[env];
    return [`  ${env}${flag ? `, ${flag}` : ''}  (default: ${showValue(value)})`, `      ${SETTING_DESCRIPTIONS[env]}`];
  });
  return [
    'coordd — coordination daemon for fleets of AI agents (JSON-RPC 2.0 over WebSocket)',
    '',
    'Usage:',
    '  coordd [flags]                 run the daemon; flags mirror the variables below (--port 0, --log-level debug)',
    '  coordd <command> [options]     talk to a running daemon as an operator (coordd <command> --help):',
    ...CLI_COMMANDS_HELP.map(([name, what]) => `    ${name.padEnd(42)} ${what}`),
    '',
    'Settings (environment variable, flag, default; the environment is read first, flags win):',
    ...settings,
    '',
    '  --help, --version',
    '',
    'README.md explains each setting and the configuration file; docs/protocol.md the API.',
  ].join('\n');
}

function isStoreSetting(value: unknown): value is StoreSetting {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return typeof value === 'object' && (kind === 'sqlite' || kind === 'memory' || kind === 'redis');
}

/** A setting's value for people: none, a plain scalar, or compact JSON for parsed structures. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'none';
  if (isStoreSetting(value)) return storeText(value);
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

export type SettingSource = 'default' | 'env' | 'flag' | 'file';

/** One setting as `coordd config print` shows it. */
export interface SettingRow {
  name: string;
  value: unknown;
  source: SettingSource;
  description: string;
}

const SECRET_NAME = /TOKEN(?!S_FILE)|SECRET|PASSWORD|PASSPHRASE|PRIVATE_KEY/i;
export const REDACTED = '<redacted>';

/** Hide secrets: values of secret-named settings (or fields), and passwords inside URLs, at any depth. */
export function redact(name: string, value: unknown): unknown {
  if (value === undefined) return value;
  if (SECRET_NAME.test(name)) return REDACTED;
  if (typeof value === 'string') return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, `$1:${REDACTED}@`);
  if (Array.isArray(value)) return value.map((v) => redact(name, v));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(k, v)]));
  return value;
}

/**
 * Every setting with its effective value and where it came from: the environment variables
 * (default, env or flag) and the configuration file's fields (default or file). Validates like the
 * daemon does (throws ConfigError). Secrets are redacted.
 */
export function describeSettings(env: NodeJS.ProcessEnv, overrides: Partial<Record<EnvName, string>>): SettingRow[] {
  const config = loadConfig(env, overrides);
  const parsed = EnvSchema.parse(
    Object.fromEntries(
      (Object.keys(EnvSchema.shape) as EnvName[]).flatMap((k) => {
        const v = overrides[k] ?? env[k];
        return v !== undefined && v !== '' ? [[k, v]] : [];
      }),
    ),
  ) as Record<EnvName, unknown>;
  const rows: SettingRow[] = (Object.keys(EnvSchema.shape) as EnvName[]).map((name) => {
    const source: SettingSource = overrides[name] !== undefined ? 'flag' : env[name] !== undefined && env[name] !== '' ? 'env' : 'default';
    return { name, value: redact(name, parsed[name]), source, description: SETTING_DESCRIPTIONS[name] };
  });
  const given = config.configFile === undefined ? {} : (parseYaml(readFileSync(config.configFile, 'utf8')) ?? {});
  for (const [section, fields] of Object.entries(config.file)) {
    for (const [field, value] of Object.entries(fields as Record<string, unknown>)) {
      const name = `${section}.${field}`;
      const inFile = (given as Record<string, Record<string, unknown> | undefined>)[section]?.[field] !== undefined;
      rows.push({
        name,
        value: redact(name, value),
        source: inFile ? 'file' : 'default',
        description: `configuration file (COORDD_CONFIG), section ${section}`,
      });
    }
  }
  return rows;
}
