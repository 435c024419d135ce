/**
 * doctor: each guardrail provider answers and accepts its key: one real scan of a harmless text, no retries, a
 * short deadline (the provider's own timeoutMs, at most 5 s). A local model is loaded the way `config validate` does.
 */
import { messageOf } from '../../../errors.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const MAX_MS = 5000;

export const providersCheck: DoctorCheck = {
  id: 'providers',
  title: 'guardrail providers',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [{ status: 'skip', subject: 'providers', detail: 'the config does not load (see above)' }];
    const entries = Object.entries(l.loaded.providers);
    if (entries.length === 0)
      return [{ status: 'ok', subject: 'providers', detail: 'none configured (local detectors only)' }];
    const { createProvider, closeProviderPool } = await import('../../../guardrails/providers/index.js');
    const out: CheckResult[] = [];
    for (const [name, cfg] of entries) {
      const subject = `provider ${name}`;
      const t0 = performance.now();
      const ms = () => Math.round(performance.now() - t0);
      if (cfg.type === 'onnx') {
        try {
          const { checkOnnxProviders } = await import('../../../guardrails/providers/onnx.js');
          const summary = (await checkOnnxProviders(l.loaded.file, { [name]: cfg })).get(name) ?? 'loaded';
          out.push({ status: 'ok', subject, detail: `onnx: ${summary}`, ms: ms() });
        } catch (error) {
          out.push({
            status: 'fail',
            subject,
            detail: messageOf(error),
            fix: 'see docs/guardrails.md: local models',
            ms: ms(),
          });
        }
        continue;
      }
      const timeoutMs = Math.min(cfg.timeoutMs ?? 3000, MAX_MS);
      try {
        const detector = createProvider(name, { ...cfg, timeoutMs, retries: 0, failOpen: false, cacheSize: 0 });
        await detector.scan(
          'secure-mcp-gateway doctor: connectivity check',
          'input',
          AbortSignal.timeout(timeoutMs + 500),
        );
        out.push({ status: 'ok', subject, detail: 'reachable, key accepted', ms: ms() });
      } catch (error) {
        const msg = messageOf(error);
        const rejected = /\b(401|403)\b/.test(msg);
        out.push({
          status: 'fail',
          subject,
          detail: rejected ? `the API key was rejected: ${msg}` : `unreachable: ${msg}`,
          fix: rejected
            ? `check the key that providers.${name} refers to`
            : `check providers.${name}.url and the network (proxy, firewall); a failing provider blocks every call it scans`,
          ms: ms(),
        });
      }
    }
    await closeProviderPool();
    return out;
  },
};
