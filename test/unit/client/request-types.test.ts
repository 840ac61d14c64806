import { expect } from 'chai';
import type { CoordClient } from '../../../src/client/index.js';

/**
 * Type-level checks of `CoordClient.request`: `npm run typecheck` compiles this file, so each
 * `@ts-expect-error` line fails the build if it ever compiles (an unknown method or wrong params
 * accepted). The function is never called; the test below only keeps mocha aware of the file.
 */
async function typedCalls(client: CoordClient): Promise<void> {
  const assigned = await client.request('pool.assign', { type: 'echo', payload: { text: 'hi' } });
  const taskId: string = assigned.taskId;
  const record = await client.request('task.get', { taskId });
  const state: 'PENDING' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'CANCELLED' = record.state;
  const status = await client.request('pool.status');
  const depth: number = status.queue.depth;
  await client.request('coordination.alerts');
  await client.request('task.wait', { taskId, timeoutMs: 1000 }, { timeoutMs: 6000 });
  void [state, depth];

  // @ts-expect-error an unknown method does not compile
  await client.request('pool.asign', { type: 'echo' });
  // @ts-expect-error a required field is missing
  await client.request('pool.assign', { payload: 1 });
  // @ts-expect-error a field has the wrong type
  await client.request('task.get', { taskId: 42 });
  // @ts-expect-error a field the schema does not know
  await client.request('task.cancel', { taskId, force: true });
  // @ts-expect-error required params cannot be left out
  await client.request('task.get');
  // @ts-expect-error the result is typed: a task record has no "status"
  void (await client.request('task.get', { taskId })).status;
  // @ts-expect-error notifications are typed too
  client.notify('agent.heartbeat', { state: 'SLEEPING' });
  // The explicit door for methods newer than this client stays open, and says so in its name.
  await client.requestUntyped('some.futureMethod', { anything: true });
}

describe('CoordClient.request types', () => {
  it('are checked by the type checker (this file is part of npm run typecheck)', () => {
    expect(typedCalls).to.be.a('function');
  });
});
