import { RouteDecideResult, type RouteDecideParams } from '../schemas/conversation.js';
import { AgentCallError } from '../agent-call-error.js';
import type { RoutableAgent } from './routable-agent.js';

/** Why a supervisor's decision was not used ('unavailable': its choice left or was shut out meanwhile). */
export type SupervisorFallback = 'timeout' | 'error' | 'invalid' | 'unavailable';

export type SupervisorAnswer =
  | { ok: true; agentId: string; reason?: string }
  | { ok: false; fallback: Exclude<SupervisorFallback, 'unavailable'>; detail: string; failure?: AgentCallError };

/**
 * Ask one supervisor agent which candidate should get a message (`route.decide`), bounded by
 * `timeoutMs`. Anything but a well-formed answer naming one of the candidates is a fallback.
 */
export async function askSupervisor(
  supervisor: RoutableAgent,
  params: RouteDecideParams,
  timeoutMs: number,
  onWaited?: (ms: number) => void,
): Promise<SupervisorAnswer> {
  let raw: unknown;
  try {
    raw = await supervisor.call('route.decide', params, timeoutMs, onWaited);
  } catch (err) {
    const failure = err instanceof AgentCallError ? err : new AgentCallError('disconnected', 'call failed');
    return { ok: false, fallback: failure.kind === 'timeout' ? 'timeout' : 'error', detail: failure.message, failure };
  }
  const parsed = RouteDecideResult.safeParse(raw);
  if (!parsed.success) return { ok: false, fallback: 'invalid', detail: 'the answer is not {agentId, reason?}' };
  if (!params.candidates.some((c) => c.agentId === parsed.data.agentId)) {
    return { ok: false, fallback: 'invalid', detail: `${parsed.data.agentId} is not one of the candidates` };
  }
  return { ok: true, agentId: parsed.data.agentId, reason: parsed.data.reason };
}

/** The supervisor to ask: fewest tasks in flight, rotating among equals so one is not always first. */
export function pickSupervisor(supervisors: readonly RoutableAgent[], turn: number): RoutableAgent | undefined {
  if (supervisors.length === 0) return undefined;
  const least = Math.min(...supervisors.map((s) => s.inFlight));
  const idle = supervisors.filter((s) => s.inFlight === least);
  return idle[turn % idle.length];
}
