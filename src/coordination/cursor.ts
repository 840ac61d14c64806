/** Opaque paging cursor: base64url of the last agentId on the previous page. */
export function encodeCursor(lastAgentId: string): string {
  return Buffer.from(lastAgentId, 'utf8').toString('base64url');
}

/** The agentId a cursor points after. Garbage decodes to some string, which is still a valid position. */
export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, 'base64url').toString('utf8');
}

/** Index of the first id strictly greater than `after` in an ascending array. */
export function indexAfter(sortedIds: readonly string[], after: string): number {
  let lo = 0;
  let hi = sortedIds.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sortedIds[mid]! <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
