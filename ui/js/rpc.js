// JSON-RPC 2.0 over the daemon's WebSocket (/rpc on this page's origin).

export const METHOD_NOT_FOUND = -32601;

export class RpcError extends Error {
  constructor(error) {
    super(error.message);
    this.code = error.code;
    this.data = error.data;
  }
}

/** Whether an error means the daemon does not serve the method (an older daemon). */
export const isMissing = (err) => err instanceof RpcError && err.code === METHOD_NOT_FOUND;

export function rpcUrl(location) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
}

/**
 * One connection. `open(token)` resolves once the socket is open and rejects when it cannot
 * open (e.g. refused for a missing token). A token travels as the subprotocol coordd.token.<token>.
 */
export class Rpc {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Set();
    this.onclose = () => {};
  }

  open(token) {
    return new Promise((resolve, reject) => {
      const ws = token ? new WebSocket(this.url, [`coordd.token.${token}`]) : new WebSocket(this.url);
      let opened = false;
      ws.onopen = () => {
        opened = true;
        this.ws = ws;
        resolve();
      };
      ws.onmessage = (e) => this.receive(e.data);
      ws.onclose = (e) => {
        for (const p of this.pending.values()) p.reject(new Error('connection closed'));
        this.pending.clear();
        if (opened) this.onclose(e);
        else reject(new Error(`connection refused (${e.code})`));
      };
    });
  }

  close() {
    this.ws?.close();
  }

  call(method, params = {}) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** Listen to notifications; returns the unsubscribe function. */
  onNotification(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  receive(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    for (const m of Array.isArray(msg) ? msg : [msg]) {
      if (m.method !== undefined) {
        for (const fn of this.listeners) fn(m.method, m.params);
        continue;
      }
      const p = this.pending.get(m.id);
      if (!p) continue;
      this.pending.delete(m.id);
      if (m.error) p.reject(new RpcError(m.error));
      else p.resolve(m.result);
    }
  }
}
