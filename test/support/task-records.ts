import type { TaskRecord } from '../../src/pool/task-store.js';

let fixtureCounter = 0;

/** A valid PENDING TaskRecord with a fresh taskId; `overrides` win. */
export function makeTask(overrides: Partial<TaskRecord> = {}): TaskRecord {
  const n = ++fixtureCounter;
  return {
    taskId: `task-${n}`,
    type: 'test.echo',
    payload: { n },
    state: 'PENDING',
    priority: 0,
    epoch: 0,
    attempts: [],
    maxAttempts: 3,
    timeoutMs: 60_000,
    requiredCapabilities: [],
    cancelRequested: false,
    createdAt: 1_700_000_000_000,
    traceId: `trace-${n}`,
    ...overrides,
  };
}
