import { expect } from 'chai';
import { Daemon } from '../../src/daemon.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { openRpcDocument } from '../../src/api/discover-api.js';
import { ALL_METHODS } from '../../src/schemas/index.js';
import { memorySession } from '../support/in-memory-session.js';

/** A daemon built in-process (never started: nothing listens), to read what its engine serves. */
const daemon = () => new Daemon(loadConfig({}), { logger: createLogger('silent') });
const names = (defs: readonly { name: string }[]) => defs.map((d) => d.name);

describe('Daemon wiring', () => {
  it('serves exactly the methods of ALL_METHODS, each with its own definition', () => {
    const served = daemon().engine.definitions();
    expect([...names(served)].sort()).to.deep.equal([...names(ALL_METHODS)].sort());
    const byName = new Map(ALL_METHODS.map((d) => [d.name, d]));
    for (const def of served) expect(def, def.name).to.equal(byName.get(def.name));
  });

  it('documents in rpc.discover exactly the methods it serves', async () => {
    const d = daemon();
    const { session } = memorySession('admin');
    const reply = JSON.parse((await d.engine.handleText(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'rpc.discover' }), session))!);
    const documented: { name: string }[] = reply.result.methods;
    expect([...names(documented)].sort()).to.deep.equal([...names(d.engine.definitions())].sort());
    expect(names(documented)).to.deep.equal(names((openRpcDocument() as { methods: { name: string }[] }).methods));
  });
});
