import type { ParamsOf, ResultOf } from '../schemas/method.js';
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
