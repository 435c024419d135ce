/**
 * doctor: the audit log. Where it is (audit/setup.ts `auditLocation`, as `start` resolves it), whether the gateway
 * can write there, and whether its hash chain verifies (audit/verify.ts, what `audit verify` runs, with the same
 * key: SMG_AUDIT_KEY or audit.hmacKey). Writability is tested without touching the chain: an existing log is
 * opened for appending and closed, else the nearest existing folder on its path must be a writable folder (the
 * writer creates the rest). A broken chain is ✗ with the file and line of the first broken link.
 *
 * Audit disabled is ⚠, not ✓: it is on by default, and with it off there is no record of what any tool was asked
 * or answered; `--strict` therefore fails on it, which is what a compliance check wants.
 */
import fs from 'node:fs';
import path from 'node:path';
import { auditLocation } from '../../../audit/setup.js';
import { verifyLog } from '../../../audit/verify.js';
import { messageOf } from '../../../errors.js';
import { plural } from '../../../util/plural.js';
import type { CheckResult, DoctorCheck } from '../types.js';

/** Why the gateway could not write `file`, or undefined when it can. Writes nothing. */
function unwritable(file: string): string | undefined {
  if (fs.existsSync(file))
    try {
      fs.closeSync(fs.openSync(file, 'a'));
      return undefined;
    } catch (error) {
      return `${file} cannot be opened for writing: ${messageOf(error)}`;
    }
  let dir = path.dirname(file);
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    if (!fs.statSync(dir).isDirectory()) return `${dir} is not a folder, so ${file} cannot be created`;
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
    return undefined;
  } catch (error) {
    return `${file} cannot be created in ${dir}: ${messageOf(error)}`;
  }
}

export const auditCheck: DoctorCheck = {
  id: 'audit',
  title: 'audit log',
  run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l)) return [{ status: 'skip', subject: 'audit', detail: 'the config does not load (see above)' }];
    const audit = l.loaded.config.audit;
    if (!audit.enabled)
      return [
        {
          status: 'warn',
          subject: 'audit',
          detail: 'the audit log is disabled (audit.enabled: false): tool calls leave no record',
          fix: 'remove "enabled": false from "audit" in the config, unless no record is wanted',
        },
      ];
    let loc: { file: string; key?: string };
    try {
      loc = auditLocation(l.loaded, ctx.paths, ctx.env);
    } catch (error) {
      return [
        {
          status: 'fail',
          subject: 'audit',
          detail: messageOf(error).replace(/\s*\n\s*/g, ' '),
          fix: 'make audit.hmacKey a ${file:PATH} or ${env:NAME} reference to a key of 16 characters or more',
        },
      ];
    }
    const out: CheckResult[] = [];
    const file = loc.file;
    const problem = unwritable(file);
    if (problem)
      out.push({
        status: 'fail',
        subject: 'audit',
        detail: problem,
        fix: audit.required
          ? 'fix the path or its permissions: with audit.required every call is blocked until the log can be written'
          : 'fix the path or its permissions (audit.path): until then calls run unaudited',
      });
    const key = ctx.env.SMG_AUDIT_KEY ?? loc.key;
    let r: ReturnType<typeof verifyLog>;
    try {
      r = verifyLog(file, key ? { key } : {});
    } catch (error) {
      out.push({
        status: 'fail',
        subject: 'audit chain',
        detail: `${file} cannot be read: ${messageOf(error)}`,
        fix: `check the permissions of ${path.dirname(file)}`,
      });
      return out;
    }
    if (!r.ok) {
      const b = r.broken!;
      out.push({
        status: 'fail',
        subject: 'audit chain',
        detail: `broken at ${path.join(path.dirname(file), b.file)}:${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}: ${b.problem} (${r.records} records verify before it)`,
        fix: /give the key/.test(b.problem)
          ? 'set audit.hmacKey in the config (or SMG_AUDIT_KEY here) to the key the log was written with'
          : key !== undefined && /was altered/.test(b.problem)
            ? 'check that audit.hmacKey (or SMG_AUDIT_KEY) is the key the log was written with; if it is, the record was changed: keep the files as evidence'
            : `keep the files as evidence (secure-mcp-gateway audit verify shows the same); moving ${path.basename(file)} and its siblings aside starts a new chain`,
      });
      return out;
    }
    if (!problem)
      out.push({
        status: 'ok',
        subject: 'audit',
        detail:
          r.records === 0
            ? `${file}: writable, no records yet`
            : `${file}: writable, ${plural(r.records, 'record')} in ${plural(r.files.length, 'file')}, chain verifies (seq 1..${r.lastSeq}, ${r.alg})`,
      });
    for (const w of r.warnings)
      out.push({
        status: 'warn',
        subject: 'audit chain',
        detail: w,
        fix: 'start the gateway once: it closes a torn record and writes the checkpoint',
      });
    return out;
  },
};
