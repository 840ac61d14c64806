import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { defaultFileConfig, readFileConfig, type FileConfig } from './config-file.js';
import { parseOrigins } from './transport/origin-policy.js';
import { StrategyName, type SignalWeights } from './schemas/common.js';
import { DEFAULT_SIGNAL_WEIGHTS, DEFAULT_STRATEGY } from './schemas/common.js';
import { DEFAULT_VALUE_LIMITS } from './schemas/json-value.js';
import { DEFAULT_CLUSTER_OPTIONS as CLUSTER, type ClusterOptions } from './cluster/cluster-options.js';
import { DEFAULT_COORDINATION_OPTIONS, normaliseWeights } from './coordination/coordination-options.js';
import { DEFAULT_MEMORY_TASK_STORE_OPTIONS } from './pool/memory-task-store.js';
import { DEFAULT_POOL_OPTIONS } from './pool/pool-options.js';
import { DEFAULT_ENGINE_OPTIONS } from './rpc/engine.js';
import { DEFAULT_SPAWNER_OPTIONS } from './spawn/spawner.js';
import { DEFAULT_HTTP_SERVER_OPTIONS } from './transport/http-server.js';

export { STRATEGY_NAMES, StrategyName } from './schemas/common.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const number = (min: number, max = Number.POSITIVE_INFINITY) =>
  z
    .string()
    .trim()
    .regex(/^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min, `must be >= ${min}`).max(max, `must be <= ${max}`));

const boolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], 'must be true or false'))
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const optionalText = z.string().trim().min(1).optional();

/** Where state lives (COORDD_STORE): a SQLite file, process memory, or Redis (cluster mode). */
export type StoreSetting = { kind: 'sqlite'; path: string } | { kind: 'memory' } | { kind: 'redis'; url: string };

/** A store setting as it is written in COORDD_STORE (for help, config print and logs). */
export function storeText(store: StoreSetting): string {
  return store.kind === 'sqlite' ? `sqlite:${store.path}` : store.kind === 'memory' ? 'memory' : store.url;
}

const storeSetting = z
  .string()
  .trim()
  .transform((v, ctx): StoreSetting => {
    if (v === 'memory') return { kind: 'memory' };
    if (/^sqlite:./.test(v)) return { kind: 'sqlite', path: v.slice('sqlite:'.length) };
    if (/^rediss?:\/\/./.test(v)) return { kind: 'redis', url: v };
    ctx.addIssue({ code: 'custom', message: 'must be sqlite:<path>, memory, or redis://…' });
    return z.NEVER;
  });

// Defaults come from the options of the code that uses them (one home per default); settings in
// seconds show them in seconds.
const HTTP = DEFAULT_HTTP_SERVER_OPTIONS;
const POOL = DEFAULT_POOL_OPTIONS;
const COORDINATION = DEFAULT_COORDINATION_OPTIONS;
const WEIGHTS = DEFAULT_SIGNAL_WEIGHTS;
const inSeconds = (ms: number): number => ms / 1000;

/**
 * Every setting, keyed by its environment variable. Values arrive as strings (from the
 * environment or the mirrored flags) and are parsed once, here.
 */
export const EnvSchema = z.object({
  COORDD_HOST: z.string().trim().min(1).default(HTTP.host),
  COORDD_PORT: integer(0, 65535).default(HTTP.port),
  COORDD_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  COORDD_MAX_PAYLOAD: integer(1024, 256 * 1024 * 1024).default(HTTP.maxPayloadBytes),
  COORDD_MAX_BATCH: integer(1, 100_000).default(DEFAULT_ENGINE_OPTIONS.maxBatch),
  COORDD_MAX_CONNECTIONS: integer(1, 1_000_000).default(HTTP.maxConnections),
  COORDD_MAX_PENDING: integer(1, 1_000_000).default(DEFAULT_ENGINE_OPTIONS.maxPendingPerConnection),
  COORDD_MAX_DEPTH: integer(1, 10_000).default(DEFAULT_VALUE_LIMITS.maxDepth),
  COORDD_MAX_VALUE_BYTES: integer(64, 256 * 1024 * 1024).default(DEFAULT_VALUE_LIMITS.maxBytes),
  COORDD_MAX_QUEUE_BYTES: integer(1024, 64 * 1024 * 1024 * 1024).default(POOL.maxQueueBytes),
  COORDD_MAX_REPLY_BYTES: integer(1024, 256 * 1024 * 1024).default(POOL.maxListBytes),
  COORDD_HEARTBEAT_INTERVAL: number(0.01, 3600).default(inSeconds(HTTP.heartbeatIntervalMs)),
  COORDD_SEND_HIGH_WATER_MARK: integer(1024).default(HTTP.highWaterMarkBytes),
  COORDD_REQUEST_TIMEOUT: number(0.001, 3600).default(30),
  COORDD_SHUTDOWN_TIMEOUT: number(0, 3600).default(10),
  COORDD_TOKENS_FILE: optionalText,
  COORDD_TOKEN: optionalText,
  COORDD_INSECURE: boolean.default(false),
  COORDD_ALLOWED_ORIGINS: optionalText,
  COORDD_TLS_CERT: optionalText,
  COORDD_TLS_KEY: optionalText,
  COORDD_ROUTER_STRATEGY: StrategyName.default(DEFAULT_STRATEGY),
  COORDD_OVERLOAD_THRESHOLD: number(0, 1).default(COORDINATION.overloadThreshold),
  COORDD_MAX_QUEUE: integer(1, 10_000_000).default(POOL.maxQueue),
  COORDD_TASK_TIMEOUT: number(0.001, 86_400).default(inSeconds(POOL.defaultTaskTimeoutMs)),
  COORDD_TASK_MAX_ATTEMPTS: integer(1, 100).default(POOL.defaultMaxAttempts),
  COORDD_RETRY_BASE_DELAY: number(0, 3600).default(inSeconds(POOL.retryBaseDelayMs)),
  COORDD_RETRY_MAX_DELAY: number(0, 86_400).default(inSeconds(POOL.retryMaxDelayMs)),
  COORDD_MAX_REQUEUES: integer(0, 1000).default(POOL.maxRequeues),
  COORDD_AFFINITY_WAIT: number(0, 3600).default(inSeconds(POOL.affinityWaitMs)),
  COORDD_AGENT_HEARTBEAT_INTERVAL: number(0.01, 3600).default(inSeconds(POOL.heartbeatIntervalMs)),
  COORDD_AGENT_LEASE_TTL: number(0.01, 86_400).default(inSeconds(POOL.leaseTtlMs)),
  COORDD_AGENT_REMOVAL_GRACE: number(0, 86_400).default(inSeconds(POOL.removalGraceMs)),
  COORDD_TASK_RETENTION: number(0.001, 86_400 * 30).default(inSeconds(DEFAULT_MEMORY_TASK_STORE_OPTIONS.retentionMs)),
  COORDD_TASK_RETENTION_COUNT: integer(1, 10_000_000).default(DEFAULT_MEMORY_TASK_STORE_OPTIONS.retentionCount),
  COORDD_AGENT_TEMPLATES: optionalText,
  COORDD_SPAWN_TIMEOUT: number(0.1, 3600).default(inSeconds(DEFAULT_SPAWNER_OPTIONS.spawnTimeoutMs)),
  COORDD_CONFIG: optionalText,
  COORDD_STORE: storeSetting.default({ kind: 'sqlite', path: './data/coordd.db' }),
  COORDD_FSYNC: z.enum(['normal', 'full'], 'must be normal or full').default('normal'),
  COORDD_REATTACH_GRACE: number(0, 86_400).default(inSeconds(POOL.reattachGraceMs)),
  COORDD_NODE_ID: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"')
    .optional(),
  COORDD_CLUSTER_LEASE: number(0.2, 600).default(inSeconds(CLUSTER.leaseMs)),
  COORDD_CLUSTER_PREFIX: z.string().min(1).max(64).default(CLUSTER.prefix),
  COORDD_CLUSTER_NODE_TTL: number(0.2, 600).default(inSeconds(CLUSTER.nodeTtlMs)),
  COORDD_CLUSTER_FORWARD_WAIT: number(0, 600).default(inSeconds(CLUSTER.forwardWaitMs)),
  COORDD_CLUSTER_ADVERTISE_URL: z
    .string()
    .trim()
    .regex(/^wss?:\/\/./, 'must be a ws:// or wss:// URL')
    .optional(),
  COORDD_CLUSTER_CALL_STREAM: z.string().trim().min(1).max(64).default(CLUSTER.callStream),
  COORDD_CLUSTER_GATEWAY_STREAM_PREFIX: z.string().trim().min(1).max(64).default(CLUSTER.gatewayStreamPrefix),
  COORDINATION_ENABLE_REP: boolean.default(COORDINATION.enableRep),
  COORDINATION_SIGNAL_TTL: number(0.001, 86_400 * 365).default(inSeconds(COORDINATION.signalTtlMs)),
  COORDINATION_MAX_HISTORY_SIZE: integer(1, 100_000).default(COORDINATION.maxHistorySize),
  COORDINATION_CLEANUP_INTERVAL: number(0.001, 86_400).default(inSeconds(COORDINATION.cleanupIntervalMs)),
  ROUTING_WEIGHT_LOAD: number(0).default(WEIGHTS.load),
  ROUTING_WEIGHT_CAPACITY: number(0).default(WEIGHTS.capacity),
  ROUTING_WEIGHT_QUALITY: number(0).default(WEIGHTS.quality),
  ROUTING_WEIGHT_COST: number(0).default(WEIGHTS.cost),
  ROUTING_WEIGHT_AVAILABILITY: number(0).default(WEIGHTS.availability),
  ROUTING_WEIGHT_LATENCY: number(0).default(WEIGHTS.latency),
});

export type EnvName = keyof typeof EnvSchema.shape;

/** Flags that mirror COORDD_ variables (plus --help, --version and the --insecure switch). */
export const FLAGS: Record<string, EnvName> = {
  host: 'COORDD_HOST',
  port: 'COORDD_PORT',
  'log-level': 'COORDD_LOG_LEVEL',
  'max-payload': 'COORDD_MAX_PAYLOAD',
  'max-batch': 'COORDD_MAX_BATCH',
  'max-connections': 'COORDD_MAX_CONNECTIONS',
  'max-pending': 'COORDD_MAX_PENDING',
  'max-depth': 'COORDD_MAX_DEPTH',
  'max-value-bytes': 'COORDD_MAX_VALUE_BYTES',
  'max-queue-bytes': 'COORDD_MAX_QUEUE_BYTES',
  'max-reply-bytes': 'COORDD_MAX_REPLY_BYTES',
  'heartbeat-interval': 'COORDD_HEARTBEAT_INTERVAL',
  'send-high-water-mark': 'COORDD_SEND_HIGH_WATER_MARK',
  'request-timeout': 'COORDD_REQUEST_TIMEOUT',
  'shutdown-timeout': 'COORDD_SHUTDOWN_TIMEOUT',
  'tokens-file': 'COORDD_TOKENS_FILE',
  'allowed-origins': 'COORDD_ALLOWED_ORIGINS',
  'tls-cert': 'COORDD_TLS_CERT',
  'tls-key': 'COORDD_TLS_KEY',
  'router-strategy': 'COORDD_ROUTER_STRATEGY',
  'overload-threshold': 'COORDD_OVERLOAD_THRESHOLD',
  'max-queue': 'COORDD_MAX_QUEUE',
  'task-timeout': 'COORDD_TASK_TIMEOUT',
  'task-max-attempts': 'COORDD_TASK_MAX_ATTEMPTS',
  'retry-base-delay': 'COORDD_RETRY_BASE_DELAY',
  'retry-max-delay': 'COORDD_RETRY_MAX_DELAY',
  'max-requeues': 'COORDD_MAX_REQUEUES',
  'affinity-wait': 'COORDD_AFFINITY_WAIT',
  'agent-heartbeat-interval': 'COORDD_AGENT_HEARTBEAT_INTERVAL',
  'agent-lease-ttl': 'COORDD_AGENT_LEASE_TTL',
  'agent-removal-grace': 'COORDD_AGENT_REMOVAL_GRACE',
  'task-retention': 'COORDD_TASK_RETENTION',
  'task-retention-count': 'COORDD_TASK_RETENTION_COUNT',
  'agent-templates': 'COORDD_AGENT_TEMPLATES',
  'spawn-timeout': 'COORDD_SPAWN_TIMEOUT',
  store: 'COORDD_STORE',
  fsync: 'COORDD_FSYNC',
  'reattach-grace': 'COORDD_REATTACH_GRACE',
  'node-id': 'COORDD_NODE_ID',
  'cluster-lease': 'COORDD_CLUSTER_LEASE',
  config: 'COORDD_CONFIG',
};

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

/** A configuration problem: names the variable and what is wrong. main.ts prints it and exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

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

type Env = z.infer<typeof EnvSchema>;

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
