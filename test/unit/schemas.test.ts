import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { openRpcDocument } from '../../src/api/discover-api.js';
import { ALL_METHODS } from '../../src/schemas/index.js';

describe('schemas/openrpc.json', () => {
  it('is up to date with the zod schemas (run `npm run schemas` after changing them)', () => {
    const onDisk = JSON.parse(readFileSync(new URL('../../schemas/openrpc.json', import.meta.url), 'utf8'));
    expect(onDisk).to.deep.equal(JSON.parse(JSON.stringify(openRpcDocument())));
  });

  it('describes every method with dotted lowerCamel names, roles and JSON Schema draft-07', () => {
    const doc = openRpcDocument() as { openrpc: string; methods: { name: string; 'x-roles': string[]; result: { schema: { $schema: string } } }[] };
    expect(doc.openrpc).to.match(/^1\.\d+\.\d+$/);
    expect(doc.methods.map((m) => m.name)).to.deep.equal(ALL_METHODS.map((m) => m.name));
    for (const m of doc.methods) {
      expect(m.name).to.match(/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$/);
      expect(m['x-roles']).to.not.be.empty;
      expect(m.result.schema.$schema).to.contain('draft-07');
    }
  });
});
