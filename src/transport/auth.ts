import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AgentScopeFields, type AgentScope } from '../schemas/agent-scope.js';
import { ROLES, type Role } from '../schemas/method.js';

const TOKEN_NAME = /^[A-Za-z0-9._-]{1,64}$/;

const TokenEntry = z
  .strictObject({
    token: z.string().min(16, 'tokens must be at least 16 characters'),
    role: z.enum(ROLES),
    name: z.string().regex(TOKEN_NAME, '1 to 64 letters, digits, ".", "_" or "-"').optional().describe('Names the token in logs'),
    ...AgentScopeFields,
  })
  .refine((e) => e.role === 'agent' || (e.agentIds === undefined && e.agentIdPrefix === undefined), {
    message: 'agentIds and agentIdPrefix apply only to agent tokens',
  });

/** One token of the tokens file: its role, an optional name for logs, and for agent tokens an optional scope of agent ids. */
export type TokenEntry = z.output<typeof TokenEntry>;

export class TokenFileError extends Error {}

const issueText = (issue: z.core.$ZodIssue): string => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message);

/** The entries of a JSON tokens file, each checked on its own so an error can name it. */
function parseJsonTokens(json: unknown): TokenEntry[] {
  let raw: unknown[];
  if (Array.isArray(json)) raw = json;
  else if (typeof json === 'object' && json !== null && 'tokens' in json && Array.isArray(json.tokens)) raw = json.tokens as unknown[];
  else if (typeof json === 'object' && json !== null && !('tokens' in json)) raw = Object.entries(json).map(([token, role]) => ({ token, role }));
  else throw new TokenFileError('expected [{token, role, …}], {"tokens": [...]} or {"<token>": "<role>"}');
  const entries = raw.map((entry, i) => {
    const parsed = TokenEntry.safeParse(entry);
    if (!parsed.success) throw new TokenFileError(`entry ${i + 1}: ${issueText(parsed.error.issues[0]!)}`);
    return parsed.data;
  });
  checkUnique(entries.map((e, i) => ({ ...e, where: `entry ${i + 1}` })));
  return entries;
}

/** Each token, and each name, once: a repeated token would leave its role and scope to chance. */
function checkUnique(entries: readonly (TokenEntry & { where: string })[]): void {
  const byToken = new Map<string, string>();
  const byName = new Map<string, string>();
  for (const e of entries) {
    const sameToken = byToken.get(e.token);
    if (sameToken !== undefined) throw new TokenFileError(`${e.where}: the token of ${sameToken} again (list each token once)`);
    byToken.set(e.token, e.where);
    if (e.name === undefined) continue;
    const sameName = byName.get(e.name);
    if (sameName !== undefined) throw new TokenFileError(`${e.where}: name "${e.name}" is already used by ${sameName}`);
    byName.set(e.name, e.where);
  }
}

/**
 * Parse a tokens file: JSON (`[{token, role, name?, agentIds?, agentIdPrefix?}]`, `{tokens: [...]}`
 * or `{token: role}`) or lines `token role`. Names and agent-id scopes need the JSON forms.
 */
export function parseTokens(text: string): TokenEntry[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new TokenFileError('not valid JSON');
    }
    return parseJsonTokens(json);
  }
  const out: (TokenEntry & { where: string })[] = [];
  trimmed.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const parsed = TokenEntry.safeParse({ token: l.split(/\s+/)[0], role: l.split(/\s+/)[1] });
    if (!parsed.success || l.split(/\s+/).length !== 2) {
      throw new TokenFileError(
        `line ${i + 1}: expected "<token> <role>" with role one of ${ROLES.join(', ')} and a token of 16+ characters (names and agent id scopes need the JSON form)`,
      );
    }
    out.push({ ...parsed.data, where: `line ${i + 1}` });
  });
  checkUnique(out);
  return out.map(({ where: _where, ...entry }) => entry);
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64');

/**
 * Who a connection is: its role; for a join token, the principal it was issued to; the credential
 * that owns the agent ids it registers (a label, never the secret) and, for a scoped agent token,
 * the ids it may claim. With no tokens configured the credential is undefined: every local
 * connection is the same admin.
 */
export interface Identity {
  role: Role;
  principal?: string;
  credential?: string;
  scope?: AgentScope;
}

interface Grant extends Identity {
  once: boolean;
}

/** The scope of an entry, when it has one. */
function scopeOf(e: { agentIds?: readonly string[]; agentIdPrefix?: string }): AgentScope | undefined {
  if (e.agentIds === undefined && e.agentIdPrefix === undefined) return undefined;
  return { ...(e.agentIds && { agentIds: e.agentIds }), ...(e.agentIdPrefix !== undefined && { agentIdPrefix: e.agentIdPrefix }) };
}

/**
 * Which role a bearer token grants. Tokens are kept only as SHA-256 digests, so the table
 * itself never holds (or logs) a secret. With no tokens at all every connection is `admin`
 * (allowed only on loopback; see daemon startup). Each token is a credential named by its
 * entry's `name`, else `token#<n>` (its position); join tokens are named by their principal.
 */
export class TokenTable {
  private readonly grants = new Map<string, Grant>();
  private readonly configured: number;
  private added = 0;

  constructor(entries: Iterable<Pick<TokenEntry, 'token' | 'role' | 'name' | 'agentIds' | 'agentIdPrefix'>>) {
    const labels = new Set<string>();
    let n = 0;
    for (const e of entries) {
      const credential = e.name ?? `token#${n + 1}`;
      n++;
      if (labels.has(credential)) throw new TokenFileError(`two tokens are named ${credential}`);
      labels.add(credential);
      const scope = scopeOf(e);
      this.grants.set(digest(e.token), { role: e.role, credential, ...(scope && { scope }), once: false });
    }
    this.configured = this.grants.size;
  }

  /** Whether tokens were configured (auth enforced). Join tokens added at run time do not change it. */
  get enforced(): boolean {
    return this.configured > 0;
  }

  /** Add a token at run time, e.g. a join token for a spawned agent (`once`: consumed by its first use). Its credential is its principal by default. */
  add(token: string, identity: Identity, options: { once?: boolean } = {}): void {
    const credential = identity.credential ?? identity.principal ?? `added#${++this.added}`;
    this.grants.set(digest(token), { ...identity, credential, once: options.once ?? false });
  }

  remove(token: string): void {
    this.grants.delete(digest(token));
  }

  /**
   * The identity for an `Authorization` header value, or undefined when it grants nothing. With
   * no configured tokens every connection is admin, unless it presents a join token.
   */
  authenticate(header: string | undefined): Identity | undefined {
    const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const key = m ? digest(m[1]!) : undefined;
    const grant = key ? this.grants.get(key) : undefined;
    if (grant) {
      if (grant.once) this.grants.delete(key!);
      const { once: _once, ...identity } = grant;
      return identity;
    }
    return this.enforced ? undefined : { role: 'admin' };
  }
}

/** Whether a host string names a loopback interface. */
export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
