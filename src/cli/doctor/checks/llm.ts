/**
 * doctor: the Secure AI Proxy (issue 20). Skipped (ok) when llm has no deployments. Otherwise, per provider: its
 * references resolve (else load.ts's problems with their paths and the fix, as for servers: a warning, since it
 * costs its deployments only), a plain-http baseUrl to another host is a warning (the key would travel in clear),
 * and one GET of the provider's model list with its key and a 3 s deadline says whether it is reachable and takes
 * the key. Per deployment: its provider usable, its policies, and the roles that may ask for it. Then a warning when
 * no role may use any deployment, or when there are no users (serve refuses every request).
 *
 * Never prints a key: the probe's answer body is discarded unread (a provider's 401 may echo the key it was given),
 * and URLs are shown as written in the config, before their references are resolved.
 * Failure mode: a probe that throws or times out is a ✗ "unreachable" line for that provider; the others still run.
 */
import { Agent, request } from 'undici';
import { formatPath } from '../../../config/load.js';
import { hasRef } from '../../../config/refs.js';
import { identitiesConfigured } from '../../../identity/access.js';
import { ANTHROPIC_VERSION } from '../../../llm/anthropic-format.js';
import type { LlmProviderKind } from '../../../llm/config-schema.js';
import type { ResolvedLlmProvider } from '../../../llm/providers.js';
import { describeUnavailableLlmProvider, llmProblemFix, unavailableLlmProviders } from '../../../llm/unavailable.js';
import { createNameMatcher } from '../../../policy/glob.js';
import type { CheckResult, DoctorCheck } from '../types.js';

/** Long enough for a provider across an ocean, short enough that doctor does not hang on a dropped packet. */
export const PROBE_TIMEOUT_MS = 3000;

const DEFAULT_BASE: Partial<Record<LlmProviderKind, string>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

export type ProbeOutcome =
  { kind: 'ok'; models?: number } | { kind: 'status'; status: number } | { kind: 'unreachable'; reason: string };

/** The URL that lists the provider's models: the cheapest request that needs the key. */
export function modelsUrl(p: ResolvedLlmProvider): string {
  const base = (p.baseUrl ?? DEFAULT_BASE[p.kind] ?? '').replace(/\/+$/, '');
  if (p.kind === 'azure-openai') return `${base}/openai/models?api-version=${encodeURIComponent(p.apiVersion ?? '')}`;
  if (p.kind === 'anthropic') return `${base}/v1/models`;
  return `${base}/models`;
}

/** The provider's auth headers, as llm/providers.ts sends them, with its extra headers. */
function probeHeaders(p: ResolvedLlmProvider): Record<string, string> {
  const h: Record<string, string> = { ...p.headers, accept: 'application/json' };
  if (p.kind === 'anthropic') {
    h['anthropic-version'] = ANTHROPIC_VERSION;
    if (p.apiKey !== undefined) h['x-api-key'] = p.apiKey;
  } else if (p.kind === 'azure-openai') {
    if (p.apiKey !== undefined) h['api-key'] = p.apiKey;
  } else if (p.apiKey !== undefined && p.apiKey !== '') h.authorization = `Bearer ${p.apiKey}`;
  return h;
}

export async function probeLlmProvider(p: ResolvedLlmProvider, timeoutMs = PROBE_TIMEOUT_MS): Promise<ProbeOutcome> {
  const agent = new Agent({ connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  try {
    const res = await request(modelsUrl(p), {
      method: 'GET',
      headers: probeHeaders(p),
      dispatcher: agent,
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      // Unread on purpose: a provider's error may echo the key.
      res.body.on('error', () => undefined);
      res.body.destroy();
      return { kind: 'status', status: res.statusCode };
    }
    const body = (await res.body.json().catch(() => undefined)) as { data?: unknown } | undefined;
    return Array.isArray(body?.data) ? { kind: 'ok', models: body.data.length } : { kind: 'ok' };
  } catch (error) {
    const e = error as { name?: unknown; code?: unknown };
    const reason =
      e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(String(e.code))
        ? `no answer within ${timeoutMs} ms`
        : typeof e.code === 'string'
          ? e.code
          : 'connection failed';
    return { kind: 'unreachable', reason };
  } finally {
    await agent.close().catch(() => undefined);
  }
}

/** A provider's field as config validate names it: `llm.providers["my-openai"].apiKey`. */
const at = (name: string, field: string): string => formatPath(['llm', 'providers', name, field]);

/** A host whose traffic never leaves this machine: plain http to it exposes no key. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** The host a plain-http URL sends the key to, unless it is this machine. */
export function plainHttpHost(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && !isLoopbackHost(u.hostname) ? u.hostname : undefined;
  } catch {
    return undefined;
  }
}

function probeResult(name: string, shown: string, outcome: ProbeOutcome, ms: number): CheckResult {
  const subject = `AI provider ${name}`;
  const keyAt = at(name, 'apiKey');
  if (outcome.kind === 'ok')
    return {
      status: 'ok',
      subject,
      detail: `${shown} reachable, key accepted${outcome.models === undefined ? '' : ` (${outcome.models} models listed)`}`,
      ms,
    };
  if (outcome.kind === 'unreachable')
    return {
      status: 'fail',
      subject,
      detail: `${shown} unreachable: ${outcome.reason}`,
      fix: `check ${at(name, 'baseUrl')} and the network (proxy, firewall); every request to its deployments fails`,
      ms,
    };
  const s = outcome.status;
  if (s === 401 || s === 403)
    return {
      status: 'fail',
      subject,
      detail: `${shown} refuses the key (HTTP ${s})`,
      fix: `check the key that ${keyAt} refers to (a new key from the provider's console, then set it where the reference points)`,
      ms,
    };
  if (s === 404 || s === 405)
    return {
      status: 'warn',
      subject,
      detail: `${shown} is reachable but does not list models (HTTP ${s}), so the key was not checked`,
      fix: `check ${at(name, 'baseUrl')} (an OpenAI base usually ends in /v1); a server without a model list is fine`,
      ms,
    };
  if (s === 429)
    return {
      status: 'warn',
      subject,
      detail: `${shown} is rate-limiting this key now (HTTP 429)`,
      fix: 'wait, or check the quota of the key with the provider',
      ms,
    };
  return {
    status: 'fail',
    subject,
    detail: `${shown} answered HTTP ${s}`,
    fix: `check ${at(name, 'baseUrl')} and the provider's status page`,
    ms,
  };
}

export const llmCheck: DoctorCheck = {
  id: 'llm',
  title: 'AI proxy',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [{ status: 'skip', subject: 'AI proxy', detail: 'the config does not load (see above)' }];
    const loaded = l.loaded;
    const { config } = loaded;
    const deployments = Object.entries(config.llm.deployments);
    if (deployments.length === 0) return [{ status: 'ok', subject: 'AI proxy', detail: 'no deployments (off)' }];
    const out: CheckResult[] = [];

    // Providers: unresolved ones first in config order, then the probes, all at once.
    const unavailable = new Map(unavailableLlmProviders(loaded).map((u) => [u.name, u]));
    const usable = new Set<string>();
    const probes = Object.keys(config.llm.providers).map(async (name): Promise<CheckResult[]> => {
      const raw = config.llm.providers[name]!;
      const subject = `AI provider ${name}`;
      const u = unavailable.get(name);
      if (u !== undefined)
        return u.problems.map((p) => ({
          status: 'warn',
          subject,
          detail: describeUnavailableLlmProvider({ ...u, problems: [p] }),
          fix: llmProblemFix(p),
        }));
      const resolved = loaded.llm.providers[name]!;
      const results: CheckResult[] = [];
      // As written in the config: the resolved URL may carry a secret.
      const shown = raw.baseUrl ?? DEFAULT_BASE[raw.kind] ?? '(no baseUrl)';
      const host = plainHttpHost(resolved.baseUrl);
      if (host !== undefined)
        results.push({
          status: 'warn',
          subject,
          detail: `${shown} is plain http to ${host}: the key and every prompt travel in clear`,
          fix: `use https in ${at(name, 'baseUrl')}, or reach the provider through a loopback tunnel`,
        });
      if (raw.apiKey !== undefined && raw.apiKey !== '' && !hasRef(raw.apiKey))
        results.push({
          status: 'warn',
          subject,
          detail: `${at(name, 'apiKey')} is written in the config itself`,
          fix: `keep it out of the file: secure-mcp-gateway secrets set NAME, then "apiKey": "\${keychain:NAME}" (or \${env:…})`,
        });
      const t0 = performance.now();
      // A provider that must answer faster than the probe's deadline is held to its own.
      const outcome = await probeLlmProvider(resolved, Math.min(resolved.timeoutMs, PROBE_TIMEOUT_MS));
      const r = probeResult(name, shown, outcome, Math.round(performance.now() - t0));
      if (r.status !== 'fail') usable.add(name);
      results.push(r);
      return results;
    });
    for (const results of await Promise.all(probes)) out.push(...results);

    // Deployments: where each goes, under which policies, and who may ask for it.
    const roles = Object.entries(config.roles).map(([role, r]) => ({ role, allows: createNameMatcher(r.deployments) }));
    let anyAllowed = false;
    for (const [alias, d] of deployments) {
      const who = roles.filter((r) => r.allows(alias)).map((r) => r.role);
      if (who.length > 0) anyAllowed = true;
      const fallbackOf = deployments.filter(([, o]) => o.fallbacks.includes(alias)).map(([a]) => a);
      const access =
        who.length > 0
          ? `roles: ${who.join(', ')}`
          : fallbackOf.length > 0
            ? `no role may ask for it (a fallback of ${fallbackOf.join(', ')})`
            : 'no role may ask for it';
      const policies = `input policy ${d.input ?? config.defaultPolicy}, output policy ${d.output ?? config.defaultPolicy}`;
      const detail = `${d.provider}/${d.model}; ${policies}; ${access}`;
      const subject = `deployment ${alias}`;
      if (unavailable.has(d.provider))
        out.push({
          status: 'warn',
          subject,
          detail: `${detail}; its provider is unavailable, so every request to it fails`,
          fix: `see AI provider ${d.provider} above`,
        });
      else if (!usable.has(d.provider))
        out.push({
          status: 'warn',
          subject,
          detail: `${detail}; its provider failed its check`,
          fix: `see AI provider ${d.provider} above`,
        });
      else out.push({ status: 'ok', subject, detail });
    }

    if (!anyAllowed)
      out.push({
        status: 'warn',
        subject: 'AI proxy access',
        detail: 'no role may use any deployment, so the AI proxy refuses everyone (403)',
        fix: 'add deployment globs to a role, for example roles.dev.deployments: ["gpt-*"]',
      });
    if (!identitiesConfigured(config))
      out.push({
        status: 'warn',
        subject: 'AI proxy access',
        detail: 'llm has deployments but the config has no users, so serve refuses every request',
        fix: 'secure-mcp-gateway user add EMAIL, member add --project P --user EMAIL --role R, then keys create',
      });
    return out;
  },
};
