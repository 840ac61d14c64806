/** Why the durable store failed. Local error: the wiring maps it to a catalogued wire error. */
export type StoreErrorCode = 'DISK_FULL' | 'READ_ONLY' | 'IO' | 'CORRUPT' | 'BUSY' | 'TOO_NEW' | 'UNKNOWN' | 'FENCED' | 'STATE_LOST';

/**
 * A write or commit the store could not make durable. When it is thrown, everything written since
 * the last successful commit has been rolled back and the store reads as of that commit.
 */
export class StoreError extends Error {
  /** Cluster mode: what a FENCED or STATE_LOST error carries to the wire (the epochs, the term). */
  readonly details: Record<string, unknown> | undefined;
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options);
    this.details = options?.details;
    this.name = 'StoreError';
  }
}

/** The StoreError for an error thrown by SQLite (its `code` is SQLITE_*); anything else is UNKNOWN. */
export function storeErrorOf(err: unknown, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const sqliteCode = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : '';
  const message = err instanceof Error ? err.message : String(err);
  return new StoreError(codeOf(sqliteCode), `${doing} failed: ${message}${sqliteCode ? ` (${sqliteCode})` : ''}`, { cause: err });
}

function codeOf(sqliteCode: string): StoreErrorCode {
  if (sqliteCode.startsWith('SQLITE_FULL')) return 'DISK_FULL';
  if (sqliteCode.startsWith('SQLITE_READONLY') || sqliteCode.startsWith('SQLITE_CANTOPEN') || sqliteCode.startsWith('SQLITE_PERM')) return 'READ_ONLY';
  if (sqliteCode.startsWith('SQLITE_IOERR')) return 'IO';
  if (sqliteCode.startsWith('SQLITE_CORRUPT') || sqliteCode.startsWith('SQLITE_NOTADB')) return 'CORRUPT';
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) return 'BUSY';
  return 'UNKNOWN';
}
