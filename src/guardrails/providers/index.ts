/**
 * Guardrail providers, remote (HTTP APIs) and local (an ONNX model): the config contract (a zod union on `type`,
 * meant to be embedded by the config module as `"providers": { "<name>": {...} }`) and the one factory that turns
 * an entry into an AsyncDetector. Strings may hold `${env:NAME}` / `${file:PATH}` references: the config module
 * validates before it resolves them, so a URL with a reference is checked again when the provider is created.
 */
import type { AsyncDetector } from '../types.js';
import type { ProviderHooks } from './client.js';
import { createEnkryptProvider } from './enkrypt.js';
import { createHttpProvider } from './http.js';
import { createOnnxProvider } from './onnx.js';
import { createOpenAIModerationProvider } from './openai-moderation.js';
import type { ProviderConfig } from './schema.js';

export * from './schema.js';

export { closeProviderPool, type ProviderHooks } from './client.js';

/** `name` is the entry's key under "providers". Check a URL that held a reference once it is resolved. */
export function createProvider(name: string, cfg: ProviderConfig, hooks?: ProviderHooks): AsyncDetector {
  switch (cfg.type) {
    case 'http': {
      const { type: _type, ...rest } = cfg;
      return createHttpProvider({ ...rest, name }, hooks);
    }
    case 'enkrypt': {
      const { type: _type, ...rest } = cfg;
      return createEnkryptProvider({ ...rest, name }, hooks);
    }
    case 'openai-moderation': {
      const { type: _type, ...rest } = cfg;
      return createOpenAIModerationProvider({ ...rest, name }, hooks);
    }
    case 'onnx':
      return createOnnxProvider({ ...cfg, name }, hooks);
  }
}
