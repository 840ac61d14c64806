/** Connection and agent settings a spawned worker reads from its environment. */
export interface WorkerEnv {
  /** `COORDD_URL`: one URL, or a comma list (a cluster's replicas) read as an array */
  url: string | string[];
  /** `COORDD_JOIN_TOKEN`, else `COORDD_TOKEN` */
  token?: string;
  /** `COORDD_AGENT_ID` */
  agentId?: string;
  /** `COORDD_CAPABILITIES`, a comma list */
  capabilities?: string[];
  /** `COORDD_CAPACITY`, a whole number ≥ 1 */
  capacity?: number;
}

/**
 * Read a worker's settings from the environment the daemon's spawner sets. Keys that are not
 * set are left out, so `{ capabilities: ['echo'], ...fromEnv() }` keeps the defaults.
 * Throws an Error naming the variable when one is missing or malformed.
 */
export function fromEnv(env: NodeJS.ProcessEnv = process.env): WorkerEnv {
  const urls = (env.COORDD_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (urls.length === 0) throw new Error('COORDD_URL is not set (the daemon URL, e.g. ws://127.0.0.1:7420/rpc)');
  for (const url of urls) if (!/^wss?:\/\//.test(url)) throw new Error(`COORDD_URL must be a ws:// or wss:// URL (or a comma list of them), got "${url}"`);
  const out: WorkerEnv = { url: urls.length === 1 ? urls[0]! : urls };
  const token = (env.COORDD_JOIN_TOKEN ?? env.COORDD_TOKEN)?.trim();
  if (token) out.token = token;
  const agentId = env.COORDD_AGENT_ID?.trim();
  if (agentId) out.agentId = agentId;
  if (env.COORDD_CAPABILITIES !== undefined) {
    out.capabilities = env.COORDD_CAPABILITIES.split(',')
      .map((c) => c.trim())
      .filter(Boolean);
  }
  const capacity = env.COORDD_CAPACITY?.trim();
  if (capacity) {
    if (!/^\d+$/.test(capacity) || Number(capacity) < 1) throw new Error(`COORDD_CAPACITY must be a whole number >= 1, got "${capacity}"`);
    out.capacity = Number(capacity);
  }
  return out;
}
