import { ConfigError, loadConfig, parseFlags, readTokensFile, type Config } from './config.js';
import { helpText } from './config-help.js';
import { Daemon } from './daemon.js';
import { TokenFileError, TokenTable, isLoopback, parseTokens } from './transport/auth.js';
import { VERSION } from './version.js';

/** Exit codes: 0 clean stop, 1 runtime failure (e.g. port in use), 2 bad configuration. */
export const EXIT_CONFIG = 2;

function buildTokens(config: Config): TokenTable {
  const entries = [];
  if (config.tokensFile) {
    try {
      entries.push(...parseTokens(readTokensFile(config.tokensFile)));
    } catch (err) {
      if (err instanceof TokenFileError) throw new ConfigError(`COORDD_TOKENS_FILE: ${err.message}`);
      throw err;
    }
    if (entries.length === 0) throw new ConfigError('COORDD_TOKENS_FILE: the file holds no tokens');
  }
  if (config.token) {
    if (config.token.length < 16) throw new ConfigError('COORDD_TOKEN: must be at least 16 characters');
    entries.push({ token: config.token, role: 'operator' as const });
  }
  const table = new TokenTable(entries);
  if (!table.enforced && !isLoopback(config.host) && !config.insecure) {
    throw new ConfigError(
      `COORDD_HOST: ${config.host} is not a loopback address and no tokens are configured; set COORDD_TOKENS_FILE or COORDD_TOKEN, or pass --insecure`,
    );
  }
  return table;
}

/** Run the daemon as a process: parse configuration, start, stop cleanly on SIGTERM/SIGINT. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let config: Config;
  let tokens: TokenTable;
  try {
    const { cli, overrides } = parseFlags(argv);
    if (cli.help) {
      process.stdout.write(`${helpText()}\n`);
      return;
    }
    if (cli.version) {
      process.stdout.write(`coordd ${VERSION}\n`);
      return;
    }
    config = loadConfig(env, overrides);
    tokens = buildTokens(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`coordd: configuration error: ${err.message}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    throw err;
  }

  const daemon = new Daemon(config, { tokens, validateResults: env.COORDD_VALIDATE_RESULTS === 'true' });
  if (!tokens.enforced) {
    daemon.logger.warn({ host: config.host }, 'no tokens configured: every local connection is admin (loopback only)');
  }
  // Handlers go in before start(): the "listening" line may be read, and SIGTERM sent, at once.
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (++signals > 1) {
      daemon.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    daemon.stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        daemon.logger.fatal({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    await daemon.start();
  } catch (err) {
    daemon.logger.fatal({ err, host: config.host, port: config.port }, 'cannot listen');
    process.exit(1);
  }
}
