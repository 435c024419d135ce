/**
 * The `llm` section with its secret references resolved, ready for createLlmProvider: each provider's apiKey,
 * baseUrl and header values go through the caller's resolver (config/load.ts's, which also collects the resolved
 * secrets for log redaction), and a baseUrl is checked again once resolved. Pure: the resolver does the I/O.
 * Failure mode: every problem is reported with its JSON path from the config root through `problem`, and the
 * provider is left out, so that a deployment on it fails closed ("no provider") instead of calling with an empty key.
 */
import { baseUrlProblem, type LlmConfig } from './config-schema.js';
import type { ResolvedLlmProvider } from './providers.js';

export type ConfigPath = (string | number)[];

export interface ResolvedLlmConfig {
  providers: Record<string, ResolvedLlmProvider & { timeoutMs: number }>;
  deployments: LlmConfig['deployments'];
  prices: LlmConfig['prices'];
  limits: LlmConfig['limits'];
}

export function resolveLlmConfig(
  llm: LlmConfig,
  resolve: (value: string, where: ConfigPath) => string,
  problem: (where: ConfigPath, message: string) => void,
): ResolvedLlmConfig {
  const providers: ResolvedLlmConfig['providers'] = {};
  for (const [name, p] of Object.entries(llm.providers)) {
    const at = (...rest: ConfigPath): ConfigPath => ['llm', 'providers', name, ...rest];
    let ok = true;
    const out: ResolvedLlmProvider & { timeoutMs: number } = { ...p };
    if (p.apiKey !== undefined) {
      out.apiKey = resolve(p.apiKey, at('apiKey'));
      if (out.apiKey.trim() === '' && p.kind !== 'openai-compatible') {
        problem(at('apiKey'), 'the API key is empty once resolved');
        ok = false;
      }
    }
    if (p.baseUrl !== undefined) {
      out.baseUrl = resolve(p.baseUrl, at('baseUrl'));
      const bad = baseUrlProblem(out.baseUrl);
      if (bad !== undefined) {
        // The resolved value may hold a secret (a token in the path): name the reference, not its value.
        problem(
          at('baseUrl'),
          p.baseUrl === out.baseUrl ? bad : `the resolved URL is not an http(s) base URL (${p.baseUrl})`,
        );
        ok = false;
      }
    }
    if (p.headers !== undefined)
      out.headers = Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k, resolve(v, at('headers', k))]));
    if (ok) providers[name] = out;
  }
  return { providers, deployments: llm.deployments, prices: llm.prices, limits: llm.limits };
}
