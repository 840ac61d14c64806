import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ROLES, type Role } from '../schemas/method.js';

const TokenEntry = z.object({ token: z.string().min(16, 'tokens must be at least 16 characters'), role: z.enum(ROLES) });
const TokensJson = z.union([
  z.array(TokenEntry),
  z.object({ tokens: z.array(TokenEntry) }).transform((o) => o.tokens),
  z.record(z.string().min(16), z.enum(ROLES)).transform((r) => Object.entries(r).map(([token, role]) => ({ token, role }))),
]);

export class TokenFileError extends Error {}

/** Parse a tokens file: JSON (`[{token, role}]`, `{tokens: [...]}` or `{token: role}`) or lines `token role`. */
export function parseTokens(text: string): { token: string; role: Role }[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let json: unknown;
    try {
      json = JSON.parse(trimmed);
    } catch {
      throw new TokenFileError('not valid JSON');
    }
    const parsed = TokensJson.safeParse(json);
    if (!parsed.success) throw new TokenFileError(parsed.error.issues[0]?.message ?? 'invalid tokens');
    return parsed.data;
  }
  const out: { token: string; role: Role }[] = [];
  trimmed.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (l === '' || l.startsWith('#')) return;
    const parsed = TokenEntry.safeParse({ token: l.split(/\s+/)[0], role: l.split(/\s+/)[1] });
    if (!parsed.success || l.split(/\s+/).length !== 2) {
      throw new TokenFileError(`line ${i + 1}: expected "<token> <role>" with role one of ${ROLES.join(', ')} and a token of 16+ characters`);
    }
    out.push(parsed.data);
  });
  return out;
}

const digest = (token: string): string => createHash('sha256').update(token).digest('base64');

/**
 * Which role a bearer token grants. Tokens are kept only as SHA-256 digests, so the table
 * itself never holds (or logs) a secret. With no tokens at all every connection is `admin`
 * (allowed only on loopback; see daemon startup).
 */
/** Who a connection is: its role and, for a join token, the principal it was issued to. */
export interface Identity {
  role: Role;
  principal?: string;
}

interface Grant extends Identity {
  once: boolean;
}

export class TokenTable {
  private readonly grants = new Map<string, Grant>();
  private readonly configured: number;

  constructor(entries: Iterable<{ token: string; role: Role }>) {
    for (const e of entries) this.grants.set(digest(e.token), { role: e.role, once: false });
    this.configured = this.grants.size;
  }

  /** Whether tokens were configured (auth enforced). Join tokens added at run time do not change it. */
  get enforced(): boolean {
    return this.configured > 0;
  }

  /** Add a token at run time, e.g. a one-time join token for a spawned agent (`once`: consumed by its first use). */
  add(token: string, identity: Identity, options: { once?: boolean } = {}): void {
    this.grants.set(digest(token), { ...identity, once: options.once ?? false });
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
      return grant.principal === undefined ? { role: grant.role } : { role: grant.role, principal: grant.principal };
    }
    return this.enforced ? undefined : { role: 'admin' };
  }
}

/** Whether a host string names a loopback interface. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === '::ffff:127.0.0.1';
}
