import { CoordClient } from '../client/client.js';
import { ClientError, RpcError } from '../client/errors.js';
import type { MethodName, MethodResult, RequestArgs } from '../client/method-types.js';
import { CliFailure, UsageError, numberOption, type CommandContext, type OptionSpec } from './command.js';

export const DEFAULT_URL = 'ws://127.0.0.1:7420/rpc';

/** Options every command that talks to the daemon takes. */
export const CONNECTION_OPTIONS: Record<string, OptionSpec> = {
  url: {
    type: 'string',
    placeholder: 'URL',
    description: "the daemon's WebSocket URL (or a cluster's replicas, comma-separated)",
    defaultText: `$COORDD_URL, else ${DEFAULT_URL}`,
  },
  token: { type: 'string', placeholder: 'TOKEN', description: 'bearer token (operator or admin role)', defaultText: '$COORDD_TOKEN, else none' },
  output: { type: 'string', short: 'o', placeholder: 'table|json', description: 'table for people; json on stdout for scripts', defaultText: 'table' },
  timeout: { type: 'string', placeholder: 'SECONDS', description: 'how long to wait for each reply', defaultText: '30' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

export type OutputFormat = 'table' | 'json';

/** The -o value, or a usage error. */
export function outputFormat(ctx: CommandContext, command: string): OutputFormat {
  const raw = ctx.values.output ?? 'table';
  if (raw !== 'table' && raw !== 'json') throw new UsageError(`-o must be table or json (got "${String(raw)}")`, command);
  return raw;
}

/** Connect as an operator with --url/--token (or COORDD_URL/COORDD_TOKEN); never reconnects. */
export async function connect(ctx: CommandContext, command: string): Promise<CoordClient> {
  const raw = (ctx.values.url as string | undefined) ?? ctx.env.COORDD_URL?.trim() ?? DEFAULT_URL;
  // A comma list names a cluster's replicas: the first that answers is used.
  const urls = raw
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  for (const one of urls.length > 0 ? urls : [raw]) {
    if (!/^wss?:\/\/./.test(one)) throw new UsageError(`--url must be a ws:// or wss:// URL, or a comma list of them (got "${one}")`, command);
  }
  const url = urls.length === 1 ? urls[0]! : urls;
  const token = (ctx.values.token as string | undefined) ?? (ctx.env.COORDD_TOKEN?.trim() || undefined);
  const timeoutS = numberOption(ctx.values, 'timeout', command, 0.001) ?? 30;
  try {
    return await CoordClient.connect({ url, token, reconnect: false, requestTimeoutMs: Math.round(timeoutS * 1000) });
  } catch (err) {
    if (err instanceof ClientError && err.code === 'AUTH_FAILED') throw new CliFailure(`${err.message}: check --token or COORDD_TOKEN`);
    throw new CliFailure(`${(err as Error).message} (is the daemon running? set --url or COORDD_URL)`);
  }
}

/** One line for a failed call: the daemon's error with its code, or a local failure. */
export function describeFailure(err: unknown, method: string): string {
  if (err instanceof RpcError) {
    if (err.code === -32601) return `the daemon does not serve ${method} (it is older than this CLI; upgrade the daemon)`;
    const data = err.data === undefined ? '' : ` ${JSON.stringify(err.data)}`;
    return `${method}: ${err.message} (${err.code})${data}`;
  }
  return `${method}: ${(err as Error).message}`;
}

/** client.request, with a failure turned into a CliFailure that names the method. */
export async function ask<N extends MethodName>(client: CoordClient, method: N, ...args: RequestArgs<N>): Promise<MethodResult<N>> {
  try {
    return await client.request(method, ...args);
  } catch (err) {
    throw new CliFailure(describeFailure(err, method));
  }
}

/** Connect, run `work`, and always close the connection. */
export async function withClient<T>(ctx: CommandContext, command: string, work: (client: CoordClient) => Promise<T>): Promise<T> {
  const client = await connect(ctx, command);
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}
