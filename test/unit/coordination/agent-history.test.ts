import { expect } from 'chai';
import { AgentHistory, type HistoryEntry } from '../../../src/coordination/agent-history.js';
import { TYPE_INDEX } from '../../../src/coordination/signal-index.js';

const LOAD = TYPE_INDEX.load;
const COST = TYPE_INDEX.cost;
/** Entry n: timestamp n (its identity in these tests), value n/1000. */
const sig = (n: number, expiresAt = 1_000_000 + n, confidence = 1): HistoryEntry => ({ value: n / 1000, confidence, timestamp: n, expiresAt });
const ts = (h: AgentHistory, type = LOAD) => h.toArray(type).map((s) => s.timestamp);

describe('AgentHistory', () => {
  it('keeps entries per type in arrival order and drops the oldest beyond capacity', () => {
    const h = new AgentHistory(3);
    expect(h.push(LOAD, sig(1))).to.equal(false);
    h.push(LOAD, sig(2));
    h.push(COST, sig(100));
    h.push(LOAD, sig(3));
    expect(h.push(LOAD, sig(4))).to.equal(true);
    h.push(LOAD, sig(5));
    expect(h.size(LOAD)).to.equal(3);
    expect(ts(h)).to.deep.equal([3, 4, 5]);
    expect(ts(h, COST)).to.deep.equal([100]);
    expect(h.total).to.equal(4);
    expect(h.at(LOAD, 0)).to.deep.equal(sig(3));
    expect([h.value(LOAD, 1), h.timestamp(LOAD, 1), h.expiresAt(LOAD, 1)]).to.deep.equal([0.004, 4, 1_000_004]);
    expect(h.at(LOAD, 3)).to.equal(undefined);
  });

  it('keeps every field of an entry', () => {
    const h = new AgentHistory(5);
    h.push(COST, { value: 0.25, confidence: 0.4, timestamp: 7, expiresAt: 9 });
    expect(h.toArray(COST)).to.deep.equal([{ value: 0.25, confidence: 0.4, timestamp: 7, expiresAt: 9 }]);
  });

  it('grows lazily while keeping every type in order after drops and wrap-around', () => {
    const h = new AgentHistory(100);
    for (let n = 1; n <= 3; n++) h.push(LOAD, sig(n, n * 10));
    h.push(COST, sig(50, 5_000));
    expect(h.dropExpired(10)).to.equal(1);
    for (let n = 4; n <= 12; n++) h.push(LOAD, sig(n, n * 10)); // wraps, then grows twice
    expect(ts(h)).to.deep.equal([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ts(h, COST)).to.deep.equal([50]);
    expect(h.frontExpiry(LOAD)).to.equal(20);
    expect(h.frontExpiry(COST)).to.equal(5_000);
    expect(h.frontExpiry(TYPE_INDEX.quality)).to.equal(Number.POSITIVE_INFINITY);
  });

  it('drops expired entries from the front only, stopping at the first live one', () => {
    const h = new AgentHistory(10);
    h.push(LOAD, sig(1, 100));
    h.push(LOAD, sig(2, 500)); // long ttl shields the next one
    h.push(LOAD, sig(3, 100));
    h.push(COST, sig(4, 100));
    expect(h.dropExpired(99)).to.equal(0);
    expect(h.dropExpired(100)).to.equal(2);
    expect(ts(h)).to.deep.equal([2, 3]);
    expect(h.size(COST)).to.equal(0);
    expect(h.dropExpired(500)).to.equal(2);
    expect(h.total).to.equal(0);
    h.push(LOAD, sig(5));
    expect(ts(h)).to.deep.equal([5]);
  });

  it('trims the expired front of a type when a signal of that type arrives', () => {
    const h = new AgentHistory(10);
    h.push(LOAD, sig(1, 50));
    h.push(LOAD, sig(2, 60));
    h.push(COST, sig(3, 50));
    h.push(LOAD, sig(55)); // entry 1 expired at 50
    expect(ts(h)).to.deep.equal([2, 55]);
    expect(h.size(COST)).to.equal(1); // other types wait for a sweep
    expect(h.total).to.equal(3);
  });

  it('matches a simple model over many pushes and drops on two types', () => {
    const h = new AgentHistory(7);
    const model: HistoryEntry[][] = [[], []];
    const types = [LOAD, COST];
    for (let n = 0; n < 400; n++) {
      const k = n % 3 === 0 ? 1 : 0;
      const s = sig(n, n + (n % 5) * 3);
      h.push(types[k]!, s);
      while (model[k]!.length > 0 && n >= model[k]![0]!.expiresAt) model[k]!.shift(); // push trims its type
      model[k]!.push(s);
      if (model[k]!.length > 7) model[k]!.shift();
      if (n % 4 === 0) {
        const now = n - 2;
        let dropped = 0;
        for (const m of model) {
          while (m.length > 0 && now >= m[0]!.expiresAt) {
            m.shift();
            dropped++;
          }
        }
        expect(h.dropExpired(now)).to.equal(dropped);
      }
      expect(h.toArray(LOAD)).to.deep.equal(model[0]);
      expect(h.toArray(COST)).to.deep.equal(model[1]);
      expect(h.total).to.equal(model[0]!.length + model[1]!.length);
    }
  });

  it('rejects a capacity below 1', () => {
    expect(() => new AgentHistory(0)).to.throw(RangeError);
  });
});
