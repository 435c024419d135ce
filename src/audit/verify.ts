/**
 * `audit verify`: walks every file of the log in chain order and checks each record's own hash, its link to the
 * record before it (`prev`) and its seq, then compares the end of the log with the checkpoint. It reports the first
 * broken link with its file and line. A torn line (a crash mid-write) passes only when the writer's next record is
 * the `audit.recovered` record that names exactly that line and its SHA-256; a torn line at the very end of the log
 * (no restart since the crash) passes with a warning. Reads only; never repairs.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createChain, GENESIS, unseal, type ChainAlg } from './chain.js';
import { logFiles, readCheckpoint } from './files.js';

export interface Broken {
  file: string;
  line: number;
  seq?: number;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  files: string[];
  records: number;
  lastSeq: number;
  alg?: ChainAlg;
  broken?: Broken;
  warnings: string[];
}

export interface VerifyOptions {
  /** The HMAC key of a keyed chain. */
  key?: string | undefined;
}

/** Splits a file into its lines as bytes (a torn line's SHA-256 is over its exact bytes). */
function* lines(buf: Buffer): Generator<Buffer> {
  let start = 0;
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    yield buf.subarray(start, nl);
    start = nl + 1;
  }
  if (start < buf.length) yield buf.subarray(start);
}

export function verifyLog(current: string, opts: VerifyOptions = {}): VerifyReport {
  const lf = logFiles(current);
  const files = lf.all();
  const plain = createChain();
  const keyed = opts.key ? createChain(opts.key) : undefined;
  const warnings: string[] = [];
  const checkpoint = readCheckpoint(lf.head);
  let prev = GENESIS;
  let seq = 0;
  let records = 0;
  let alg: ChainAlg | undefined;
  let checkpointHash: string | undefined;
  let torn: { file: string; line: number; sha256: string; problem: string } | undefined;
  const report = (broken: Broken): VerifyReport => ({
    ok: false,
    files,
    records,
    lastSeq: seq,
    ...(alg ? { alg } : {}),
    broken,
    warnings,
  });

  for (const file of files) {
    const name = path.basename(file);
    let n = 0;
    for (const raw of lines(fs.readFileSync(file))) {
      n++;
      const text = raw.toString('utf8');
      const u = unseal(plain, text);
      if (!u.ok) {
        if (torn) return report({ file: torn.file, line: torn.line, problem: torn.problem });
        torn = {
          file: name,
          line: n,
          sha256: crypto.createHash('sha256').update(raw).digest('hex'),
          problem: `unreadable record (${u.problem}) that no audit.recovered record accounts for`,
        };
        continue;
      }
      const r = u.record;
      if (torn) {
        const t = r.torn as { file?: unknown; line?: unknown; sha256?: unknown } | undefined;
        if (r.kind !== 'audit.recovered' || t?.file !== torn.file || t.line !== torn.line || t.sha256 !== torn.sha256)
          return report({ file: torn.file, line: torn.line, problem: torn.problem });
        warnings.push(
          `${torn.file}:${torn.line}: a torn record (crash while writing), skipped as recorded at seq ${r.seq}`,
        );
        torn = undefined;
      }
      let computed = u.computed;
      if (r.alg === 'hmac-sha256') {
        if (!keyed)
          return report({
            file: name,
            line: n,
            seq: r.seq,
            problem: 'the chain is keyed (hmac-sha256): give the key (audit.hmacKey in the config)',
          });
        computed = keyed.digest(u.head);
      } else if (r.alg !== 'sha256')
        return report({ file: name, line: n, seq: r.seq, problem: `unknown alg "${String(r.alg)}"` });
      alg ??= r.alg;
      if (computed !== u.hash)
        return report({
          file: name,
          line: n,
          seq: r.seq,
          problem: 'the record was altered: its hash does not match its content',
        });
      if (u.prev !== prev || r.seq !== seq + 1) {
        const what =
          seq === 0 && records === 0
            ? `the chain starts at seq ${r.seq}, not at the first record (earlier records or files are missing)`
            : r.seq <= seq
              ? `seq ${r.seq} after seq ${seq}: records were reordered or repeated`
              : r.seq > seq + 1
                ? `seq ${r.seq} after seq ${seq}: ${r.seq - seq - 1} record(s) missing before this one`
                : 'prev does not match the hash of the record before it: a record before this one was replaced';
        return report({ file: name, line: n, seq: r.seq, problem: what });
      }
      prev = u.hash;
      seq = r.seq;
      records++;
      if (checkpoint && r.seq === checkpoint.seq) checkpointHash = u.hash;
    }
  }
  if (torn) {
    const lastFile = files.length ? path.basename(files[files.length - 1]!) : '';
    if (torn.file !== lastFile) return report({ file: torn.file, line: torn.line, problem: torn.problem });
    warnings.push(
      `${torn.file}:${torn.line}: the log ends in a torn record (a crash while writing, not yet recovered)`,
    );
  }
  const lastName = files.length ? path.basename(files[files.length - 1]!) : path.basename(current);
  if (!checkpoint) {
    if (records > 0) warnings.push(`no checkpoint (${path.basename(lf.head)}): the end of the log cannot be checked`);
  } else if (checkpoint.seq > seq)
    return report({
      file: lastName,
      line: 0,
      problem: `the log ends at seq ${seq} but the checkpoint says seq ${checkpoint.seq} was written: records were removed from the end`,
    });
  else if (checkpointHash !== checkpoint.hash)
    return report({
      file: checkpoint.file,
      line: 0,
      seq: checkpoint.seq,
      problem: `the record at seq ${checkpoint.seq} is not the one the checkpoint recorded`,
    });
  return { ok: true, files, records, lastSeq: seq, ...(alg ? { alg } : {}), warnings };
}
