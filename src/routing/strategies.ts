import type { StrategyName } from '../schemas/common.js';
import { LeastLoadedStrategy } from './least-loaded.js';
import { P2CStrategy } from './p2c.js';
import { PeakEwmaStrategy } from './peak-ewma.js';
import { RandomStrategy } from './random.js';
import { RippleCoordinationStrategy } from './ripple-coordination.js';
import type { RippleOptions } from './ripple-options.js';
import { RoundRobinStrategy } from './round-robin.js';
import type { RoutingStrategy } from './strategy.js';

/** Settings of the strategies that have any. */
export interface StrategyOptions {
  ripple?: Partial<RippleOptions>;
}

/**
 * One factory per strategy name. Keyed by the full StrategyName union, so adding a name to
 * STRATEGY_NAMES does not compile until its strategy is registered here.
 */
const FACTORIES: Readonly<Record<StrategyName, (options: StrategyOptions) => RoutingStrategy>> = {
  ROUND_ROBIN: () => new RoundRobinStrategy(),
  RANDOM: () => new RandomStrategy(),
  LEAST_LOADED: () => new LeastLoadedStrategy(),
  P2C: () => new P2CStrategy(),
  PEAK_EWMA: () => new PeakEwmaStrategy(),
  RIPPLE_COORDINATION: (options) => new RippleCoordinationStrategy(options.ripple),
};

/** A fresh instance of the named strategy (fresh because some, like ROUND_ROBIN, keep state). */
export function createStrategy(name: StrategyName, options: StrategyOptions = {}): RoutingStrategy {
  if (!Object.hasOwn(FACTORIES, name)) throw new TypeError(`Unknown routing strategy: ${String(name)}`);
  return FACTORIES[name](options);
}

/** A fresh instance of every strategy, keyed by name. */
export function createStrategies(options: StrategyOptions = {}): Record<StrategyName, RoutingStrategy> {
  const all = {} as Record<StrategyName, RoutingStrategy>;
  for (const name of Object.keys(FACTORIES) as StrategyName[]) all[name] = createStrategy(name, options);
  return all;
}
