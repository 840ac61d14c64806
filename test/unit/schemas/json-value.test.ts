import { expect } from 'chai';
import { z } from 'zod';
import { boundedJson, measureValue, setValueLimits, valueLimits, DEFAULT_VALUE_LIMITS } from '../../../src/schemas/json-value.js';

const nest = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};

describe('bounded JSON values', () => {
  afterEach(() => setValueLimits(DEFAULT_VALUE_LIMITS));

  it('measures depth without recursion: a million levels deep costs a loop, and the path names the spot', () => {
    expect(measureValue(nest(64), { maxDepth: 64, maxBytes: 1e9 })).to.have.property('bytes');
    const r = measureValue({ a: { b: nest(1_000_000) } }, { maxDepth: 64, maxBytes: 1e9 });
    expect(r).to.have.property('violation');
    const v = (r as { violation: { path: unknown[]; limit: string; max: number } }).violation;
    expect(v.limit).to.equal('maxDepth');
    expect(v.path.slice(0, 3)).to.deep.equal(['a', 'b', 0]);
    expect(v.path).to.have.length(64);
  });

  it('estimates JSON bytes close to JSON.stringify for ordinary values, multi-byte text counted in UTF-8', () => {
    for (const value of [null, true, 12.5, 'héllo ✓', [1, 'a', { b: [null, false] }], { __proto__x: 1, constructor: 'c', 'é': [] }]) {
      const m = measureValue(value) as { bytes: number };
      expect(m.bytes, JSON.stringify(value)).to.equal(Buffer.byteLength(JSON.stringify(value)));
    }
  });

  it('stops at the byte limit with the path of the value that crossed it', () => {
    const r = measureValue({ small: 'a', big: 'x'.repeat(2000) }, { maxDepth: 64, maxBytes: 1000 });
    expect(r).to.deep.equal({ violation: { path: ['big'], limit: 'maxBytes', max: 1000 } });
  });

  it('boundedJson() reads the configured limits and reports path, limit and max as a zod issue', () => {
    setValueLimits({ maxDepth: 3, maxBytes: 100 });
    expect(valueLimits()).to.deep.equal({ maxDepth: 3, maxBytes: 100 });
    const schema = z.object({ payload: boundedJson() });
    expect(schema.safeParse({ payload: nest(3) }).success).to.equal(true);
    const deep = schema.safeParse({ payload: { a: nest(3) } });
    expect(deep.success).to.equal(false);
    const issue = deep.error!.issues[0]!;
    expect(issue.path).to.deep.equal(['payload', 'a', 0, 0]);
    expect((issue as { params?: object }).params).to.deep.equal({ limit: 'maxDepth', max: 3 });
    expect(schema.safeParse({ payload: 'y'.repeat(200) }).success).to.equal(false);
    // A key named __proto__ (as JSON.parse makes it, an own property) is just a key.
    expect(schema.safeParse({ payload: JSON.parse('{"__proto__":{"polluted":1}}') }).success).to.equal(true);
    expect(({} as { polluted?: number }).polluted).to.equal(undefined);
  });
});
