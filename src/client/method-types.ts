import type { CallParamsOf, ParamsOf, ResultOf } from '../schemas/method.js';
import type { MethodName, MethodNamed } from '../schemas/index.js';
import type { coordinationSignal } from '../schemas/coordination.js';
import type { routerRoute } from '../schemas/conversation.js';
import type { poolAssign, taskCancel, taskGet, taskList } from '../schemas/task.js';

/** Params and results of the methods CoordClient wraps, inferred from the daemon's own schemas (types only: no daemon code is loaded). */
export type AssignParams = ParamsOf<typeof poolAssign>;
export type AssignResult = ResultOf<typeof poolAssign>;
export type TaskRecord = ResultOf<typeof taskGet>;
export type TaskList = ResultOf<typeof taskList>;
export type CancelResult = ResultOf<typeof taskCancel>;
export type SignalParams = ParamsOf<typeof coordinationSignal>;
export type SignalResult = ResultOf<typeof coordinationSignal>;
export type RouteParams = ParamsOf<typeof routerRoute>;
export type RouteResult = ResultOf<typeof routerRoute>;

export type { MethodName };
/** What `request(method, params)` sends for `N`: its params schema's input. */
export type MethodParams<N extends MethodName> = CallParamsOf<MethodNamed<N>>;
/** What `request(method)` resolves with for `N`. */
export type MethodResult<N extends MethodName> = ResultOf<MethodNamed<N>>;
/** `[params, options?]`; params may be left out when the method takes none that are required. */
export type RequestArgs<N extends MethodName> =
  {} extends NonNullable<MethodParams<N>> ? [params?: MethodParams<N>, options?: RequestOptionsArg] : [params: MethodParams<N>, options?: RequestOptionsArg];
/** Per-call options (see RequestOptions in client-options.ts). */
export interface RequestOptionsArg {
  /** Overrides the client's `requestTimeoutMs`; `0` waits forever. */
  timeoutMs?: number;
}
