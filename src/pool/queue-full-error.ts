import { AppError } from '../errors.js';

/** TaskQueue.enqueue refused: the queue already holds `maxSize` entries. Crosses the wire as QUEUE_FULL. */
export class QueueFullError extends AppError {
  constructor(readonly maxSize: number) {
    super('QUEUE_FULL', `${maxSize} tasks are pending`, { maxQueue: maxSize });
    this.name = 'QueueFullError';
  }
}
