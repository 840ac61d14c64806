import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { IntentRuleSchema } from './schemas/intent-rule.js';
import { DEFAULT_CONVERSATION_OPTIONS as CONVERSATIONS } from './conversations/conversation-store.js';
import { DEFAULT_MESSAGE_ROUTING_OPTIONS as ROUTING } from './messaging/message-routing-service.js';
import { DEFAULT_LEASE_OPTIONS as LEASES } from './resources/lease-options.js';
import { DEFAULT_BREAKER_OPTIONS as BREAKER } from './routing/circuit-breaker.js';

const positiveInt = (max = Number.MAX_SAFE_INTEGER) => z.number().int().min(1).max(max);
const seconds = (max = 86_400) => z.number().positive().max(max);
const ratio = z.number().min(0).max(1);
/** A default in milliseconds from the domain's options, shown in seconds (the file's unit). */
const inSeconds = (ms: number): number => ms / 1000;

/** Message routing (router.route): supervisor, intent rules, fallback. */
const RoutingSection = z.strictObject({
  /** Rules that map a message to a capability when no supervisor decides. @defaultValue [] */
  intentRules: z
    .array(IntentRuleSchema)
    .max(1000)
    .default([...ROUTING.intentRules]),
  /** The capability that marks a supervisor agent. @defaultValue 'supervisor' */
  supervisorCapability: z.string().min(1).default(ROUTING.supervisorCapability),
  /** How long a supervisor may take to answer route.decide before the rules decide. @defaultValue 0.25 s */
  supervisorTimeoutSeconds: seconds(60).default(inSeconds(ROUTING.supervisorTimeoutMs)),
  /** Agents tried per message (first choice plus fallbacks). @defaultValue 3 */
  maxAttempts: positiveInt(20).default(ROUTING.maxAttempts),
  /** Default time an agent has to answer message.deliver. @defaultValue 30 s */
  deliverTimeoutSeconds: seconds(3600).default(inSeconds(ROUTING.deliverTimeoutMs)),
  /** Longest per-attempt timeoutMs a router.route request may ask for (longer ones are capped). @defaultValue 300 s */
  maxDeliverTimeoutSeconds: seconds(86_400).default(inSeconds(ROUTING.maxDeliverTimeoutMs)),
});

/** Conversation history kept for router.route. */
const ConversationsSection = z.strictObject({
  /** Messages relayed as history with each delivery (the newest N). @defaultValue 20 */
  historyMessages: z.number().int().min(0).max(10_000).default(CONVERSATIONS.historyMessages),
  /** Size budget, in bytes of JSON, for the relayed history. @defaultValue 16 KiB */
  historyBytes: z
    .number()
    .int()
    .min(0)
    .max(64 * 1024 * 1024)
    .default(CONVERSATIONS.historyBytes),
  /** Messages stored per conversation (older ones are dropped). @defaultValue 200 */
  maxMessages: positiveInt(100_000).default(CONVERSATIONS.maxMessages),
  /** Conversations kept at once (least recently used are dropped). @defaultValue 10000 */
  maxConversations: positiveInt(10_000_000).default(CONVERSATIONS.maxConversations),
  /** A conversation idle this long is dropped. @defaultValue 3600 s */
  idleTtlSeconds: seconds(86_400 * 30).default(inSeconds(CONVERSATIONS.idleTtlMs)),
  /** JSON bytes stored per conversation; the oldest messages are dropped first. @defaultValue 1 MiB */
  maxConversationBytes: positiveInt(1024 * 1024 * 1024).default(CONVERSATIONS.maxConversationBytes),
  /** JSON bytes stored over all conversations; the least recently used are dropped first. @defaultValue 256 MiB */
  maxTotalBytes: positiveInt(64 * 1024 * 1024 * 1024).default(CONVERSATIONS.maxTotalBytes),
});

/** Per-agent circuit breaker shared by message routing and task assignment. */
const CircuitBreakerSection = z.strictObject({
  /** Consecutive failures that open the breaker. @defaultValue 5 */
  failureThreshold: positiveInt(1000).default(BREAKER.failureThreshold),
  /** Time an open breaker waits before letting one trial through (half-open). @defaultValue 30 s */
  cooldownSeconds: seconds().default(inSeconds(BREAKER.cooldownMs)),
});

/** Resource leases (resource.acquire). */
const LeasesSection = z.strictObject({
  /** Longest ttlSeconds a client may ask for. @defaultValue 3600 s */
  maxTtlSeconds: seconds(86_400 * 7).default(inSeconds(LEASES.maxTtlMs)),
  /** Longest waitMs a client may ask for. @defaultValue 300 s */
  maxWaitSeconds: z.number().min(0).max(86_400).default(inSeconds(LEASES.maxWaitMs)),
  /** Waiters queued per resource before acquire fails with LEASE_QUEUE_FULL. @defaultValue 1000 */
  maxWaitersPerResource: positiveInt(1_000_000).default(LEASES.maxWaitersPerResource),
  /** Leases one agent may hold at once. @defaultValue 1000 */
  maxLeasesPerAgent: positiveInt(1_000_000).default(LEASES.maxLeasesPerAgent),
  /** Conflict events kept for coordination.conflicts. @defaultValue 1000 */
  conflictHistory: positiveInt(1_000_000).default(LEASES.conflictHistory),
});

/** Performance alert thresholds (seed 004's defaults), evaluated on the clock. */
const AlertsSection = z.strictObject({
  /** How often thresholds are evaluated. @defaultValue 10 s */
  evaluationIntervalSeconds: seconds(3600).default(10),
  /** The window rates and ratios are computed over. @defaultValue 300 s */
  windowSeconds: seconds().default(300),
  /** Raise when pool utilization is below this (only while agents are registered). @defaultValue 0.6 */
  utilizationMin: ratio.default(0.6),
  /** Raise when pool utilization is above this. @defaultValue 0.95 */
  utilizationMax: ratio.default(0.95),
  /** Raise when the daemon's coordination time exceeds this share of agent time. @defaultValue 0.05 */
  overheadMax: ratio.default(0.05),
  /** Raise when completed / (completed + failed) in the window falls below this. @defaultValue 0.95 */
  completionRateMin: ratio.default(0.95),
  /** Raise when the p95 conflict resolution time in the window exceeds this. @defaultValue 5 s */
  conflictResolutionMaxSeconds: seconds().default(5),
  /** Ratios need at least this many samples in the window before they can raise. @defaultValue 20 */
  minSamples: positiveInt(1_000_000).default(20),
});

/**
 * The optional configuration file (COORDD_CONFIG / --config): structured settings that do not
 * fit an environment variable. YAML or JSON (JSON is YAML). Every section and field is optional.
 */
export const FileConfigSchema = z.strictObject({
  routing: RoutingSection.prefault({}),
  conversations: ConversationsSection.prefault({}).refine((c) => c.maxConversationBytes <= c.maxTotalBytes, {
    message: 'maxConversationBytes must not exceed maxTotalBytes',
    path: ['maxConversationBytes'],
  }),
  circuitBreaker: CircuitBreakerSection.prefault({}),
  leases: LeasesSection.prefault({}),
  alerts: AlertsSection.prefault({}).refine((a) => a.utilizationMin < a.utilizationMax, {
    message: 'utilizationMin must be below utilizationMax',
    path: ['utilizationMin'],
  }),
});
export type FileConfig = z.infer<typeof FileConfigSchema>;

/** Parse file contents; returns the problem as one line (path: message) on failure. */
export function parseFileConfig(text: string): { ok: true; config: FileConfig } | { ok: false; problem: string } {
  let doc: unknown;
  try {
    doc = parseYaml(text) ?? {};
  } catch (err) {
    return { ok: false, problem: `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}` };
  }
  const parsed = FileConfigSchema.safeParse(doc);
  if (parsed.success) return { ok: true, config: parsed.data };
  const issue = parsed.error.issues[0]!;
  const where = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  return { ok: false, problem: `${where || '(top level)'}: ${issue.message}` };
}

/** The file's defaults, used when no COORDD_CONFIG is given. */
export function defaultFileConfig(): FileConfig {
  return FileConfigSchema.parse({});
}

/** Read and parse the file; `fail` receives one line naming the problem. */
export function readFileConfig(path: string, fail: (problem: string) => never): FileConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const result = parseFileConfig(text);
  return result.ok ? result.config : fail(`${path}: ${result.problem}`);
}
