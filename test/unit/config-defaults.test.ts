import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.js';
import { defaultFileConfig } from '../../src/config-file.js';
import { DEFAULT_COORDINATION_OPTIONS } from '../../src/coordination/coordination-options.js';
import { DEFAULT_CONVERSATION_OPTIONS } from '../../src/conversations/conversation-store.js';
import { DEFAULT_MESSAGE_ROUTING_OPTIONS } from '../../src/messaging/message-routing-service.js';
import { DEFAULT_MEMORY_TASK_STORE_OPTIONS } from '../../src/pool/memory-task-store.js';
import { DEFAULT_POOL_OPTIONS } from '../../src/pool/pool-options.js';
import { DEFAULT_LEASE_OPTIONS, leaseOptionsFromFile } from '../../src/resources/lease-options.js';
import { DEFAULT_BREAKER_OPTIONS } from '../../src/routing/circuit-breaker.js';
import { DEFAULT_SPAWNER_OPTIONS } from '../../src/spawn/spawner.js';
import { DEFAULT_HTTP_SERVER_OPTIONS } from '../../src/transport/http-server.js';

const source = (path: string): string => readFileSync(fileURLToPath(new URL(`../../src/${path}`, import.meta.url)), 'utf8');

describe('one home per default', () => {
  it('the configuration with nothing set is the domain options, converted to milliseconds', () => {
    const c = loadConfig({});
    expect(c.pool).to.include({
      taskTimeoutMs: DEFAULT_POOL_OPTIONS.defaultTaskTimeoutMs,
      maxAttempts: DEFAULT_POOL_OPTIONS.defaultMaxAttempts,
      retryBaseDelayMs: DEFAULT_POOL_OPTIONS.retryBaseDelayMs,
      retryMaxDelayMs: DEFAULT_POOL_OPTIONS.retryMaxDelayMs,
      maxQueue: DEFAULT_POOL_OPTIONS.maxQueue,
      maxRequeues: DEFAULT_POOL_OPTIONS.maxRequeues,
      affinityWaitMs: DEFAULT_POOL_OPTIONS.affinityWaitMs,
      heartbeatIntervalMs: DEFAULT_POOL_OPTIONS.heartbeatIntervalMs,
      leaseTtlMs: DEFAULT_POOL_OPTIONS.leaseTtlMs,
      removalGraceMs: DEFAULT_POOL_OPTIONS.removalGraceMs,
      retentionMs: DEFAULT_MEMORY_TASK_STORE_OPTIONS.retentionMs,
      retentionCount: DEFAULT_MEMORY_TASK_STORE_OPTIONS.retentionCount,
      spawnTimeoutMs: DEFAULT_SPAWNER_OPTIONS.spawnTimeoutMs,
    });
    const { weights, ...coordination } = c.coordination;
    expect(coordination).to.deep.equal({
      enableRep: DEFAULT_COORDINATION_OPTIONS.enableRep,
      signalTtlMs: DEFAULT_COORDINATION_OPTIONS.signalTtlMs,
      maxHistorySize: DEFAULT_COORDINATION_OPTIONS.maxHistorySize,
      cleanupIntervalMs: DEFAULT_COORDINATION_OPTIONS.cleanupIntervalMs,
    });
    expect(weights).to.deep.equal(DEFAULT_COORDINATION_OPTIONS.weights);
    expect(c.overloadThreshold).to.equal(DEFAULT_COORDINATION_OPTIONS.overloadThreshold);
    expect(c.routerStrategy).to.equal(DEFAULT_POOL_OPTIONS.defaultStrategy);
    expect(c.limits).to.deep.include({ maxQueueBytes: DEFAULT_POOL_OPTIONS.maxQueueBytes, maxReplyBytes: DEFAULT_POOL_OPTIONS.maxListBytes });
    expect(c).to.include({
      host: DEFAULT_HTTP_SERVER_OPTIONS.host,
      port: DEFAULT_HTTP_SERVER_OPTIONS.port,
      maxPayloadBytes: DEFAULT_HTTP_SERVER_OPTIONS.maxPayloadBytes,
      maxConnections: DEFAULT_HTTP_SERVER_OPTIONS.maxConnections,
      heartbeatIntervalMs: DEFAULT_HTTP_SERVER_OPTIONS.heartbeatIntervalMs,
      sendHighWaterMarkBytes: DEFAULT_HTTP_SERVER_OPTIONS.highWaterMarkBytes,
    });
  });

  it('the config file with nothing set is the domain options, in seconds', () => {
    const f = defaultFileConfig();
    const { firstFencingToken: _clockBased, ...leases } = DEFAULT_LEASE_OPTIONS;
    expect(leaseOptionsFromFile(f.leases)).to.deep.equal(leases);
    expect(f.circuitBreaker).to.deep.equal({
      failureThreshold: DEFAULT_BREAKER_OPTIONS.failureThreshold,
      cooldownSeconds: DEFAULT_BREAKER_OPTIONS.cooldownMs / 1000,
    });
    expect(f.routing).to.deep.equal({
      intentRules: [],
      supervisorCapability: DEFAULT_MESSAGE_ROUTING_OPTIONS.supervisorCapability,
      supervisorTimeoutSeconds: DEFAULT_MESSAGE_ROUTING_OPTIONS.supervisorTimeoutMs / 1000,
      maxAttempts: DEFAULT_MESSAGE_ROUTING_OPTIONS.maxAttempts,
      deliverTimeoutSeconds: DEFAULT_MESSAGE_ROUTING_OPTIONS.deliverTimeoutMs / 1000,
      maxDeliverTimeoutSeconds: DEFAULT_MESSAGE_ROUTING_OPTIONS.maxDeliverTimeoutMs / 1000,
    });
    const { idleTtlSeconds, ...conversations } = f.conversations;
    const { idleTtlMs, ...defaults } = DEFAULT_CONVERSATION_OPTIONS;
    expect(conversations).to.deep.equal(defaults);
    expect(idleTtlSeconds).to.equal(idleTtlMs / 1000);
  });

  it('the config schemas write no default of their own where the domain has one (only settings the domain does not take)', () => {
    const literal = /\.default\((-?[\d.][\d_.]*|'[^']*')\)/g;
    const env = [...source('config-env.ts').matchAll(literal)].map((m) => m[1]);
    // COORDD_LOG_LEVEL, COORDD_REQUEST_TIMEOUT, COORDD_SHUTDOWN_TIMEOUT, COORDD_FSYNC: daemon-level settings read nowhere else.
    expect(env).to.deep.equal(["'info'", '30', '10', "'normal'"]);
    const file = source('config-file.ts');
    const beforeAlerts = file.slice(0, file.indexOf('const AlertsSection'));
    // The alerts section's thresholds live only in the file schema (the evaluator takes them whole).
    expect([...beforeAlerts.matchAll(literal)].map((m) => m[1])).to.deep.equal([]);
  });
});
