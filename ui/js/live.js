// The page's live picture: pool status history for the charts, and "something changed" ticks
// per topic (agents, tasks, alerts) that views refetch on. Fed by events.subscribe when the
// daemon serves it, otherwise by polling once a second. Pausing freezes everything.
import { isMissing } from './rpc.js';

const HISTORY = 300;
const TOPIC_OF = {
  'agent.joined': 'agents',
  'agent.left': 'agents',
  'agent.state': 'agents',
  'task.created': 'tasks',
  'task.state': 'tasks',
  'alert.raised': 'alerts',
  'alert.cleared': 'alerts',
};

export class Live {
  constructor(rpc, session) {
    this.rpc = rpc;
    this.session = session;
    this.paused = false;
    this.ticks = { agents: 0, tasks: 0, alerts: 0, pool: 0 };
    this.events = [];
    this.pool = undefined;
    this.series = { t: [], byState: {}, utilization: [], queue: [], completed: [], failed: [], waitP95: [], runP95: [] };
    this.streaming = false;
    this.notice = undefined;
    this.listeners = new Set();
    this.last = undefined;
  }

  /** Whether this connection may call `method` (and the daemon serves it). */
  can(method) {
    return this.session.methods === undefined || this.session.methods.includes(method);
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of this.listeners) fn();
  }

  async start() {
    this.rpc.onNotification((method, params) => {
      if (method === 'events.event') this.onEvent(params);
    });
    if (this.can('events.subscribe')) {
      try {
        const r = await this.rpc.call('events.subscribe', {});
        this.streaming = true;
        this.subscriptionId = r.subscriptionId;
        this.seq = r.seq;
        if (r.snapshot?.pool) this.record(r.snapshot.pool);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    }
    if (!this.streaming) this.notice = 'This daemon does not serve events.subscribe: the page refreshes by polling once a second.';
    this.timer = setInterval(() => this.poll(), 1000);
    await this.poll();
  }

  async poll() {
    if (this.paused) return;
    if (this.can('pool.status')) {
      try {
        this.record(await this.rpc.call('pool.status', {}));
      } catch {
        /* a closed socket: the page shows the disconnect */
      }
    }
    // Streaming: events drive the views; heartbeat ages and scores still move, so agents refresh every 5 s.
    this.polls = (this.polls ?? 0) + 1;
    if (!this.streaming) this.bump(Object.keys(this.ticks));
    else this.bump(this.polls % 5 === 0 ? ['pool', 'agents'] : ['pool']);
  }

  onEvent(ev) {
    if (!ev || ev.subscriptionId !== this.subscriptionId) return;
    // A gap in seq means events were missed: refetch everything rather than trust the views.
    const gap = ev.seq !== this.seq + 1;
    this.seq = ev.seq;
    if (this.paused) return;
    if (gap) this.bump(Object.keys(this.ticks));
    this.events.unshift(ev);
    if (this.events.length > 200) this.events.length = 200;
    const topic = TOPIC_OF[ev.type];
    if (topic) this.bump([topic]);
  }

  bump(topics) {
    for (const t of topics) this.ticks[t] += 1;
    this.ticks = { ...this.ticks };
    this.changed();
  }

  setPaused(paused) {
    this.paused = paused;
    if (!paused) this.bump(Object.keys(this.ticks));
    else this.changed();
  }

  record(status) {
    const now = Date.now() / 1000;
    const s = this.series;
    const done = status.tasks?.byState ?? {};
    const rate = (key) => (this.last ? Math.max(0, ((done[key] ?? 0) - (this.last.done[key] ?? 0)) / Math.max(now - this.last.t, 0.001)) : 0);
    s.t.push(now);
    for (const [state, n] of Object.entries(status.agents?.byState ?? {})) (s.byState[state] ??= new Array(s.t.length - 1).fill(0)).push(n);
    for (const arr of Object.values(s.byState)) while (arr.length < s.t.length) arr.push(0);
    s.utilization.push(status.utilization ?? 0);
    s.queue.push(status.queue?.depth ?? 0);
    s.completed.push(rate('COMPLETED'));
    s.failed.push(rate('FAILED'));
    s.waitP95.push(status.latency?.queueWait?.p95 ?? 0);
    s.runP95.push(status.latency?.run?.p95 ?? 0);
    if (s.t.length > HISTORY) {
      for (const arr of [s.t, s.utilization, s.queue, s.completed, s.failed, s.waitP95, s.runP95, ...Object.values(s.byState)]) arr.shift();
    }
    this.last = { t: now, done: { ...done } };
    this.pool = status;
  }
}
