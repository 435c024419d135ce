/**
 * The poisoning scan results of unchanged tool lists, kept in `<home>/cache/poisoning.json` so that a warm start
 * does not load the scanner again. An entry is keyed by the tools' hashes and the neighbours' tool names (see
 * gate.ts scanKey), so any change to a definition is scanned afresh. The file is ours (mode 0600, written atomically);
 * a file that does not parse is ignored and rewritten, which only costs a scan.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Logger } from '../log.js';
import { SEVERITIES } from './findings.js';
import type { ScanCache } from './gate.js';
import type { PoisoningFinding } from './poisoning.js';

/** Lists kept; the oldest go first. */
const MAX_ENTRIES = 256;

const FindingSchema = z
  .object({
    ruleId: z.string(),
    severity: z.enum(SEVERITIES),
    tool: z.string(),
    kind: z.enum(['tool', 'prompt', 'resourceTemplate']),
    where: z.string(),
    message: z.string(),
    remediation: z.string(),
  })
  .passthrough();
const FileSchema = z.object({ version: z.literal(1), entries: z.array(z.tuple([z.string(), z.array(FindingSchema)])) });

export function createScanCache(file: string, log: Logger): ScanCache {
  let entries: Map<string, PoisoningFinding[]> | undefined;
  const load = (): Map<string, PoisoningFinding[]> => {
    try {
      const parsed = FileSchema.parse(JSON.parse(fs.readFileSync(file, 'utf8')));
      return new Map(parsed.entries as [string, PoisoningFinding[]][]);
    } catch {
      return new Map();
    }
  };
  return {
    get(key) {
      entries ??= load();
      return entries.get(key);
    },
    set(key, findings) {
      entries ??= load();
      entries.delete(key);
      entries.set(key, findings);
      while (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify({ version: 1, entries: [...entries] }), { mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch (error) {
        log.warn({ err: String(error) }, 'could not write the poisoning scan cache');
      }
    },
  };
}
