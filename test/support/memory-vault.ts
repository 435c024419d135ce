/**
 * The credential vault in memory, for unit tests: the contract of src/vault/types.ts and nothing more (its `data`
 * map is open, so a test can look at or damage what was stored).
 */
import type { SecretStore } from '../../src/vault/types.js';

export function memoryStore(): SecretStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    kind: 'file',
    where: 'memory',
    data,
    get: (n) => data.get(n),
    set: (n, v) => void data.set(n, v),
    delete: (n) => data.delete(n),
    list: () => [...data.keys()].sort(),
  };
}
