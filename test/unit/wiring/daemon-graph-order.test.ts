import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const FILE = fileURLToPath(new URL('../../../src/wiring/daemon-graph.ts', import.meta.url));

/** The body of `buildDaemonGraph` in `text`, with a checker that resolves the names used in it. */
function graphBody(text: string): { body: ts.Block; checker: ts.TypeChecker; source: ts.SourceFile } {
  const name = '/graph.ts';
  const options: ts.CompilerOptions = { noResolve: true, noLib: true, target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const parsed = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
  host.getSourceFile = (file) => (file === name ? parsed : undefined);
  host.fileExists = (file) => file === name;
  const program = ts.createProgram([name], options, host);
  const source = program.getSourceFile(name)!;
  let body: ts.Block | undefined;
  source.forEachChild((node) => {
    if (ts.isFunctionDeclaration(node) && node.name?.text === 'buildDaemonGraph') body = node.body;
  });
  if (body === undefined) throw new Error('buildDaemonGraph not found');
  return { body, checker: program.getTypeChecker(), source };
}

/** The variable an identifier reads, resolving `{ pool }` shorthand to the variable, not the property. */
function declarationOf(id: ts.Identifier, checker: ts.TypeChecker): ts.Declaration | undefined {
  const symbol = ts.isShorthandPropertyAssignment(id.parent) ? checker.getShorthandAssignmentValueSymbol(id.parent) : checker.getSymbolAtLocation(id);
  return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
}

/**
 * Every use of a local of buildDaemonGraph before the end of that local's declaration, closures
 * included: an object used, or captured to be used later, before it is built.
 */
function forwardReferences(text: string): string[] {
  const { body, checker, source } = graphBody(text);
  const lineOf = (node: ts.Node): number => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node)) {
      const decl = declarationOf(node, checker);
      const local = decl !== undefined && (ts.isVariableDeclaration(decl) || ts.isBindingElement(decl)) && decl.pos >= body.pos && decl.end <= body.end;
      if (local && decl.name !== node && node.getStart(source) < decl.end) found.push(`${node.text} (line ${lineOf(node)}, built on line ${lineOf(decl)})`);
    }
    node.forEachChild(visit);
  };
  body.forEachChild(visit);
  return found;
}

/** The `let` declarations directly in buildDaemonGraph's body. */
function lets(text: string): string[] {
  const { body } = graphBody(text);
  return body.statements.filter((s) => ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Let) !== 0).map((s) => s.getText());
}

describe('daemon-graph.ts builds in dependency order', () => {
  it('finds forward references in closures, shorthand properties and initialisers (the check can fail)', () => {
    const text = [
      'export function buildDaemonGraph(deps: { clock: number }) {',
      '  const { clock } = deps;',
      '  const a = { isLive: (id: string) => pool.has(id), clock };',
      '  const b = { pool };',
      '  const c = { self: () => c };',
      '  const pool = new Set<string>([String(a), String(b)]);',
      '  const later = (pool: number) => pool + clock;',
      '  return { a, b, c, pool, later };',
      '}',
    ].join('\n');
    expect(forwardReferences(text)).to.deep.equal(['pool (line 3, built on line 6)', 'pool (line 4, built on line 6)', 'c (line 5, built on line 5)']);
    expect(lets('export function buildDaemonGraph() {\n  let x = 1;\n  const y = 2;\n  x = y;\n  return x;\n}')).to.deep.equal(['let x = 1;']);
  });

  it('uses no local of buildDaemonGraph before it is built, not even inside a closure', () => {
    expect(forwardReferences(readFileSync(FILE, 'utf8'))).to.deep.equal([]);
  });

  it('declares no `let` in buildDaemonGraph: nothing is patched in after it is built', () => {
    expect(lets(readFileSync(FILE, 'utf8'))).to.deep.equal([]);
  });
});
