import type { TaskRecord } from '../../src/pool/task-store.js';
import { makeTask } from '../../test/support/task-records.js';

/** A realistic payload and result (an LLM summarising a document), the size the store benches write. */
export const SUMMARISE_PAYLOAD = { prompt: 'summarise the attached document in three sentences', doc: 'd-0001', pad: 'x'.repeat(120) };
export const SUMMARISE_RESULT = { summary: 'y'.repeat(160), tokens: 412 };

/** Task number `id` of a bench's workload, PENDING (test/support's record with this payload); `overrides` win. */
export function summariseTask(id: number, overrides: Partial<TaskRecord> = {}): TaskRecord {
  return makeTask({
    taskId: `t-${id.toString(36)}-${'0'.repeat(8)}`,
    type: 'llm.summarise',
    payload: SUMMARISE_PAYLOAD,
    requiredCapabilities: ['summarise'],
    createdAt: Date.now(),
    idempotencyKey: `key-${id}`,
    traceId: `trace-${id}`,
    ...overrides,
  });
}
