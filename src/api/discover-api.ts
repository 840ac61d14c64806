import type { RpcEngine } from '../rpc/engine.js';
import { buildOpenRpc } from '../rpc/openrpc.js';
import { rpcDiscover } from '../schemas/discover.js';
import { ALL_METHODS } from '../schemas/index.js';
import { VERSION } from '../version.js';

/** The OpenRPC document, built once from the schemas (the same one `npm run schemas` writes). */
export function openRpcDocument(): Record<string, unknown> {
  return buildOpenRpc(ALL_METHODS, { title: 'coordd', version: VERSION });
}

/** rpc.discover (OpenRPC service discovery). */
export function registerDiscoverApi(engine: RpcEngine): void {
  const doc = openRpcDocument();
  engine.register(rpcDiscover, () => doc as never);
}
