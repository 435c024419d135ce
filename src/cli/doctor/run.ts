/**
 * Runs the doctor checks in order and prints them: on a TTY a progress line shows the check being run and is
 * replaced by its results; otherwise plain lines only. `--json` prints one JSON document instead.
 * Exit code: 2 when a check fails, 1 when one warns and --strict is given, else 0.
 */
import { messageOf } from '../../errors.js';
import type { CheckResult, CheckStatus, DoctorCheck, DoctorContext } from './types.js';

export const DOCTOR_EXIT = { OK: 0, WARN: 1, FAIL: 2 } as const;

const MARK: Record<CheckStatus, string> = { ok: '✓', warn: '⚠', fail: '✗', skip: '–' };

export interface DoctorReport {
  checks: (CheckResult & { check: string })[];
  counts: Record<CheckStatus, number>;
}

export interface DoctorOutput {
  write(text: string): void;
  /** Show a transient progress line (TTY only). */
  progress?: (text: string | undefined) => void;
}

export async function runDoctor(
  checks: readonly DoctorCheck[],
  ctx: DoctorContext,
  out?: DoctorOutput,
): Promise<DoctorReport> {
  const report: DoctorReport = { checks: [], counts: { ok: 0, warn: 0, fail: 0, skip: 0 } };
  for (const check of checks) {
    out?.progress?.(check.title);
    let results: CheckResult[];
    const t0 = performance.now();
    try {
      results = await check.run(ctx);
    } catch (error) {
      results = [
        {
          status: 'fail',
          subject: check.title,
          detail: `the check itself failed: ${messageOf(error)}`,
          fix: 'report this with the output of doctor --json',
          ms: Math.round(performance.now() - t0),
        },
      ];
    }
    out?.progress?.(undefined);
    for (const r of results) {
      report.checks.push({ check: check.id, ...r });
      report.counts[r.status]++;
      out?.write(formatResult(r));
    }
  }
  return report;
}

export function formatResult(r: CheckResult): string {
  const time = r.ms === undefined ? '' : ` (${r.ms} ms)`;
  const lines = [`${MARK[r.status]} ${r.subject.padEnd(28)} ${r.detail}${time}`];
  if (r.fix !== undefined && (r.status === 'warn' || r.status === 'fail'))
    lines.push(`  ${' '.repeat(28)} fix: ${r.fix}`);
  return `${lines.join('\n')}\n`;
}

export function summary(r: DoctorReport): string {
  const c = r.counts;
  return `\n${c.ok} ok, ${c.warn} warning${c.warn === 1 ? '' : 's'}, ${c.fail} failed${c.skip ? `, ${c.skip} skipped` : ''}\n`;
}

export function exitCode(r: DoctorReport, strict: boolean): number {
  if (r.counts.fail > 0) return DOCTOR_EXIT.FAIL;
  if (strict && r.counts.warn > 0) return DOCTOR_EXIT.WARN;
  return DOCTOR_EXIT.OK;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * A progress line on a TTY: a spinner, the check being run and the seconds it has taken, rewritten in place, and
 * cleared before its results are printed.
 */
export function ttyProgress(
  stream: Pick<NodeJS.WriteStream, 'write'>,
  everyMs = 100,
): (text: string | undefined) => void {
  let timer: NodeJS.Timeout | undefined;
  return (text) => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
    if (text === undefined) {
      stream.write('\r\x1b[K');
      return;
    }
    const t0 = Date.now();
    let i = 0;
    const draw = () => {
      const s = ((Date.now() - t0) / 1000).toFixed(1);
      stream.write(`\r\x1b[K${FRAMES[i++ % FRAMES.length]} ${text} ${s}s`);
    };
    draw();
    timer = setInterval(draw, everyMs);
    timer.unref();
  };
}
