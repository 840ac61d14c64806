import { candidateLoad } from './least-loaded.js';
import type { Candidate } from './strategy.js';
import { TwoChoicesStrategy } from './two-choices.js';

export { orderable } from './two-choices.js';

/**
 * Power of two choices on in-flight work, as Envoy's least_request with choice_count 2: the less
 * loaded of two random candidates wins (inFlight / capacity when the capacity is known, see
 * candidateLoad).
 */
export class P2CStrategy extends TwoChoicesStrategy {
  readonly name = 'P2C' as const;

  protected cost(candidate: Candidate): number {
    return candidateLoad(candidate);
  }
}
