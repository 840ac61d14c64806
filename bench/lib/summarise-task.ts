import type { TaskRecord } from '../../src/pool/task-store.js';

/** A realistic payload and result (an LLM summarising a document), the size the store benches write. */
export const SUMMARISE_PAYLOAD = { prompt: 'summarise the attached document in three sentences', doc: 'd-0001', pad: 'x'.repeat(120) };
export const SUMMARISE_RESULT = { summary: 'y'.repeat(160), tokens: 412 };

/** Task number `id` of a bench's workload, PENDING; `overrides` win. */
export function summariseTask(id: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return {
    taskId: `t-${id.toString(36)}-${'0'.repeat(8)}`,
    type: 'llm.summarise',
    payload: SUMMARISE_PAYLOAD,
    state: 'PENDING',
    priority: 0,
    epoch: 0,
    attempts: [],
    maxAttempts: 3,
    timeoutMs: 60_000,
    requiredCapabilities: ['summarise'],
    cancelRequested: false,
    createdAt: Date.now(),
    idempotencyKey: `key-${id}`,
    traceId: `trace-${id}`,
    ...overrides,
  };
}
