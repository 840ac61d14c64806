/** The WebSocket subprotocol prefix that carries a bearer token (browsers cannot set Authorization). */
export const TOKEN_PROTOCOL_PREFIX = 'coordd.token.';

/** The values of a `Sec-WebSocket-Protocol` header, trimmed, in the client's order. */
export function offeredProtocols(header: string | undefined): string[] {
  return header === undefined
    ? []
    : header
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
}

/** The first offered `coordd.token.<token>` protocol, if any. */
export function tokenProtocol(offered: Iterable<string>): string | undefined {
  for (const p of offered) if (p.startsWith(TOKEN_PROTOCOL_PREFIX) && p.length > TOKEN_PROTOCOL_PREFIX.length) return p;
  return undefined;
}

/**
 * The Authorization value an upgrade authenticates with: the header itself when present, else
 * the token offered as a subprotocol, as a bearer credential.
 */
export function credentialOf(authorization: string | undefined, protocolHeader: string | undefined): string | undefined {
  if (authorization !== undefined) return authorization;
  const chosen = tokenProtocol(offeredProtocols(protocolHeader));
  return chosen === undefined ? undefined : `Bearer ${chosen.slice(TOKEN_PROTOCOL_PREFIX.length)}`;
}
