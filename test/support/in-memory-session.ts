import { RpcPeer } from '../../src/rpc/peer.js';
import type { Session } from '../../src/rpc/session.js';
import type { Role } from '../../src/schemas/method.js';
import type { Log } from '../../src/log.js';

/** A log that remembers what was logged, for assertions. */
export function recordingLog(): Log & { lines: { level: string; obj: object; msg?: string }[] } {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const at = (level: string) => (obj: object, msg?: string) => void lines.push({ level, obj, msg });
  const log = { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
  return log;
}

/** A session whose outbound frames land in `sent`. */
export function memorySession(role: Role = 'admin', timeoutMs = 1000): { session: Session & { peer: RpcPeer }; sent: string[] } {
  const sent: string[] = [];
  const peer = new RpcPeer((text) => sent.push(text), timeoutMs);
  return { session: { id: 'c1', role, log: recordingLog(), remoteAddress: undefined, peer, agentId: undefined }, sent };
}
