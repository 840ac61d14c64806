import { ConfigError, loadConfig, parseFlags, readTokensFile, type Config } from './config.js';
import { helpText } from './config-help.js';
import { ClusterNode } from './cluster/cluster-node.js';
import { createClusterRelay } from './cluster/relay/cluster-relay.js';
import { Daemon } from './daemon.js';
import { TokenFileError, TokenTable, isLoopback, parseTokens } from './transport/auth.js';
import { loadTlsFiles, type TlsMaterial } from './tls-files.js';
import { VERSION } from './version.js';
import type { DurableStores } from './stores/open-stores.js';
import { StoreError } from './stores/store-error.js';
import { systemClock } from './time/clock.js';
import { openConfiguredStores } from './wiring/stores.js';

/** Exit codes: 0 clean stop, 1 runtime failure, 2 bad configuration or an address it cannot listen on. */
export const EXIT_CONFIG = 2;

/** The token table COORDD_TOKENS_FILE and COORDD_TOKEN describe (a ConfigError names what is wrong). */
export function buildTokens(config: Config): TokenTable {
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
    entries.push({ token: config.token, role: 'operator' as const, name: 'COORDD_TOKEN' });
  }
  let table: TokenTable;
  try {
    table = new TokenTable(entries);
  } catch (err) {
    if (err instanceof TokenFileError) throw new ConfigError(`COORDD_TOKENS_FILE: ${err.message}`);
    throw err;
  }
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
  let tls: TlsMaterial | undefined;
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
    tls = config.tls && loadTlsFiles(config.tls);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`coordd: configuration error: ${err.message}\n`);
      process.exitCode = EXIT_CONFIG;
      return;
    }
    throw err;
  }

  const validateResults = env.COORDD_VALIDATE_RESULTS === 'true';
  let daemon: Pick<Daemon, 'logger' | 'start' | 'stop'>;
  if (config.store.kind === 'redis') {
    // Cluster mode: Redis is the store, this process one replica (gateway, and leader when elected).
    daemon = new ClusterNode(config, { tokens, tls, validateResults, relay: createClusterRelay });
  } else {
    // The store is opened (created, migrated) before anything listens; a file it cannot use is fatal.
    let stores: DurableStores;
    try {
      stores = openConfiguredStores(config, systemClock);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      process.stderr.write(`coordd: cannot open the store (COORDD_STORE): ${err.message}\n`);
      process.exitCode = 1;
      return;
    }
    daemon = new Daemon(config, { tokens, tls, stores, validateResults });
  }
  if (!tokens.enforced && isLoopback(config.host)) {
    daemon.logger.warn({ host: config.host }, 'no tokens configured: every local connection is admin (loopback only)');
  } else if (!tokens.enforced) {
    daemon.logger.warn(
      { host: config.host, port: config.port },
      `--insecure on a non-loopback address with no tokens: anyone who can reach ${config.host} port ${config.port} is admin`,
    );
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
  installFatalHandlers(daemon);
  try {
    await daemon.start();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const address = `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      const why = code === 'EADDRINUSE' ? 'address already in use' : code === 'EACCES' ? 'permission denied' : 'address not available';
      process.stderr.write(`coordd: cannot listen on ${address}: ${why}\n`);
      process.exit(EXIT_CONFIG);
    }
    daemon.logger.fatal({ err, host: config.host, port: config.port }, 'cannot listen');
    process.exit(1);
  }
}

/**
 * A truly unexpected exception (a bug: every client-triggerable failure is caught per request and
 * answered with a catalogued error) leaves the process in an unknown state, so it is logged as
 * fatal, with its error and where the daemon stood, and the process exits with code 70
 * (EX_SOFTWARE) for a supervisor (systemd, Docker, Kubernetes) to restart it. Staying up after an
 * unknown failure could leave leases, tasks or sockets half-changed and silently wrong.
 */
export const EXIT_FATAL = 70;

/** Log fatal and exit 70 on an uncaught exception or unhandled rejection (exported for its test). */
export function installFatalHandlers(daemon: Pick<Daemon, 'logger'>): void {
  const fatal = (kind: string) => (err: unknown) => {
    try {
      daemon.logger.fatal(
        { err, kind, pid: process.pid, uptimeS: Math.round(process.uptime()), rssBytes: process.memoryUsage.rss() },
        'unexpected exception: exiting for a restart',
      );
    } finally {
      process.exit(EXIT_FATAL);
    }
  };
  process.on('uncaughtException', fatal('uncaughtException'));
  process.on('unhandledRejection', fatal('unhandledRejection'));
}
