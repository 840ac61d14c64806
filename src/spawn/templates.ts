import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../config-error.js';

/** How to start one kind of worker. Only the daemon's configuration defines these, never a client. */
export const AgentTemplate = z.strictObject({
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** Replace a worker that exits unexpectedly. */
  restart: z.enum(['on-failure', 'never']).default('on-failure'),
});
export type AgentTemplate = z.infer<typeof AgentTemplate>;

const TemplatesFile = z.record(z.string().min(1).max(128), AgentTemplate);

const builtIns = new WeakSet<AgentTemplate>();

/** Whether a template is one the package ships (not one from COORDD_AGENT_TEMPLATES). */
export function isBuiltIn(template: AgentTemplate): boolean {
  return builtIns.has(template);
}

/** The built-in `echo` template: the reference worker shipped in the package. */
export function echoTemplate(): AgentTemplate {
  const here = fileURLToPath(import.meta.url);
  // From dist/ run the compiled worker; from src/ (tests under tsx) run the TypeScript one through tsx.
  const fromSource = here.endsWith('.ts');
  const worker = fileURLToPath(new URL(`../workers/echo-worker.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  const template: AgentTemplate = { command: process.execPath, args: fromSource ? ['--import', 'tsx', worker] : [worker], env: {}, restart: 'on-failure' };
  builtIns.add(template);
  return template;
}

/** Built-in templates plus those of COORDD_AGENT_TEMPLATES (a file's entry replaces a built-in of the same name). */
export function loadTemplates(file: string | undefined): Map<string, AgentTemplate> {
  const templates = new Map<string, AgentTemplate>([['echo', echoTemplate()]]);
  if (!file) return templates;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`COORDD_AGENT_TEMPLATES: cannot read ${file} as JSON (${(err as Error).message})`);
  }
  const parsed = TemplatesFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`COORDD_AGENT_TEMPLATES: ${issue.path.join('.') || 'file'}: ${issue.message}`);
  }
  for (const [name, t] of Object.entries(parsed.data)) templates.set(name, t);
  return templates;
}
