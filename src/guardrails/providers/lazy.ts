/**
 * A provider that loads its implementation (undici and the adapters, or the local model provider, which in turn
 * loads onnxruntime-node and the model) on its first scan, so that a gateway whose policies name no provider, or
 * that has not called one yet, starts without them.
 */
import type { AsyncDetector } from '../types.js';
import type { ProviderConfig } from './schema.js';

export function lazyProvider(name: string, cfg: ProviderConfig, onFailure?: (message: string) => void): AsyncDetector {
  let real: Promise<AsyncDetector> | undefined;
  return {
    id: name,
    async scan(text, where, signal) {
      real ??= import('./index.js').then((m) => m.createProvider(name, cfg, onFailure ? { onFailure } : undefined));
      return (await real).scan(text, where, signal);
    },
  };
}
