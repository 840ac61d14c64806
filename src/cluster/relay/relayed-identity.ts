import { z } from 'zod';
import { AgentScopeFields } from '../../schemas/agent-scope.js';
import { ROLES } from '../../schemas/method.js';
import type { Identity } from '../../transport/auth.js';

/**
 * The identity a gateway authenticated, as it crosses the calls stream on `open`. Redis is inside
 * the trust boundary: the leader believes it (it never sees the credential), so whoever can write
 * the stream can act as anyone. It is still parsed, so a corrupt entry is dropped, not trusted.
 */
const RelayedIdentity = z.object({
  role: z.enum(ROLES),
  principal: z.string().optional(),
  credential: z.string().optional(),
  scope: z.object(AgentScopeFields).optional(),
});

export const encodeIdentity = (identity: Identity): string => JSON.stringify(identity);

/** The identity of an `open` entry, or undefined when it is missing or malformed. */
export function decodeIdentity(text: string | undefined): Identity | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = RelayedIdentity.safeParse(JSON.parse(text));
    if (!parsed.success) return undefined;
    const { role, principal, credential, scope } = parsed.data;
    return { role, ...(principal !== undefined && { principal }), ...(credential !== undefined && { credential }), ...(scope && { scope }) };
  } catch {
    return undefined;
  }
}
