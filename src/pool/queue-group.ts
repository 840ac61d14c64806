/** One pending task as the queue sees it. */
export interface QueueEntry {
  readonly taskId: string;
  /** Higher goes first. */
  readonly priority: number;
  readonly requiredCapabilities: readonly string[];
  /** When it was queued (ms since the epoch), for the queue-age metric. */
  readonly enqueuedAt: number;
}

/** A queued entry and its place in dispatch order. */
export interface QueueNode {
  readonly entry: QueueEntry;
  /** Enqueue order across the whole queue: FIFO within a priority, and the merge tie-break across groups. */
  readonly seq: number;
  removed: boolean;
  /** Position in its level's array; stale after the level compacts, so always checked before use. */
  index: number;
}

/** The nodes of one priority within a group, in enqueue order (ascending seq). */
interface Level {
  readonly priority: number;
  nodes: QueueNode[];
  /** Every node before `head` is removed, and the one at `head` is not. */
  head: number;
  live: number;
}

/** Rebuild a level once it holds this many removed nodes and at least as many as live ones. */
const COMPACT_MIN = 32;

/** Dispatch order: higher priority first, then earlier enqueue. */
export function comesBefore(a: QueueNode, b: QueueNode): boolean {
  return a.entry.priority > b.entry.priority || (a.entry.priority === b.entry.priority && a.seq < b.seq);
}

/**
 * The pending tasks that need one capability set, as a FIFO per priority plus the priorities in
 * descending order. Removal marks the node and leaves it in place (compacted later), so positions
 * stay put while TaskQueue.inOrder walks the group. Adding or dropping a priority level costs
 * O(levels), which stays small in practice (priorities are a handful of values).
 */
export class QueueGroup {
  private readonly levels = new Map<number, Level>();
  /** Priorities present, highest first. */
  private readonly priorities: number[] = [];
  /** Live nodes in all. */
  size = 0;

  constructor(
    /** The key in TaskQueue's group map. */
    readonly signature: string,
    /** Sorted, de-duplicated required capabilities shared by every node here. */
    readonly capabilities: readonly string[],
  ) {}

  /** Append a node at the back of its priority. */
  add(node: QueueNode): void {
    const priority = node.entry.priority;
    let level = this.levels.get(priority);
    if (!level) {
      level = { priority, nodes: [], head: 0, live: 0 };
      this.levels.set(priority, level);
      this.priorities.splice(this.rankBelow(priority), 0, priority);
    }
    node.index = level.nodes.length;
    level.nodes.push(node);
    level.live++;
    this.size++;
  }

  /** Mark a live node of this group removed. */
  delete(node: QueueNode): void {
    const level = this.levels.get(node.entry.priority)!;
    node.removed = true;
    level.live--;
    this.size--;
    if (level.live === 0) {
      this.levels.delete(level.priority);
      this.priorities.splice(this.rankBelow(level.priority) - 1, 1);
      return;
    }
    while (level.nodes[level.head]!.removed) level.head++;
    const garbage = level.nodes.length - level.live;
    if (garbage >= COMPACT_MIN && garbage >= level.live) compact(level);
  }

  /** The first live node in dispatch order among those with seq < seqLimit. */
  first(seqLimit: number): QueueNode | undefined {
    return this.fromRank(0, seqLimit);
  }

  /** The live node that follows `node` (live or removed) in dispatch order, among those with seq < seqLimit. */
  after(node: QueueNode, seqLimit: number): QueueNode | undefined {
    const priority = node.entry.priority;
    const level = this.levels.get(priority);
    if (level) {
      let i = level.nodes[node.index] === node ? node.index + 1 : firstSeqAbove(level.nodes, node.seq);
      for (; i < level.nodes.length; i++) {
        const next = level.nodes[i]!;
        if (next.seq >= seqLimit) break;
        if (!next.removed) return next;
      }
    }
    return this.fromRank(this.rankBelow(priority), seqLimit);
  }

  /** Smallest enqueuedAt among the level heads: exact while enqueuedAt never decreases with enqueue order. */
  oldestEnqueuedAt(): number | undefined {
    let oldest: number | undefined;
    for (const level of this.levels.values()) {
      const at = level.nodes[level.head]!.entry.enqueuedAt;
      if (oldest === undefined || at < oldest) oldest = at;
    }
    return oldest;
  }

  /** Add this group's live count per priority into `counts`. */
  countByPriority(counts: Record<string, number>): void {
    for (const level of this.levels.values()) counts[String(level.priority)] = (counts[String(level.priority)] ?? 0) + level.live;
  }

  /** The head of the first level from `rank` down whose head is older than seqLimit (later nodes of a level are newer still). */
  private fromRank(rank: number, seqLimit: number): QueueNode | undefined {
    for (let r = rank; r < this.priorities.length; r++) {
      const level = this.levels.get(this.priorities[r]!)!;
      const head = level.nodes[level.head]!;
      if (head.seq < seqLimit) return head;
    }
    return undefined;
  }

  /** Index of the first priority lower than `priority` in the descending array. */
  private rankBelow(priority: number): number {
    let lo = 0;
    let hi = this.priorities.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.priorities[mid]! >= priority) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function compact(level: Level): void {
  const nodes = level.nodes.filter((n) => !n.removed);
  nodes.forEach((n, i) => (n.index = i));
  level.nodes = nodes;
  level.head = 0;
}

/** Index of the first node with seq > `seq` in a seq-ascending array. */
function firstSeqAbove(nodes: readonly QueueNode[], seq: number): number {
  let lo = 0;
  let hi = nodes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (nodes[mid]!.seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
