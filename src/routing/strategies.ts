import type { StrategyName } from '../config.js';
import { LeastLoadedStrategy } from './least-loaded.js';
import { RandomStrategy } from './random.js';
import { RippleCoordinationStrategy } from './ripple-coordination.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { RoutingStrategy } from './strategy.js';

/**
 * One factory per strategy name. Keyed by the full StrategyName union, so adding a name to
 * STRATEGY_NAMES does not compile until its strategy is registered here.
 */
const FACTORIES: Readonly<Record<StrategyName, () => RoutingStrategy>> = {
  ROUND_ROBIN: () => new RoundRobinStrategy(),
  RANDOM: () => new RandomStrategy(),
  LEAST_LOADED: () => new LeastLoadedStrategy(),
  RIPPLE_COORDINATION: () => new RippleCoordinationStrategy(),
};

/** A fresh instance of the named strategy (fresh because some, like ROUND_ROBIN, keep state). */
export function createStrategy(name: StrategyName): RoutingStrategy {
  if (!Object.hasOwn(FACTORIES, name)) throw new TypeError(`Unknown routing strategy: ${String(name)}`);
  return FACTORIES[name]();
}

/** A fresh instance of every strategy, keyed by name. */
export function createStrategies(): Record<StrategyName, RoutingStrategy> {
  return {
    ROUND_ROBIN: createStrategy('ROUND_ROBIN'),
    RANDOM: createStrategy('RANDOM'),
    LEAST_LOADED: createStrategy('LEAST_LOADED'),
    RIPPLE_COORDINATION: createStrategy('RIPPLE_COORDINATION'),
  };
}
