/** Library entry point: the daemon, its configuration, and the schemas of every method. */
export { Daemon, type DaemonDeps } from './daemon.js';
export { loadConfig, ConfigError, type Config } from './config.js';
export { AppErrors, ProtocolErrors, ErrorCatalogue } from './errors.js';
export * from './schemas/coordination.js';
export * from './schemas/router.js';
export { ALL_METHODS } from './schemas/index.js';
