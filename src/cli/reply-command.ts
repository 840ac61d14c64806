import type { MethodName, MethodParams, MethodResult, RequestArgs } from '../client/method-types.js';
import { EXIT, noPositionals, onePositional, type Command } from './command.js';
import { CONNECTION_OPTIONS, ask, outputFormat, withClient } from './connection.js';
import { json } from './output.js';

/** A command that calls one method and prints its reply: as JSON with `-o json`, otherwise as `text`. */
export interface ReplyCommand<N extends MethodName> {
  name: string;
  summary: string;
  method: N;
  text: (reply: MethodResult<N>) => string;
}

/** `coordd <name>`: no arguments; `params` are the method's. */
export function replyCommand<N extends MethodName>(spec: ReplyCommand<N>, ...params: RequestArgs<N>): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    options: { ...CONNECTION_OPTIONS },
    async run(ctx) {
      const format = outputFormat(ctx, spec.name);
      noPositionals(ctx, spec.name);
      const reply = await withClient(ctx, spec.name, (client) => ask(client, spec.method, ...params));
      ctx.out(format === 'json' ? json(reply) : spec.text(reply));
      return EXIT.OK;
    },
  };
}

/** `coordd <name> ID`: the method is called with `params(ID)`. */
export function replyByIdCommand<N extends MethodName>(spec: ReplyCommand<N> & { what: string; params: (id: string) => MethodParams<N> }): Command {
  return {
    name: spec.name,
    args: 'ID',
    summary: spec.summary,
    options: { ...CONNECTION_OPTIONS },
    async run(ctx) {
      const format = outputFormat(ctx, spec.name);
      const id = onePositional(ctx, spec.what, spec.name);
      const reply = await withClient(ctx, spec.name, (client) => ask(client, spec.method, ...([spec.params(id)] as RequestArgs<N>)));
      ctx.out(format === 'json' ? json(reply) : spec.text(reply));
      return EXIT.OK;
    },
  };
}
