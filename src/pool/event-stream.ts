import type { Clock } from '../time/clock.js';

export const POOL_EVENT_TYPES = ['agent.joined', 'agent.left', 'agent.state', 'task.created', 'task.state', 'alert.raised', 'alert.cleared'] as const;
export type PoolEventType = (typeof POOL_EVENT_TYPES)[number];

/** What a subscriber wants: event types (default all), one agent's events, one task type's events. */
export interface EventFilter {
  types?: readonly PoolEventType[];
  /** Agent and task events of this agent only (alerts still pass). */
  agentId?: string;
  /** Task events of this task type only (agent and alert events still pass). */
  taskType?: string;
}

/** One event as published: `agentId` / `taskType` are what the filters look at. */
export interface PoolEvent {
  type: PoolEventType;
  data: object;
  agentId?: string;
  taskType?: string;
}

/** The `events.event` notification a subscriber receives. */
export interface DeliveredEvent {
  subscriptionId: string;
  seq: number;
  type: PoolEventType;
  at: number;
  data: object;
}

interface Subscription {
  readonly id: string;
  readonly owner: string;
  readonly filter: EventFilter;
  readonly types: ReadonlySet<PoolEventType> | undefined;
  readonly deliver: (event: DeliveredEvent) => void;
  seq: number;
}

/**
 * One stream of pool events (agents joining, leaving, changing; tasks created and changing;
 * alerts) fanned out to filtered subscriptions. Publishing and subscribing are synchronous and
 * the daemon is single-threaded, so a snapshot taken in the same call as subscribe() is exactly
 * the state before the subscription's first event: nothing falls between them. Each
 * subscription numbers the events it receives 1, 2, 3…; seq 0 is the snapshot.
 *
 * Bounded: at most `maxPerOwner` subscriptions per connection (owner); a connection that does
 * not read is cut off by the transport's send high-water mark, and its subscriptions go with it
 * (removeOwner).
 */
export class EventStream {
  private readonly subs = new Map<string, Subscription>();
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    readonly maxPerOwner = 16,
  ) {}

  /** Open subscriptions in all. */
  get size(): number {
    return this.subs.size;
  }

  /** Whether anyone listens (publishers skip building event data when not). */
  get active(): boolean {
    return this.subs.size > 0;
  }

  /** Subscriptions held by one owner. */
  countOf(owner: string): number {
    let n = 0;
    for (const s of this.subs.values()) if (s.owner === owner) n++;
    return n;
  }

  /** Add a subscription; returns its id and seq 0 (the snapshot's). Callers check countOf() against maxPerOwner first. */
  subscribe(owner: string, filter: EventFilter, deliver: (event: DeliveredEvent) => void): { subscriptionId: string; seq: number } {
    const id = `sub-${this.nextId++}`;
    this.subs.set(id, { id, owner, filter, types: filter.types && new Set(filter.types), deliver, seq: 0 });
    return { subscriptionId: id, seq: 0 };
  }

  /** Remove one subscription of `owner`; false when it holds no such subscription. */
  unsubscribe(owner: string, subscriptionId: string): boolean {
    const s = this.subs.get(subscriptionId);
    if (!s || s.owner !== owner) return false;
    this.subs.delete(subscriptionId);
    return true;
  }

  /** The owner went away (its connection closed): drop its subscriptions; returns how many. */
  removeOwner(owner: string): number {
    let n = 0;
    for (const s of [...this.subs.values()]) {
      if (s.owner === owner) {
        this.subs.delete(s.id);
        n++;
      }
    }
    return n;
  }

  /** Deliver an event to every subscription whose filter it passes. */
  publish(event: PoolEvent): void {
    if (this.subs.size === 0) return;
    const at = this.clock.now();
    for (const s of [...this.subs.values()]) {
      if (!passes(s, event) || !this.subs.has(s.id)) continue;
      s.seq++;
      s.deliver({ subscriptionId: s.id, seq: s.seq, type: event.type, at, data: event.data });
    }
  }
}

function passes(s: Subscription, e: PoolEvent): boolean {
  if (s.types && !s.types.has(e.type)) return false;
  const isAlert = e.type === 'alert.raised' || e.type === 'alert.cleared';
  if (s.filter.agentId !== undefined && !isAlert && e.agentId !== s.filter.agentId) return false;
  if (s.filter.taskType !== undefined && e.type.startsWith('task.') && e.taskType !== s.filter.taskType) return false;
  return true;
}
