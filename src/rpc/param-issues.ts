import type { z } from 'zod';

export interface ParamIssue {
  path: string;
  message: string;
  /** For a value over a limit (COORDD_MAX_DEPTH, COORDD_MAX_VALUE_BYTES): which limit, and its value. */
  limit?: string;
  max?: number;
}

const formatPath = (path: readonly PropertyKey[]): string => (path.length === 0 ? 'params' : path.map(String).join('.'));

/**
 * Flatten zod issues into `{path, message}` pairs relative to params. For a union, the branch
 * with the fewest issues is reported (the one the client most likely meant); unknown keys are
 * reported one path each.
 */
export function paramIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ParamIssue[] {
  const out: ParamIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      out.push(...paramIssues(best, path));
    } else if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: formatPath([...path, key]), message: 'unknown field' });
    } else if (issue.code === 'custom' && typeof issue.params?.limit === 'string') {
      out.push({ path: formatPath(path), message: issue.message, limit: issue.params.limit, max: issue.params.max as number });
    } else {
      out.push({ path: formatPath(path), message: issue.message });
    }
  }
  return out;
}

/** The `error.data` of an Invalid params reply. */
export function invalidParamsData(issues: readonly z.core.$ZodIssue[]): { paths: string[]; issues: ParamIssue[] } {
  const list = paramIssues(issues);
  return { paths: [...new Set(list.map((i) => i.path))], issues: list };
}
