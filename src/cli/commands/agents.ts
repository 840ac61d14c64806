import { EXIT, UsageError, intOption, type Command } from '../command.js';
import { CONNECTION_OPTIONS, ask, outputFormat, withClient } from '../connection.js';
import type { MethodParams, MethodResult } from '../../client/method-types.js';
import { AGENT_STATES, type AgentState } from '../../schemas/common.js';
import { duration, json, keyValues, table } from '../output.js';
import { replyByIdCommand } from '../reply-command.js';

const list: Command = {
  name: 'agents',
  summary: 'Agents registered with the daemon (agent.list): state, capabilities, load, heartbeat age, routing score.',
  notes: ['See one agent in full with: coordd agents get ID'],
  options: {
    state: { type: 'string', placeholder: 'STATE', description: `only agents in this state (${AGENT_STATES.join(', ')})` },
    capability: { type: 'string', placeholder: 'CAP', description: 'only agents with this capability' },
    template: { type: 'string', placeholder: 'NAME', description: 'only agents spawned from this template' },
    spawned: { type: 'boolean', description: 'only agents the daemon spawned' },
    q: { type: 'string', placeholder: 'TEXT', description: 'only agents whose id contains TEXT' },
    limit: { type: 'string', placeholder: 'N', description: 'agents per page', defaultText: "the daemon's" },
    cursor: { type: 'string', placeholder: 'CURSOR', description: 'the next page, from a previous reply' },
    ...CONNECTION_OPTIONS,
  },
  async run(ctx) {
    const format = outputFormat(ctx, this.name);
    if (ctx.positionals.length) throw new UsageError(`unknown argument "${ctx.positionals[0]}" (did you mean: coordd agents get ID?)`, this.name);
    const v = ctx.values;
    const params: NonNullable<MethodParams<'agent.list'>> = {};
    if (v.state !== undefined) {
      if (!(AGENT_STATES as readonly string[]).includes(v.state as string))
        throw new UsageError(`--state must be one of ${AGENT_STATES.join(', ')} (got "${String(v.state)}")`, this.name);
      params.state = v.state as AgentState;
    }
    if (v.capability) params.capability = v.capability as string;
    if (v.template) params.template = v.template as string;
    if (v.spawned) params.spawned = true;
    if (v.q) params.q = v.q as string;
    const limit = intOption(v, 'limit', this.name, 1);
    if (limit !== undefined) params.limit = limit;
    if (v.cursor) params.cursor = v.cursor as string;
    return withClient(ctx, this.name, async (client) => {
      const page = await ask(client, 'agent.list', params);
      if (format === 'json') ctx.out(json(page));
      else {
        const rows = page.agents.map((a) => [
          a.agentId,
          a.state,
          `${a.inFlight}/${a.capacity}`,
          a.capabilities.join(',') || '-',
          duration(a.heartbeatAgeMs),
          a.routingScore.toFixed(2),
          a.spawned ? (a.template ?? 'yes') : '-',
        ]);
        ctx.out(rows.length ? table(['AGENT', 'STATE', 'LOAD', 'CAPABILITIES', 'HEARTBEAT', 'SCORE', 'SPAWNED'], rows) : 'no agents');
        if (page.nextCursor) ctx.out(`more: coordd agents --cursor ${page.nextCursor}`);
      }
      return EXIT.OK;
    });
  },
};

const get = replyByIdCommand({
  name: 'agents get',
  summary: 'One agent in full (agent.get): running tasks, signals and scores, overload forecast, breaker, counts, latency.',
  method: 'agent.get',
  what: 'the agent id',
  params: (agentId) => ({ agentId }),
  text: agentDetail,
});

function agentDetail(a: MethodResult<'agent.get'>): string {
  const ms = (x: number | undefined): string => (x === undefined ? '-' : `${Math.round(x)} ms`);
  const pairs: [string, string][] = [
    ['agent', a.agentId],
    ['state', a.state],
    ['load', `${a.inFlight} of ${a.capacity} slots`],
    ['capabilities', a.capabilities.join(', ') || '-'],
    ['tags', a.tags.join(', ') || '-'],
    ['context window', a.contextWindowId],
    ['spawned', a.spawned ? `yes${a.template ? ` (template ${a.template})` : ''}` : 'no'],
    ['heartbeat', `${duration(a.heartbeatAgeMs)} ago`],
    ['routing score', a.routingScore.toFixed(3)],
    [
      'overload',
      `${a.overload.willOverload ? 'PREDICTED' : 'no'} (load ${a.overload.predictedLoad.toFixed(2)}, confidence ${a.overload.confidence.toFixed(2)})`,
    ],
    ['breaker', a.breaker.state],
    ['attempts', `${a.completed} completed, ${a.failed} failed`],
    ['latency', `mean ${ms(a.latencyMs.mean)}, p95 ${ms(a.latencyMs.p95)}`],
  ];
  const signals = a.signals.map((s) => [s.signalType, s.value.toFixed(3), s.score.toFixed(3), `${duration(s.ageMs)} ago`]);
  const running = a.runningTasks.map((t) => [t.taskId, t.type, String(t.epoch), new Date(t.startedAt).toISOString()]);
  return [
    keyValues(pairs),
    '',
    signals.length ? table(['SIGNAL', 'VALUE', 'SCORE', 'AGE'], signals) : 'no signals',
    '',
    running.length ? table(['RUNNING TASK', 'TYPE', 'EPOCH', 'STARTED'], running) : 'no running tasks',
  ].join('\n');
}

export const agentCommands: Command[] = [list, get];
