import type { Logger } from 'pino';
import type { FileConfig } from '../config-file.js';
import type { IdGenerator } from '../ids.js';
import type { Metrics } from '../observability/metrics.js';
import { LeaseManager } from '../resources/lease-manager.js';
import type { LeaseStore } from '../resources/lease-store.js';
import { leaseOptionsFromFile } from '../resources/lease-options.js';
import type { Clock } from '../time/clock.js';
import type { AlertInputs } from './alerts.js';
import { leaseMetrics } from './metrics-wiring.js';

/** The lease manager, with its metrics (see metrics-wiring.ts) and the conflict-resolution alert fed. */
export function createLeases(
  deps: { clock: Clock; ids: IdGenerator; logger: Logger; metrics: Metrics; alerts: AlertInputs; store?: LeaseStore },
  options: FileConfig['leases'],
): LeaseManager {
  const { alerts } = deps;
  const counted = leaseMetrics(deps.metrics);
  const leases = new LeaseManager(
    {
      clock: deps.clock,
      ids: deps.ids,
      store: deps.store,
      log: deps.logger.child({ component: 'leases' }),
      observer: {
        ...counted,
        conflictEnded: (e) => {
          counted.conflictEnded(e);
          if (e.resolution === 'resolved') {
            counted.conflictWaited('granted', e.waitedMs! / 1000);
            alerts.conflictResolved(e.waitedMs! / 1000);
          } else if (e.resolution === 'escalated' && e.waitedMs! > 0) {
            // A wait that timed out. A refusal at once (waitMs 0, or the queue full) waited nothing:
            // counting it as a 0 s wait would hide slow resolutions from the p95 and its alert.
            counted.conflictWaited('timeout', e.waitedMs! / 1000);
            alerts.conflictEscalated(e.waitedMs! / 1000);
          }
        },
      },
    },
    leaseOptionsFromFile(options),
  );
  return leases;
}
