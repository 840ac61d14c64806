import type { AgentScope } from '../schemas/agent-scope.js';
import type { Role } from '../schemas/method.js';
import type { Log } from '../log.js';
import type { Peer } from './peer.js';

/** Per-connection state handed to every handler. */
export interface Session {
  readonly id: string;
  readonly role: Role;
  readonly log: Log;
  readonly remoteAddress: string | undefined;
  /** Requests and notifications from the daemon to this connection. */
  readonly peer: Peer;
  /** Set once the connection registers as an agent. */
  agentId: string | undefined;
  /** Who the connection's token was issued to (e.g. `spawn:<id>` for a spawned worker's join token). */
  readonly principal?: string;
  /** The credential (token label or join-token principal, never the secret) that owns the agent it registers; undefined with no tokens configured. */
  readonly credential?: string;
  /** The agent ids its token may register as; undefined: any id no other credential holds. */
  readonly scope?: AgentScope;
}
