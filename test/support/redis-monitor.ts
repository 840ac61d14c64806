import { createClient } from 'redis';

/** One command as Redis MONITOR reports it, in execution order. */
export interface MonitoredCommand {
  /** Redis's clock, in ms (microsecond precision). */
  at: number;
  /** `lua` for a command a script ran, else the client's `ip:port`. */
  client: string;
  /** Command name (upper case) and arguments. */
  args: string[];
}

/** Parse one MONITOR line: `1339518083.107412 [0 127.0.0.1:60866] "SET" "k" "v"`. */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const head = /^(\d+)\.(\d+) \[\d+ ([^\]]+)\] /.exec(line);
  if (!head) return undefined;
  const args: string[] = [];
  let i = head[0].length;
  while (i < line.length) {
    if (line[i] !== '"') {
      i++;
      continue;
    }
    let value = '';
    i++;
    while (i < line.length && line[i] !== '"') {
      if (line[i] === '\\') {
        const next = line[i + 1];
        if (next === 'x') {
          value += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        value += next === 'n' ? '\n' : next === 'r' ? '\r' : next === 't' ? '\t' : (next ?? '');
        i += 2;
        continue;
      }
      value += line[i];
      i++;
    }
    args.push(value);
    i++;
  }
  if (args.length === 0) return undefined;
  args[0] = args[0]!.toUpperCase();
  return { at: Number(head[1]) * 1000 + Number(head[2]!.padEnd(6, '0')) / 1000, client: head[3]!, args };
}

/** Commands that change data (what a fenced commit script may run). */
const WRITES = new Set([
  'SET',
  'DEL',
  'UNLINK',
  'HSET',
  'HDEL',
  'HINCRBY',
  'HSETNX',
  'HMSET',
  'ZADD',
  'ZREM',
  'ZINCRBY',
  'SADD',
  'SREM',
  'RPUSH',
  'LPUSH',
  'LREM',
  'LPOP',
  'RPOP',
  'INCR',
  'INCRBY',
  'EXPIRE',
  'PEXPIRE',
  'XADD',
  'XDEL',
  'XTRIM',
]);

/** A write that a script of a client with a known term ran. */
export interface TermWrite {
  term: number;
  at: number;
  client: string;
  command: string;
  key: string;
}

/**
 * Attributes every state write a Lua script ran to the term of the client that called the script.
 * A client's term is the value its own script gave the term key (`INCR <prefix>term` when it won an
 * election): MONITOR lists the commands a script runs right after the EVAL/EVALSHA that ran it, in
 * the order Redis executed them, so each `lua` line belongs to the last script call before it.
 * Writes of clients whose term is unknown (they never won), and writes to the leadership and
 * membership keys themselves, are left out: what remains is what fencing must stop.
 */
export class TermAttribution {
  private term: number;
  private readonly clientTerms = new Map<string, number>();
  private caller: string | undefined;
  /** Terms in the order they began, with when. */
  readonly terms: { term: number; at: number; client: string }[] = [];
  readonly writes: TermWrite[] = [];

  constructor(
    private readonly prefix: string,
    initialTerm = 0,
  ) {
    this.term = initialTerm;
  }

  /** Feed the next MONITOR command. */
  add(command: MonitoredCommand): void {
    const [name, key] = command.args;
    if (command.client !== 'lua') {
      this.caller = name === 'EVAL' || name === 'EVALSHA' || name === 'FCALL' ? command.client : undefined;
      return;
    }
    if (this.caller === undefined || name === undefined || key === undefined) return;
    if ((name === 'INCR' || name === 'INCRBY') && key === `${this.prefix}term`) {
      this.term += name === 'INCR' ? 1 : Number(command.args[2] ?? 1);
      this.clientTerms.set(this.caller, this.term);
      this.terms.push({ term: this.term, at: command.at, client: this.caller });
      return;
    }
    if (!WRITES.has(name) || !key.startsWith(this.prefix) || this.isLeadershipKey(key)) return;
    const term = this.clientTerms.get(this.caller);
    if (term !== undefined) this.writes.push({ term, at: command.at, client: this.caller, command: name, key });
  }

  /** Writes whose client's term was no longer the current one when they ran. */
  staleWrites(): (TermWrite & { current: number })[] {
    const out: (TermWrite & { current: number })[] = [];
    for (const w of this.writes) {
      const current = this.terms.filter((t) => t.at <= w.at).reduce((max, t) => Math.max(max, t.term), 0);
      if (current > w.term) out.push({ ...w, current });
    }
    return out;
  }

  private isLeadershipKey(key: string): boolean {
    const name = key.slice(this.prefix.length);
    return name === 'epoch' || name === 'leader' || name === 'term' || name === 'nodes' || name.startsWith('node:');
  }
}

/** A MONITOR connection to a Redis server that hands each command to `onCommand`. */
export class RedisMonitor {
  private constructor(private readonly client: ReturnType<typeof createClient>) {}

  static async start(url: string, onCommand: (command: MonitoredCommand) => void): Promise<RedisMonitor> {
    const client = createClient({ url, disableOfflineQueue: true });
    client.on('error', () => undefined); // the server may be killed by the test; MONITOR just ends
    await client.connect();
    await client.monitor((line: string) => {
      const command = parseMonitorLine(line);
      if (command) onCommand(command);
    });
    return new RedisMonitor(client);
  }

  stop(): void {
    this.client.destroy();
  }
}
