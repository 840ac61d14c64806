/** Where an outbox's frames finally go: the connection's transport. */
export interface OutboxSink {
  send(text: string): void;
  close(code: number, reason: string): void;
}

/**
 * Runs once per flush, before any frame of it is handed to a socket. Returning a promise holds
 * the frames (and every later flush) until it settles; a throw or rejection drops the frames and
 * goes to `onHookFailure`.
 */
export type FlushHook = () => void | Promise<void>;

type Item = string | { code: number; reason: string };

/**
 * One connection's outgoing frames: replies, requests (task.run), notifications
 * (events.event, task.updated, coordination.alert). Queued in order, sent when its Outboxes flush.
 */
export class Outbox {
  /** Frames (and at most one close, last) waiting for the flush. */
  queue: Item[] = [];
  private ended = false;

  constructor(
    private readonly outboxes: Outboxes,
    readonly sink: OutboxSink,
  ) {}

  send(text: string): void {
    if (this.ended) return;
    if (this.queue.length === 0) this.outboxes.touched(this);
    this.queue.push(text);
  }

  /** Close the connection after the frames queued before it; later frames are dropped. */
  close(code: number, reason: string): void {
    if (this.ended) return;
    if (this.queue.length === 0) this.outboxes.touched(this);
    this.queue.push({ code, reason });
    this.ended = true;
  }

  /** The connection is gone: drop what waits, accept nothing more. */
  discard(): void {
    this.ended = true;
    this.queue = [];
  }
}

/**
 * Every frame the daemon sends leaves through its connection's Outbox. The frames of one turn of
 * the event loop are flushed together when it ends (one setImmediate for all connections), after
 * the flush hook: the durable store commits the turn's changes there, so no reply reports a
 * change a crash could still lose. Without a hook (or with a synchronous one) a flush costs one
 * setImmediate per turn, not per frame.
 */
export class Outboxes {
  private touchedNow: Outbox[] = [];
  private scheduled = false;
  private hook: FlushHook | undefined;
  /** The flush still waiting on its hook's promise; later flushes wait behind it, in order. */
  private held: Promise<void> | undefined;
  private readonly flushNow = (): void => this.flush();

  constructor(
    private readonly deps: {
      /** Told when the flush hook throws or rejects (that flush's frames are not sent). */
      onHookFailure: (err: unknown) => void;
      /** @defaultValue setImmediate */
      schedule?: (fn: () => void) => void;
    },
  ) {}

  /** The outbox of a new connection. */
  open(sink: OutboxSink): Outbox {
    return new Outbox(this, sink);
  }

  /** Set the one hook that runs before every flush (the durable store's commit). */
  beforeFlush(hook: FlushHook): void {
    this.hook = hook;
  }

  /** Send what is queued now (shutdown); resolves once it is handed to the sockets. */
  flushed(): Promise<void> {
    this.flush();
    return this.held ?? Promise.resolve();
  }

  /** @internal An outbox got its first frame of this turn. */
  touched(outbox: Outbox): void {
    this.touchedNow.push(outbox);
    if (this.scheduled) return;
    this.scheduled = true;
    (this.deps.schedule ?? setImmediate)(this.flushNow);
  }

  private flush(): void {
    this.scheduled = false;
    const outboxes = this.touchedNow;
    if (outboxes.length === 0) return;
    this.touchedNow = [];
    let hooked: void | Promise<void>;
    try {
      hooked = this.hook?.();
    } catch (err) {
      for (const o of outboxes) o.queue = [];
      this.deps.onHookFailure(err);
      return;
    }
    if (hooked === undefined && this.held === undefined) {
      for (const o of outboxes) {
        const items = o.queue;
        o.queue = [];
        deliver(o.sink, items);
      }
      return;
    }
    const batch = outboxes.map((o) => {
      const items = o.queue;
      o.queue = [];
      return { sink: o.sink, items };
    });
    const held: Promise<void> = Promise.all([this.held, hooked]).then(
      () => {
        for (const { sink, items } of batch) deliver(sink, items);
      },
      (err: unknown) => this.deps.onHookFailure(err),
    );
    this.held = held;
    void held.finally(() => {
      if (this.held === held) this.held = undefined;
    });
  }
}

function deliver(sink: OutboxSink, items: readonly Item[]): void {
  for (const item of items) {
    if (typeof item === 'string') sink.send(item);
    else sink.close(item.code, item.reason);
  }
}
