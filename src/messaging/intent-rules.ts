import type { IntentRule } from '../schemas/intent-rule.js';

/** Text longer than this is matched on its first this-many characters (bounds the regex work). */
export const MAX_MATCHED_TEXT = 64 * 1024;

export interface IntentMatch {
  readonly capability: string;
  /** Position of the rule in the configuration, for logs. */
  readonly rule: number;
}

interface CompiledRule {
  readonly capability: string;
  readonly tests: readonly RegExp[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A keyword matches as a whole word or phrase, case-insensitively ("bug" does not match "debug"). */
function keywordRegex(keyword: string): RegExp {
  const k = keyword.trim();
  const start = /^\w/.test(k) ? '\\b' : '';
  const end = /\w$/.test(k) ? '\\b' : '';
  return new RegExp(`${start}${escape(k).replace(/\s+/g, '\\s+')}${end}`, 'i');
}

/**
 * The text intent rules read from a message: a string as is; for an object its `text`, `content`,
 * `message` or `prompt` string field; otherwise its JSON.
 */
export function messageText(message: unknown): string {
  if (typeof message === 'string') return message.slice(0, MAX_MATCHED_TEXT);
  if (message !== null && typeof message === 'object' && !Array.isArray(message)) {
    const m = message as Record<string, unknown>;
    for (const key of ['text', 'content', 'message', 'prompt']) {
      if (typeof m[key] === 'string') return m[key].slice(0, MAX_MATCHED_TEXT);
    }
  }
  return (JSON.stringify(message) ?? '').slice(0, MAX_MATCHED_TEXT);
}

/**
 * The configured intent rules (routing.intentRules), compiled once: tried in order against the
 * request's intent first and then the message text; the first rule that matches names the
 * capability the message should go to.
 */
export class IntentMatcher {
  private readonly rules: readonly CompiledRule[];

  constructor(rules: readonly IntentRule[]) {
    this.rules = rules.map((r) => ({
      capability: r.capability,
      tests: [...(r.keywords ?? []).map(keywordRegex), ...(r.pattern === undefined ? [] : [new RegExp(r.pattern, r.flags.replace(/[gy]/g, ''))])],
    }));
  }

  get size(): number {
    return this.rules.length;
  }

  match(intent: string | undefined, message: unknown): IntentMatch | undefined {
    if (this.rules.length === 0) return undefined;
    const texts = intent === undefined ? [messageText(message)] : [intent, messageText(message)];
    for (const text of texts) {
      for (let i = 0; i < this.rules.length; i++) {
        const rule = this.rules[i]!;
        if (rule.tests.some((t) => t.test(text))) return { capability: rule.capability, rule: i };
      }
    }
    return undefined;
  }
}
