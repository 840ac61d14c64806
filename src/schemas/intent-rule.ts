import { z } from 'zod';

/**
 * One intent rule: a message whose text contains any keyword (case-insensitive) or matches the
 * pattern goes to agents with `capability`. Rules are tried in order; the first match wins.
 */
export const IntentRuleSchema = z
  .strictObject({
    capability: z.string().min(1).max(128),
    keywords: z.array(z.string().min(1).max(256)).max(1000).optional(),
    pattern: z.string().min(1).max(1024).optional(),
    /** RegExp flags for `pattern`. @defaultValue 'i' */
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'only the flags i, m, s and u are allowed')
      .default('i'),
  })
  .refine((r) => (r.keywords?.length ?? 0) > 0 || r.pattern !== undefined, 'a rule needs keywords or a pattern')
  .superRefine((r, ctx) => {
    if (r.pattern === undefined) return;
    try {
      new RegExp(r.pattern, r.flags);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['pattern'], message: `not a valid regular expression: ${(err as Error).message}` });
    }
  });
export type IntentRule = z.infer<typeof IntentRuleSchema>;
