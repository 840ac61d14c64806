import { MemoryTaskStore, type MemoryTaskStoreOptions } from '../pool/memory-task-store.js';
import type { TaskFilter, TaskPage, TaskRecord, TaskStore } from '../pool/task-store.js';
import { TERMINAL_STATES, type TaskState } from '../schemas/task.js';
import type { Clock } from '../time/clock.js';
import { HashJournal, type HashContents } from './hash-journal.js';

/**
 * The leader's TaskStore in cluster mode: reads and the pool's invariants come from a
 * MemoryTaskStore (the leader is the only writer), and every insert, update, reopen and eviction
 * by retention is journaled as a change to the `tasks` hash (`taskId -> <seq>:<record JSON>`),
 * committed with the rest of the turn by RedisStores. `seq` is the insertion order, so a new
 * leader rebuilds the same task.list order and the same dispatch order.
 */
export class RedisTaskStore implements TaskStore {
  readonly journal = new HashJournal();
  private readonly inner: MemoryTaskStore;
  private readonly seqOf = new Map<string, number>();
  private nextSeq = 1;
  /** Tasks that became terminal, in that order: retention evicts from the front, so evictions are found there. */
  private finishedOrder: { taskId: string; task: TaskRecord }[] = [];
  private finishedHead = 0;

  constructor(deps: { clock: Clock }, options: Partial<MemoryTaskStoreOptions> = {}) {
    this.inner = new MemoryTaskStore(deps, options);
  }

  get options(): Readonly<MemoryTaskStoreOptions> {
    return this.inner.options;
  }

  /** Rebuild from the `tasks` hash (nothing journaled): tasks go in by their insertion order. */
  load(hash: HashContents): void {
    const rows: { seq: number; task: TaskRecord }[] = [];
    for (const value of hash.values()) {
      const colon = value.indexOf(':');
      rows.push({ seq: Number(value.slice(0, colon)), task: JSON.parse(value.slice(colon + 1)) as TaskRecord });
    }
    rows.sort((a, b) => a.seq - b.seq);
    for (const { seq, task } of rows) {
      this.inner.insert(task);
      this.seqOf.set(task.taskId, seq);
      if (TERMINAL_STATES.has(task.state)) this.finishedOrder.push({ taskId: task.taskId, task });
    }
    this.nextSeq = (rows.at(-1)?.seq ?? 0) + 1;
  }

  insert(task: TaskRecord): void {
    this.inner.insert(task);
    this.seqOf.set(task.taskId, this.nextSeq++);
    this.written(task);
  }

  update(task: TaskRecord): void {
    this.inner.update(task);
    this.written(task);
  }

  reopen(task: TaskRecord): void {
    this.inner.reopen(task);
    this.written(task);
  }

  get(taskId: string): TaskRecord | undefined {
    return this.inner.get(taskId);
  }

  findByIdempotencyKey(key: string): TaskRecord | undefined {
    return this.inner.findByIdempotencyKey(key);
  }

  list(filter: TaskFilter, page: { limit: number; cursor?: string; maxBytes?: number }): TaskPage {
    return this.inner.list(filter, page);
  }

  countByState(): Record<TaskState, number> {
    return this.inner.countByState();
  }

  unfinished(): TaskRecord[] {
    return this.inner.unfinished();
  }

  size(): number {
    return this.inner.size();
  }

  /** Journal what retention evicted since the last commit (HDEL), then hand the hash's section over. */
  drain(): string[] {
    this.noteEvictions();
    return this.journal.drain();
  }

  private written(task: TaskRecord): void {
    this.journal.set(task.taskId, `${this.seqOf.get(task.taskId)}:${JSON.stringify(task)}`);
    if (TERMINAL_STATES.has(task.state)) this.finishedOrder.push({ taskId: task.taskId, task });
  }

  /** O(evicted): a front entry still stored as that very record stops the walk; one reopened or replaced since is skipped. */
  private noteEvictions(): void {
    while (this.finishedHead < this.finishedOrder.length) {
      const { taskId, task } = this.finishedOrder[this.finishedHead]!;
      const current = this.inner.get(taskId);
      if (current === task) break;
      if (current === undefined) {
        this.journal.delete(taskId);
        this.seqOf.delete(taskId);
      }
      this.finishedHead++;
    }
    if (this.finishedHead >= 1024 && this.finishedHead * 2 >= this.finishedOrder.length) {
      this.finishedOrder = this.finishedOrder.slice(this.finishedHead);
      this.finishedHead = 0;
    }
  }
}
