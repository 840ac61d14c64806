import { z } from 'zod';
import { StrategyName } from './schemas/common.js';
import { DEFAULT_SIGNAL_WEIGHTS, DEFAULT_STRATEGY } from './schemas/common.js';
import { DEFAULT_VALUE_LIMITS } from './schemas/json-value.js';
import { DEFAULT_CLUSTER_OPTIONS as CLUSTER } from './cluster/cluster-options.js';
import { DEFAULT_COORDINATION_OPTIONS } from './coordination/coordination-options.js';
import { DEFAULT_MEMORY_TASK_STORE_OPTIONS } from './pool/memory-task-store.js';
import { DEFAULT_POOL_OPTIONS } from './pool/pool-options.js';
import { DEFAULT_ENGINE_OPTIONS } from './rpc/engine.js';
import { DEFAULT_SPAWNER_OPTIONS } from './spawn/spawner.js';
import { DEFAULT_HTTP_SERVER_OPTIONS } from './transport/http-server.js';

// The settings as the environment (and the flags that mirror it) spell them: one zod schema;
// config.ts turns the parsed values into the Config sections.

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

/** The parsed environment, before config.ts builds its sections. */
export type Env = z.infer<typeof EnvSchema>;

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
