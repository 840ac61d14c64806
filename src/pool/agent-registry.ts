import { AppError } from '../errors.js';
import type { IdGenerator } from '../ids.js';
import type { Log } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { AgentChannel } from './agent-channel.js';
import { openGate, type AgentGate } from './agent-gate.js';
import { canTake, deriveState, type AgentRecord, type Health, type ReportedState } from './agent-record.js';
import type { PoolObserver } from './pool-observer.js';
import { AgentWork } from './agent-work.js';

/** What agent.register carries, plus the connection it came on. */
export interface Registration {
  agentId?: string;
  name?: string;
  type?: string;
  capabilities: readonly string[];
  capacity: number;
  contextWindowId?: string;
  channel: AgentChannel;
  sessionId: string;
  pid?: number;
  /** Who registers (a token label or join-token principal, never the secret); the id stays theirs while the agent exists. */
  credential?: string;
  /** May take over an id another credential holds (admin; logged). */
  override?: boolean;
}

/** What agent.update may change. */
export interface AgentChanges {
  capacity?: number;
  capabilities?: readonly string[];
  tags?: readonly string[];
}

/**
 * The registered agents, their context windows and liveness. Context isolation is enforced here:
 * a context window belongs to one live agent.
 */
export class AgentRegistry {
  private readonly agents = new Map<string, AgentRecord>();
  private readonly contextOwners = new Map<string, string>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    private readonly observer: PoolObserver,
    private readonly gate: AgentGate = openGate,
  ) {}

  /** Whether the agent may take one more task needing `required`: a free slot, and its breaker lets it. */
  canTake(a: AgentRecord, required: readonly string[]): boolean {
    return canTake(a, required) && this.gate.available(a.agentId);
  }

  /**
   * Register, or take over an existing id; returns the record replaced, if any. The new record
   * starts with nothing in flight: what the old connection was running can only finish there,
   * so the pool requeues it. Only the credential that registered an id may take it over (a
   * reconnect); another gets FORBIDDEN and the live agent is left alone, unless `override`.
   */
  register(reg: Registration, ids: IdGenerator): { agent: AgentRecord; replaced?: AgentRecord } {
    const agentId = reg.agentId ?? ids();
    const previous = this.agents.get(agentId);
    if (previous && previous.sessionId === reg.sessionId) return { agent: this.reregister(previous, reg) };
    if (previous && previous.credential !== reg.credential) this.checkTakeover(agentId, previous.credential, reg);
    const contextWindowId = reg.contextWindowId ?? previous?.contextWindowId ?? ids();
    const owner = this.contextOwners.get(contextWindowId);
    if (owner !== undefined && owner !== agentId) {
      throw new AppError('CONTEXT_WINDOW_IN_USE', `context window ${contextWindowId} is held by another live agent`, { contextWindowId, heldBy: owner });
    }
    const now = this.clock.now();
    if (previous) this.contextOwners.delete(previous.contextWindowId);
    const agent: AgentRecord = {
      agentId,
      name: reg.name,
      type: reg.type,
      capabilities: new Set(reg.capabilities),
      capacity: reg.capacity,
      contextWindowId,
      channel: reg.channel,
      sessionId: reg.sessionId,
      credential: reg.credential,
      pid: reg.pid ?? previous?.pid,
      registeredAt: now,
      lastHeartbeat: now,
      reported: undefined,
      health: undefined,
      degraded: false,
      draining: false,
      tags: previous?.tags ?? [],
      work: previous?.work ?? new AgentWork(),
      inFlight: new Set(),
      lastState: previous?.lastState ?? 'IDLE',
    };
    this.agents.set(agentId, agent);
    this.contextOwners.set(contextWindowId, agentId);
    this.log.info({ agentId, contextWindowId, capacity: agent.capacity, capabilities: reg.capabilities, takeover: previous !== undefined }, 'agent registered');
    if (!previous) this.observer.agentState?.(agentId, deriveState(agent), undefined);
    this.refresh(agent);
    return previous ? { agent, replaced: previous } : { agent };
  }

  get(agentId: string): AgentRecord | undefined {
    return this.agents.get(agentId);
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  all(): IterableIterator<AgentRecord> {
    return this.agents.values();
  }

  get size(): number {
    return this.agents.size;
  }

  /** Every registered agent's id. */
  *ids(): IterableIterator<string> {
    for (const id of this.agents.keys()) yield id;
  }

  /** Agents that can take one more task needing `required`. */
  free(required: readonly string[]): AgentRecord[] {
    const out: AgentRecord[] = [];
    for (const a of this.agents.values()) if (this.canTake(a, required)) out.push(a);
    return out;
  }

  /** Agents that could serve `required` (live, not draining, breaker lets them) but have no free slot now. */
  busy(required: readonly string[]): AgentRecord[] {
    const out: AgentRecord[] = [];
    for (const a of this.agents.values()) {
      if (a.draining || a.degraded || a.inFlight.size < a.capacity || a.capacity <= 0 || !this.gate.available(a.agentId)) continue;
      if (required.every((c) => a.capabilities.has(c))) out.push(a);
    }
    return out;
  }

  /** Whether any agent has a free slot at all. */
  anyFree(): boolean {
    for (const a of this.agents.values()) if (this.canTake(a, [])) return true;
    return false;
  }

  heartbeat(agentId: string, report: { state?: ReportedState; health?: Health }): AgentRecord {
    const agent = this.agents.get(agentId);
    if (!agent) throw new AppError('UNKNOWN_AGENT', `agent ${agentId} is not registered`, { agentId });
    agent.lastHeartbeat = this.clock.now();
    if (report.state !== undefined) agent.reported = report.state === 'IDLE' ? undefined : report.state;
    if (report.health !== undefined) agent.health = report.health;
    if (agent.degraded) {
      agent.degraded = false;
      this.log.info({ agentId }, 'agent recovered');
    }
    this.refresh(agent);
    return agent;
  }

  /** An operator's change of capacity, capabilities or tags (agent.update); logged with what changed. */
  update(agent: AgentRecord, changes: AgentChanges): void {
    if (changes.capacity !== undefined) agent.capacity = changes.capacity;
    if (changes.capabilities !== undefined) agent.capabilities = new Set(changes.capabilities);
    if (changes.tags !== undefined) agent.tags = [...new Set(changes.tags)];
    this.log.info({ agentId: agent.agentId, ...changes }, 'agent updated by operator');
    this.refresh(agent);
  }

  /**
   * The same connection registers again (new capabilities or capacity, or a client that repeats
   * its registration): the record is updated in place, so what it runs keeps running there.
   */
  private reregister(agent: AgentRecord, reg: Registration): AgentRecord {
    const contextWindowId = reg.contextWindowId ?? agent.contextWindowId;
    const owner = this.contextOwners.get(contextWindowId);
    if (owner !== undefined && owner !== agent.agentId) {
      throw new AppError('CONTEXT_WINDOW_IN_USE', `context window ${contextWindowId} is held by another live agent`, { contextWindowId, heldBy: owner });
    }
    this.contextOwners.delete(agent.contextWindowId);
    this.contextOwners.set(contextWindowId, agent.agentId);
    agent.contextWindowId = contextWindowId;
    agent.name = reg.name ?? agent.name;
    agent.type = reg.type ?? agent.type;
    agent.capabilities = new Set(reg.capabilities);
    agent.capacity = reg.capacity;
    agent.lastHeartbeat = this.clock.now();
    agent.degraded = false;
    this.log.info(
      { agentId: agent.agentId, contextWindowId, capacity: agent.capacity, capabilities: reg.capabilities },
      'agent registered again on its connection',
    );
    this.refresh(agent);
    return agent;
  }

  setDraining(agent: AgentRecord, draining: boolean): void {
    agent.draining = draining;
    this.refresh(agent);
  }

  addTask(agent: AgentRecord, taskId: string): void {
    agent.inFlight.add(taskId);
    this.refresh(agent);
  }

  removeTask(agent: AgentRecord, taskId: string): void {
    agent.inFlight.delete(taskId);
    this.refresh(agent);
  }

  remove(agent: AgentRecord): void {
    if (this.agents.get(agent.agentId) !== agent) return;
    this.agents.delete(agent.agentId);
    if (this.contextOwners.get(agent.contextWindowId) === agent.agentId) this.contextOwners.delete(agent.contextWindowId);
    this.log.info({ agentId: agent.agentId, inFlight: agent.inFlight.size }, 'agent removed');
    this.observer.agentState?.(agent.agentId, 'REMOVED', agent.lastState);
  }

  /** Mark silent agents DEGRADED; return those newly degraded and those past the grace period. */
  checkLiveness(leaseTtlMs: number, graceMs: number): { degraded: AgentRecord[]; expired: AgentRecord[] } {
    const now = this.clock.now();
    const degraded: AgentRecord[] = [];
    const expired: AgentRecord[] = [];
    for (const a of this.agents.values()) {
      const silent = now - a.lastHeartbeat;
      if (silent > leaseTtlMs + graceMs) expired.push(a);
      else if (silent > leaseTtlMs && !a.degraded) {
        a.degraded = true;
        degraded.push(a);
        this.refresh(a);
      }
    }
    return { degraded, expired };
  }

  /** Context windows held by more than one live agent (always empty: registration refuses them). */
  sharedContextWindows(): string[] {
    const seen = new Map<string, number>();
    for (const a of this.agents.values()) seen.set(a.contextWindowId, (seen.get(a.contextWindowId) ?? 0) + 1);
    return [...seen].filter(([, n]) => n > 1).map(([id]) => id);
  }

  /** Refuse (or, with `override`, log) a registration of an id that another credential holds. */
  private checkTakeover(agentId: string, heldBy: string | undefined, reg: Registration): void {
    const fields = { agentId, heldBy: heldBy ?? 'none', credential: reg.credential ?? 'none' };
    if (reg.override) {
      this.log.warn(fields, 'admin took over an agent held by another credential');
      return;
    }
    this.log.warn(fields, 'agent.register refused: id held by another credential');
    throw new AppError('FORBIDDEN', `agent ${agentId} is held by another credential; only the credential that registered it may take it over`, { agentId });
  }

  /** Log and report a change of derived state. */
  private refresh(agent: AgentRecord): void {
    const state = deriveState(agent);
    if (state === agent.lastState) return;
    const previous = agent.lastState;
    agent.lastState = state;
    this.log.info({ agentId: agent.agentId, state, previous }, 'agent state');
    this.observer.agentState?.(agent.agentId, state, previous);
  }
}
