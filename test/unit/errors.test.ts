import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { AppErrors, ErrorCatalogue, ProtocolErrors } from '../../src/errors.js';

/** The catalogue in src/errors.ts and docs/errors.md must list the same errors, codes and messages. */
describe('error catalogue', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| ([A-Z_]+) \| (-\d+) \| ([^|]+) \|/gm)].map((m) => ({ name: m[1]!, code: Number(m[2]), message: m[3]!.trim() }));

  it('documents every catalogued error with its code and message', () => {
    for (const [name, e] of Object.entries(ErrorCatalogue)) {
      expect(
        rows.find((r) => r.name === name),
        `${name} missing from docs/errors.md`,
      ).to.deep.equal({ name, code: e.code, message: e.message });
    }
  });

  it('documents no error that the code does not have', () => {
    for (const r of rows) expect(ErrorCatalogue, `${r.name} is documented but not in src/errors.ts`).to.have.property(r.name);
  });

  it('uses unique codes, in the reserved ranges', () => {
    const codes = Object.values(ErrorCatalogue).map((e) => e.code);
    expect(new Set(codes).size).to.equal(codes.length);
    for (const e of Object.values(ProtocolErrors)) expect(e.code === -32700 || (e.code >= -32603 && e.code <= -32600)).to.equal(true);
    for (const e of Object.values(AppErrors)) expect(e.code).to.be.within(-32099, -32000);
  });
});
