import { z } from 'zod';
import { defineMethod } from './method.js';
import { Timestamp } from './common.js';

/** Performance alerts, by stable snake_case name (also the `alert` label of coordd_alerts_active). */
export const ALERT_NAMES = ['utilization_low', 'utilization_high', 'coordination_overhead_high', 'completion_rate_low', 'conflict_resolution_slow'] as const;
export const AlertName = z.enum(ALERT_NAMES);
export type AlertName = z.infer<typeof AlertName>;

export const ActiveAlert = z.object({
  alert: AlertName,
  startedAt: Timestamp.describe('When the alert was raised'),
  value: z.number().describe('The value at the latest evaluation (a ratio, or seconds for conflict_resolution_slow)'),
  threshold: z.number(),
  message: z.string(),
});
export type ActiveAlert = z.infer<typeof ActiveAlert>;

/** Params of the `alert.raised` notification. */
export const AlertRaisedNotification = ActiveAlert;

/** Params of the `alert.cleared` notification. */
export const AlertClearedNotification = ActiveAlert.extend({
  value: z.number().nullable().describe('null when the window no longer holds enough samples to compute it'),
  clearedAt: Timestamp,
  reason: z.enum(['recovered', 'no_data']).describe('Back within the threshold, or no longer computable'),
});
export type AlertClearedNotification = z.infer<typeof AlertClearedNotification>;

export const AlertThresholds = z.object({
  evaluationIntervalSeconds: z.number(),
  windowSeconds: z.number(),
  utilizationMin: z.number(),
  utilizationMax: z.number(),
  overheadMax: z.number(),
  completionRateMin: z.number(),
  conflictResolutionMaxSeconds: z.number(),
  minSamples: z.number().int(),
});

export const coordinationAlerts = defineMethod({
  name: 'coordination.alerts',
  summary: 'Active performance alerts with when they started, and the thresholds; subscribe for alert.raised / alert.cleared.',
  roles: ['operator', 'admin'],
  params: z
    .strictObject({
      subscribe: z
        .boolean()
        .optional()
        .describe('true: send this connection alert.raised / alert.cleared until it closes; false: stop; omitted: unchanged'),
    })
    .optional(),
  result: z.object({
    active: z.array(ActiveAlert),
    thresholds: AlertThresholds,
    subscribed: z.boolean().describe('Whether this connection receives alert notifications after the call'),
  }),
});
