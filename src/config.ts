import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultFileConfig, readFileConfig, type FileConfig } from './config-file.js';
import { parseOrigins } from './transport/origin-policy.js';
import type { StrategyName, SignalWeights } from './schemas/common.js';
import type { ClusterOptions } from './cluster/cluster-options.js';
import { ConfigError } from './config-error.js';
import { normaliseWeights } from './coordination/coordination-options.js';
import { EnvSchema, FLAGS, type Env, type EnvName, type LOG_LEVELS, type StoreSetting } from './config-env.js';

export { STRATEGY_NAMES, StrategyName } from './schemas/common.js';
export { EnvSchema, FLAGS, LOG_LEVELS, storeText, type Env, type EnvName, type StoreSetting } from './config-env.js';

/** The daemon's whole configuration, parsed and normalised. */
export interface Config {
  host: string;
  port: number;
  logLevel: (typeof LOG_LEVELS)[number];
  maxPayloadBytes: number;
  maxBatch: number;
  maxConnections: number;
  /** Calls one connection may have waiting at once. */
  maxPendingPerConnection: number;
  /** Bounds on client values and on what the daemon holds and sends (issue 9 §1). */
  limits: {
    /** Nesting depth of a stored value (payload, result, error data, message). */
    maxDepth: number;
    /** JSON bytes of one stored value. */
    maxValueBytes: number;
    /** JSON bytes of the payloads of all unfinished tasks. */
    maxQueueBytes: number;
    /** JSON bytes a list reply is filled up to (one item larger than it is still sent, alone). */
    maxReplyBytes: number;
  };
  heartbeatIntervalMs: number;
  sendHighWaterMarkBytes: number;
  requestTimeoutMs: number;
  shutdownTimeoutMs: number;
  tokensFile: string | undefined;
  token: string | undefined;
  insecure: boolean;
  /** Origins besides the daemon's own that may open a WebSocket (normalised). */
  allowedOrigins: string[];
  /** PEM certificate and key files: serve https:// and wss://. */
  tls: { certFile: string; keyFile: string } | undefined;
  routerStrategy: StrategyName;
  overloadThreshold: number;
  pool: {
    maxQueue: number;
    taskTimeoutMs: number;
    maxAttempts: number;
    retryBaseDelayMs: number;
    retryMaxDelayMs: number;
    maxRequeues: number;
    affinityWaitMs: number;
    heartbeatIntervalMs: number;
    leaseTtlMs: number;
    removalGraceMs: number;
    retentionMs: number;
    retentionCount: number;
    templatesFile: string | undefined;
    spawnTimeoutMs: number;
    /** After a restart, how long IN_PROGRESS tasks wait for their agent to reattach. */
    reattachGraceMs: number;
  };
  coordination: {
    enableRep: boolean;
    signalTtlMs: number;
    maxHistorySize: number;
    cleanupIntervalMs: number;
    /** As configured; the coordination service normalises them to sum to 1. */
    weights: SignalWeights;
  };
  /** Structured settings from COORDD_CONFIG (defaults when no file is given). */
  file: FileConfig;
  /** COORDD_STORE, parsed: main opens it (src/wiring/stores.ts). */
  store: StoreSetting;
  /** COORDD_FSYNC: SQLite synchronous=NORMAL (survives a process crash) or FULL (also power loss). */
  fsync: 'normal' | 'full';
  /** Cluster mode's settings (used when COORDD_STORE is redis://…). */
  cluster: ClusterOptions;
  /** The file they came from, if any. */
  configFile: string | undefined;
}

export { ConfigError } from './config-error.js';

export interface CliRequest {
  help: boolean;
  version: boolean;
}

/** Parse argv flags into env-style overrides. Unknown flags are a ConfigError. */
export function parseFlags(argv: readonly string[]): { cli: CliRequest; overrides: Partial<Record<EnvName, string>> } {
  const options: Record<string, { type: 'string' | 'boolean' }> = { help: { type: 'boolean' }, version: { type: 'boolean' }, insecure: { type: 'boolean' } };
  for (const flag of Object.keys(FLAGS)) options[flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}; see coordd --help`);
  }
  const overrides: Partial<Record<EnvName, string>> = {};
  for (const [flag, env] of Object.entries(FLAGS)) {
    const v = values[flag];
    if (typeof v === 'string') overrides[env] = v;
  }
  if (values.insecure) overrides.COORDD_INSECURE = 'true';
  return { cli: { help: values.help === true, version: values.version === true }, overrides };
}

/** Build the configuration from the environment plus flag overrides; throws ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: Partial<Record<EnvName, string>> = {}): Config {
  const raw: Record<string, string> = {};
  for (const key of Object.keys(EnvSchema.shape)) {
    const v = overrides[key as EnvName] ?? env[key];
    if (v !== undefined && v !== '') raw[key] = v;
  }
  const parsed = EnvSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const name = String(issue.path[0] ?? 'configuration');
    const got = raw[name];
    throw new ConfigError(`${name}: ${issue.message}${got === undefined ? '' : ` (got ${JSON.stringify(got)})`}`);
  }
  const e = parsed.data;
  return {
    host: e.COORDD_HOST,
    port: e.COORDD_PORT,
    logLevel: e.COORDD_LOG_LEVEL,
    maxPayloadBytes: e.COORDD_MAX_PAYLOAD,
    maxBatch: e.COORDD_MAX_BATCH,
    maxConnections: e.COORDD_MAX_CONNECTIONS,
    maxPendingPerConnection: e.COORDD_MAX_PENDING,
    limits: {
      maxDepth: e.COORDD_MAX_DEPTH,
      maxValueBytes: e.COORDD_MAX_VALUE_BYTES,
      maxQueueBytes: e.COORDD_MAX_QUEUE_BYTES,
      maxReplyBytes: e.COORDD_MAX_REPLY_BYTES,
    },
    ...connectionTimes(e),
    sendHighWaterMarkBytes: e.COORDD_SEND_HIGH_WATER_MARK,
    tokensFile: e.COORDD_TOKENS_FILE,
    token: e.COORDD_TOKEN,
    insecure: e.COORDD_INSECURE,
    allowedOrigins: allowedOrigins(e.COORDD_ALLOWED_ORIGINS),
    tls: tlsFiles(e.COORDD_TLS_CERT, e.COORDD_TLS_KEY),
    routerStrategy: e.COORDD_ROUTER_STRATEGY,
    overloadThreshold: e.COORDD_OVERLOAD_THRESHOLD,
    pool: poolSection(e),
    coordination: coordinationSection(e),
    file:
      e.COORDD_CONFIG === undefined
        ? defaultFileConfig()
        : readFileConfig(e.COORDD_CONFIG, (problem) => {
            throw new ConfigError(`COORDD_CONFIG: ${problem}`);
          }),
    configFile: e.COORDD_CONFIG,
    store: e.COORDD_STORE,
    fsync: e.COORDD_FSYNC,
    cluster: clusterSection(e),
  };
}

/** Cluster mode's settings, seconds to milliseconds. */
function clusterSection(e: Env): ClusterOptions {
  return {
    nodeId: e.COORDD_NODE_ID,
    leaseMs: Math.round(e.COORDD_CLUSTER_LEASE * 1000),
    prefix: e.COORDD_CLUSTER_PREFIX,
    nodeTtlMs: Math.round(e.COORDD_CLUSTER_NODE_TTL * 1000),
    forwardWaitMs: Math.round(e.COORDD_CLUSTER_FORWARD_WAIT * 1000),
    advertiseUrl: e.COORDD_CLUSTER_ADVERTISE_URL,
    callStream: e.COORDD_CLUSTER_CALL_STREAM,
    gatewayStreamPrefix: e.COORDD_CLUSTER_GATEWAY_STREAM_PREFIX,
  };
}

/** The connection-level times, seconds to milliseconds. */
function connectionTimes(e: Env): Pick<Config, 'heartbeatIntervalMs' | 'requestTimeoutMs' | 'shutdownTimeoutMs'> {
  return {
    heartbeatIntervalMs: e.COORDD_HEARTBEAT_INTERVAL * 1000,
    requestTimeoutMs: e.COORDD_REQUEST_TIMEOUT * 1000,
    shutdownTimeoutMs: e.COORDD_SHUTDOWN_TIMEOUT * 1000,
  };
}

/** The pool's settings, seconds to milliseconds. */
function poolSection(e: Env): Config['pool'] {
  return {
    maxQueue: e.COORDD_MAX_QUEUE,
    taskTimeoutMs: Math.round(e.COORDD_TASK_TIMEOUT * 1000),
    maxAttempts: e.COORDD_TASK_MAX_ATTEMPTS,
    retryBaseDelayMs: e.COORDD_RETRY_BASE_DELAY * 1000,
    retryMaxDelayMs: e.COORDD_RETRY_MAX_DELAY * 1000,
    maxRequeues: e.COORDD_MAX_REQUEUES,
    affinityWaitMs: e.COORDD_AFFINITY_WAIT * 1000,
    heartbeatIntervalMs: Math.round(e.COORDD_AGENT_HEARTBEAT_INTERVAL * 1000),
    leaseTtlMs: Math.round(e.COORDD_AGENT_LEASE_TTL * 1000),
    removalGraceMs: e.COORDD_AGENT_REMOVAL_GRACE * 1000,
    retentionMs: e.COORDD_TASK_RETENTION * 1000,
    retentionCount: e.COORDD_TASK_RETENTION_COUNT,
    templatesFile: e.COORDD_AGENT_TEMPLATES,
    spawnTimeoutMs: e.COORDD_SPAWN_TIMEOUT * 1000,
    reattachGraceMs: e.COORDD_REATTACH_GRACE * 1000,
  };
}

/** The coordination service's settings, seconds to milliseconds. */
function coordinationSection(e: Env): Config['coordination'] {
  const weights: SignalWeights = {
    load: e.ROUTING_WEIGHT_LOAD,
    capacity: e.ROUTING_WEIGHT_CAPACITY,
    quality: e.ROUTING_WEIGHT_QUALITY,
    cost: e.ROUTING_WEIGHT_COST,
    availability: e.ROUTING_WEIGHT_AVAILABILITY,
    latency: e.ROUTING_WEIGHT_LATENCY,
  };
  // The service normalises them; a set it would refuse is a configuration error here.
  try {
    normaliseWeights(weights);
  } catch {
    throw new ConfigError('ROUTING_WEIGHT_*: at least one routing weight must be greater than 0');
  }
  return {
    enableRep: e.COORDINATION_ENABLE_REP,
    signalTtlMs: e.COORDINATION_SIGNAL_TTL * 1000,
    maxHistorySize: e.COORDINATION_MAX_HISTORY_SIZE,
    cleanupIntervalMs: e.COORDINATION_CLEANUP_INTERVAL * 1000,
    weights,
  };
}

function allowedOrigins(list: string | undefined): string[] {
  try {
    return list === undefined ? [] : parseOrigins(list);
  } catch (err) {
    throw new ConfigError(`COORDD_ALLOWED_ORIGINS: ${(err as Error).message}`);
  }
}

function tlsFiles(certFile: string | undefined, keyFile: string | undefined): Config['tls'] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined) throw new ConfigError('COORDD_TLS_CERT: must be set together with COORDD_TLS_KEY');
  if (keyFile === undefined) throw new ConfigError('COORDD_TLS_KEY: must be set together with COORDD_TLS_CERT');
  return { certFile: resolve(certFile), keyFile: resolve(keyFile) };
}

/** Read a file that holds tokens; used by the auth layer. Kept here so config I/O stays in one place. */
export function readTokensFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`COORDD_TOKENS_FILE: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
