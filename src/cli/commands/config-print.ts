import { ConfigError, FLAGS, type EnvName } from '../../config.js';
import { describeSettings } from '../../config-help.js';
import { EXIT, UsageError, type Command, type OptionSpec } from '../command.js';
import { CONNECTION_OPTIONS, outputFormat } from '../connection.js';
import { cell, json, table } from '../output.js';

/** The daemon's own flags, accepted so `config print` shows what `coordd <flags>` would run with. */
const daemonFlags: Record<string, OptionSpec> = Object.fromEntries([
  ...Object.entries(FLAGS).map(([flag, env]) => [flag, { type: 'string', hidden: true, description: env } satisfies OptionSpec]),
  ['insecure', { type: 'boolean', hidden: true, description: 'COORDD_INSECURE' } satisfies OptionSpec],
]);

export const configPrintCommand: Command = {
  name: 'config print',
  summary: 'Every setting the daemon would run with here: value, and where it came from (default, env, flag, file). Secrets are redacted.',
  notes: [
    "It reads this shell's environment and accepts every daemon flag (coordd config print --port 9000),",
    'so it shows what `coordd` started the same way would use; a bad value exits 2 as the daemon would.',
  ],
  options: { output: CONNECTION_OPTIONS.output!, help: CONNECTION_OPTIONS.help!, ...daemonFlags },
  async run(ctx) {
    const format = outputFormat(ctx, this.name);
    if (ctx.positionals.length) throw new UsageError(`unexpected argument "${ctx.positionals[0]}"`, this.name);
    const overrides: Partial<Record<EnvName, string>> = {};
    for (const [flag, env] of Object.entries(FLAGS)) {
      const v = ctx.values[flag];
      if (typeof v === 'string') overrides[env] = v;
    }
    if (ctx.values.insecure) overrides.COORDD_INSECURE = 'true';
    let rows;
    try {
      rows = describeSettings(ctx.env, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(`configuration error: ${err.message}`);
      throw err;
    }
    if (format === 'json') ctx.out(json(rows.map(({ name, value, source }) => ({ name, value: value ?? null, source }))));
    else
      ctx.out(
        table(
          ['SETTING', 'VALUE', 'SOURCE'],
          rows.map((r) => [r.name, r.value === undefined ? '-' : cell(r.value, 70), r.source]),
        ),
      );
    return EXIT.OK;
  },
};
