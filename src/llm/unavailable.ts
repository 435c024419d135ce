/**
 * What the AI proxy's config costs at start-up, in one set of words for `serve`'s log, `config validate` and
 * `doctor`: the providers left out because a reference in their settings does not resolve (config/load.ts's
 * `llmProblems`), with the deployments each one takes down and the fix, and the line that lists the proxy's routes.
 * Pure: it reads a loaded config and never a resolved value, so no key can reach a log through it.
 *
 * Failure mode: none of its own; a provider that is in the config but not among the resolved ones is reported as
 * unavailable even when no problem names it, so that a deployment that cannot work is never reported as fine.
 */
import { formatPath, formatProblem, referenceFix, type ConfigProblem, type LoadedConfig } from '../config/load.js';

export type LlmLoaded = Pick<LoadedConfig, 'config' | 'llm' | 'llmProblems'>;

/** A provider left out of the resolved `llm` section, and what that costs. */
export interface UnavailableLlmProvider {
  name: string;
  /** Its problems in file order, each with its JSON path; never a resolved value. */
  problems: ConfigProblem[];
  /** The deployments that name it as their provider: every request to them fails. */
  deployments: string[];
}

/** The AI proxy's endpoints, as `serve` mounts them (llm/proxy.ts isLlmPath). */
export const LLM_ROUTES = ['/v1/chat/completions', '/v1/messages', '/v1/embeddings', '/v1/models'] as const;

export function unavailableLlmProviders(loaded: LlmLoaded): UnavailableLlmProvider[] {
  const out: UnavailableLlmProvider[] = [];
  for (const name of Object.keys(loaded.config.llm.providers)) {
    if (Object.hasOwn(loaded.llm.providers, name)) continue;
    const prefix = formatPath(['llm', 'providers', name]);
    const problems = loaded.llmProblems.filter(
      (p) => p.path === prefix || p.path.startsWith(`${prefix}.`) || p.path.startsWith(`${prefix}[`),
    );
    out.push({
      name,
      problems: problems.length > 0 ? problems : [{ path: prefix, message: 'the provider could not be resolved' }],
      deployments: Object.entries(loaded.config.llm.deployments)
        .filter(([, d]) => d.provider === name)
        .map(([alias]) => alias),
    });
  }
  return out;
}

/** One line: `AI provider "x" is unavailable (deployments a, b fail): at llm.providers.x.apiKey: …`. */
export function describeUnavailableLlmProvider(u: UnavailableLlmProvider): string {
  const cost =
    u.deployments.length === 0
      ? 'no deployment uses it'
      : `deployment${u.deployments.length === 1 ? '' : 's'} ${u.deployments.join(', ')} fail${u.deployments.length === 1 ? 's' : ''}`;
  return `AI provider "${u.name}" is unavailable (${cost}): ${u.problems.map(formatProblem).join('; ')}`;
}

/**
 * What to do about one problem of an AI provider: an unresolvable reference gets load.ts's fix (secrets set, the
 * variable, the file); a value that resolved to something unusable is corrected at its path.
 */
export function llmProblemFix(p: ConfigProblem): string {
  if (/referenced as \$\{|credential vault|is not in the vault|reference/.test(p.message)) return referenceFix(p);
  if (/empty once resolved/.test(p.message)) return `put the key in what ${p.path} refers to (it is empty)`;
  return `correct ${p.path}`;
}

/** One line of `serve`'s start-up log; fields never hold a resolved value. */
export interface LlmStartupLine {
  level: 'error' | 'info';
  fields: Record<string, unknown>;
  msg: string;
}

/** What `serve` logs at start about the AI proxy: each unavailable provider as an error, then its routes. */
export function llmStartupLines(loaded: LlmLoaded): LlmStartupLine[] {
  const lines: LlmStartupLine[] = unavailableLlmProviders(loaded).map((u) => ({
    level: 'error',
    fields: { provider: u.name, deployments: u.deployments, paths: u.problems.map((p) => p.path) },
    msg: describeUnavailableLlmProvider(u),
  }));
  const routes = llmRoutesLine(loaded);
  if (routes !== undefined)
    lines.push({
      level: 'info',
      fields: { routes: [...LLM_ROUTES], deployments: Object.keys(loaded.config.llm.deployments) },
      msg: routes,
    });
  return lines;
}

/** The start-up line that says where the AI proxy answers, or undefined when llm has no deployments. */
export function llmRoutesLine(loaded: Pick<LoadedConfig, 'config'>): string | undefined {
  const deployments = Object.keys(loaded.config.llm.deployments);
  if (deployments.length === 0) return undefined;
  return `AI proxy: ${LLM_ROUTES.join(', ')}; deployments: ${deployments.join(', ')}`;
}

/**
 * `config validate`'s lines for the AI proxy: each deployment after the servers (`llm: provider/model`), and a
 * warning with its fixes for each unavailable provider, in the words of the servers' (the config is valid; those
 * deployments fail).
 */
export function llmValidateLines(loaded: LlmLoaded): { listing: string[]; warnings: string[] } {
  const unavailable = unavailableLlmProviders(loaded);
  const down = new Set(unavailable.map((u) => u.name));
  const listing = Object.entries(loaded.config.llm.deployments).map(
    ([alias, d]) =>
      `  ${alias.padEnd(20)} llm: ${d.provider}/${d.model}${down.has(d.provider) ? ', unavailable (see below)' : ''}`,
  );
  const warnings = unavailable.flatMap((u) => [
    `⚠ ${describeUnavailableLlmProvider(u)}`,
    ...[...new Set(u.problems.map(llmProblemFix))].map((fix) => `  fix: ${fix}`),
  ]);
  return { listing, warnings };
}
