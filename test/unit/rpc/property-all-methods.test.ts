import { expect } from 'chai';
import fc from 'fast-check';
import { z } from 'zod';
import { Daemon } from '../../../src/daemon.js';
import { loadConfig } from '../../../src/config.js';
import { ErrorCatalogue } from '../../../src/errors.js';
import { createLogger } from '../../../src/observability/logger.js';
import { RpcPeer } from '../../../src/rpc/peer.js';
import { Outboxes } from '../../../src/transport/outbox.js';
import type { Session } from '../../../src/rpc/session.js';
import { ALL_METHODS } from '../../../src/schemas/index.js';
import { ROLES, type Role } from '../../../src/schemas/method.js';
import { VirtualClock } from '../../../src/time/virtual-clock.js';
import { fromSchema, hostileValue, objectOf, ODD_KEYS } from '../../support/hostile-values.js';
import { recordingLog } from '../../support/in-memory-session.js';

const CATALOGUED = new Set(Object.values(ErrorCatalogue).map((e) => e.code));
/** Runs per method: the CI-sized run (the long run is `npm run fuzz`, over real sockets). */
const RUNS = Number(process.env.FUZZ_RUNS ?? 12);

/**
 * Every method of ALL_METHODS, against the real engine of a real (in-process, never listening)
 * daemon, with params derived from its zod schema and hostile values mixed in. Whatever arrives,
 * each request is answered exactly once, with a result that matches the method's schema
 * (validateResults) or a catalogued error; never an internal error, never a throw.
 */
describe('property: every method answers arbitrary params exactly once, correctly', function () {
  this.timeout(120_000);

  for (const def of ALL_METHODS) {
    it(def.name, async () => {
      const clock = new VirtualClock();
      // No templates: pool.spawn must not start real processes here (the fuzz run does not either).
      const daemon = new Daemon(loadConfig({ COORDD_MAX_VALUE_BYTES: '65536' }), {
        logger: createLogger('silent'),
        clock,
        validateResults: true,
        templates: new Map(),
      });
      const sessions = new Map<Role, Session & { peer: RpcPeer }>();
      for (const role of ROLES) {
        const peer = new RpcPeer(() => {}, 1000, undefined, clock);
        // A transport the daemon may close (takeover, removal); the in-process sessions have no socket.
        const transport = { close: () => {}, send: () => {} };
        const outbox = new Outboxes({ onHookFailure: () => {} }).open(transport);
        sessions.set(
          role,
          Object.assign({ id: `s-${role}`, role, log: recordingLog(), remoteAddress: undefined, peer, agentId: undefined }, { transport, outbox }),
        );
      }
      const schema = z.toJSONSchema(def.params, { target: 'draft-07', io: 'input', unrepresentable: 'any' }) as Parameters<typeof fromSchema>[0];
      const params = fc.oneof(
        { weight: 5, arbitrary: fromSchema(schema) },
        { weight: 1, arbitrary: hostileValue() },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.constantFrom(...ODD_KEYS), hostileValue()), { maxLength: 3 }).map(objectOf) },
      );
      let id = 0;
      await fc.assert(
        fc.asyncProperty(params, fc.constantFrom(...def.roles, ...ROLES), async (p, role) => {
          const callId = ++id;
          const frame = JSON.stringify({ jsonrpc: '2.0', id: callId, method: def.name, params: p });
          const out = daemon.engine.handleText(frame, sessions.get(role)!);
          let text: string | undefined;
          let settled = false;
          Promise.resolve(out).then((t) => {
            text = t;
            settled = true;
          });
          // Calls that wait (task.wait, resource.acquire…) end on the virtual clock.
          for (let i = 0; i < 20 && !settled; i++) {
            await new Promise((r) => setImmediate(r));
            if (!settled) clock.advance(400_000);
          }
          expect(settled, `${def.name} never answered ${frame.slice(0, 200)}`).to.equal(true);
          const reply = JSON.parse(text!);
          expect(Array.isArray(reply)).to.equal(false);
          expect(reply.jsonrpc).to.equal('2.0');
          const isObject = typeof p === 'object' && p !== null;
          if (!isObject) {
            expect(reply.error.code, 'params neither object nor array').to.equal(-32600);
            return;
          }
          expect(reply.id).to.equal(callId);
          expect('result' in reply !== 'error' in reply, 'exactly one of result and error').to.equal(true);
          if ('error' in reply) {
            expect(CATALOGUED.has(reply.error.code), `uncatalogued code ${reply.error.code}`).to.equal(true);
            expect(reply.error.code, `internal error for ${frame.slice(0, 300)}: ${JSON.stringify(reply.error)}`).to.not.equal(-32603);
          }
        }),
        { numRuns: RUNS, seed: process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED) },
      );
    });
  }
});
