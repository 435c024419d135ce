/**
 * Size limits, the first input guardrail and the first output guardrail. They measure the UTF-8 JSON size of a
 * call's arguments and of a whole tool result (every content part and structuredContent), because an oversized
 * payload is how a sponge attack or an exfiltration dump looks before any detector reads it. Fail mode: closed
 * (a value that cannot be serialised is denied by the runner).
 */
import type { RequestStage, ResponseStage } from '../pipeline/types.js';

export interface SizeLimitOptions {
  maxBytes: number;
  mode?: 'enforce' | 'shadow';
}

export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function createArgumentSizeStage(opts: SizeLimitOptions): RequestStage {
  return {
    name: 'size',
    slot: 'input-guardrail',
    mode: opts.mode ?? 'enforce',
    check(call) {
      const size = jsonBytes(call.arguments);
      return size <= opts.maxBytes
        ? { action: 'allow' }
        : {
            action: 'deny',
            ruleId: 'size.max-argument-bytes',
            reason: `arguments are ${formatBytes(size)}; the limit is ${formatBytes(opts.maxBytes)}`,
          };
    },
  };
}

export function createResultSizeStage(opts: SizeLimitOptions): ResponseStage {
  return {
    name: 'size',
    slot: 'output-guardrail',
    mode: opts.mode ?? 'enforce',
    check(result) {
      const size = jsonBytes(result);
      return size <= opts.maxBytes
        ? { action: 'allow' }
        : {
            action: 'deny',
            ruleId: 'size.max-result-bytes',
            reason: `the tool result is ${formatBytes(size)}; the limit is ${formatBytes(opts.maxBytes)}`,
          };
    },
  };
}
