import { isLoopback } from './auth.js';

/** Thrown for a COORDD_ALLOWED_ORIGINS entry that is not an http(s) origin. */
export class OriginListError extends Error {}

/** Parse a comma list of origins (`https://dash.example.com:8443`) into their normalised form. */
export function parseOrigins(list: string): string[] {
  return list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new OriginListError(`"${entry}" is not an origin (scheme://host[:port])`);
      }
      const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && !entry.endsWith('/');
      if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) {
        throw new OriginListError(`"${entry}" is not an origin: http:// or https://, a host, an optional port, nothing after`);
      }
      return url.origin;
    });
}

export interface OriginPolicyOptions {
  /** The daemon serves https/wss, so its own pages have an https: origin. */
  tls: boolean;
  /** The address the daemon binds; on loopback its own origin must name a loopback host too. */
  bindHost: string;
  /** Further origins allowed to open a WebSocket (COORDD_ALLOWED_ORIGINS), normalised. */
  allowed: readonly string[];
}

/**
 * Which browser pages may open a WebSocket to the daemon. A browser always sends `Origin` with
 * a WebSocket upgrade and lets no script forge it, so refusing foreign origins stops any web page
 * from driving the daemon through the user's browser (cross-site WebSocket hijacking). Clients
 * that are not browsers send no Origin and are not concerned.
 *
 * The daemon's own origin is the scheme it serves plus the host:port the request was sent to
 * (its Host header: a page served by the daemon, reached through any name or port mapping). On a
 * loopback bind that host must also be a loopback name, so a page whose DNS name was rebound to
 * 127.0.0.1 does not pass for the daemon's own.
 */
export class OriginPolicy {
  private readonly allowed: Set<string>;
  private readonly scheme: string;

  constructor(private readonly options: OriginPolicyOptions) {
    this.allowed = new Set(options.allowed);
    this.scheme = options.tls ? 'https:' : 'http:';
  }

  /** Whether an upgrade carrying these Origin and Host headers may proceed. */
  allows(origin: string | undefined, host: string | undefined): boolean {
    if (origin === undefined) return true;
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      return false; // includes the opaque origin "null" (sandboxed frames, file: pages)
    }
    if (this.allowed.has(url.origin)) return true;
    if (url.protocol !== this.scheme || host === undefined) return false;
    let served: URL;
    try {
      served = new URL(`${this.scheme}//${host}`);
    } catch {
      return false;
    }
    if (served.host !== url.host) return false;
    return !isLoopback(this.options.bindHost) || isLoopback(url.hostname);
  }
}
