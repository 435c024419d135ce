/**
 * `npm run attack-suite`: the attack scoreboard (test/attack/suite.ts) through the real built gateway with its
 * default policy. Prints, per category, the dev cases blocked / total and, beside them, the held-out ones (cases
 * written without reading the detectors' rules and never used to tune them), then the false blocks on the benign
 * set; `--json` prints the whole board, `--verbose` every miss. Exits 1 when a target is missed (100% of the dev
 * cases per category, injection ≥ 95%, no false blocks), so it can gate a release. Held-out figures are reported,
 * not gated here (test/e2e/attack-suite.e2e.test.ts holds them to a floor). A dev miss or false block listed in
 * KNOWN_GAPS (a hole reported, not yet fixed) is printed as such and does not fail the run.
 */
import { KNOWN_GAPS } from '../test/attack/mediation.js';
import { runAttackSuite } from '../test/attack/suite.js';

const json = process.argv.includes('--json');
const verbose = process.argv.includes('--verbose');
const { board } = await runAttackSuite();

// The held-out injections (a category of their own since issue 9) are reported, not gated.
const HELD_OUT = 'injection in results, held out';
const target = (category: string) => (category.startsWith('injection in results') ? 0.95 : 1);
const known = (miss: string) => Object.keys(KNOWN_GAPS).some((name) => miss.startsWith(`${name}: `));
const pct = (n: number, d: number) => (d ? `${Math.round((n / d) * 100)}%` : '-');
let missed = false;
if (json) process.stdout.write(JSON.stringify(board, null, 2) + '\n');
else {
  const pad = (s: string, n: number) => s.padEnd(n);
  const out = (s: string) => process.stdout.write(s + '\n');
  out(`${pad('category', 32)} ${pad('dev', 9)} ${pad('held-out', 13)} target (dev)`);
  let hb = 0;
  let ht = 0;
  for (const row of board.rows) {
    const gated = row.category !== HELD_OUT;
    const unknownMisses = row.misses.filter((m) => !known(m));
    const rate = row.total ? (row.blocked + (row.misses.length - unknownMisses.length)) / row.total : 1;
    const met = rate >= target(row.category);
    if (gated) missed ||= !met;
    const h = row.heldOut;
    hb += h.blocked;
    ht += h.total;
    const held = h.total ? `${h.blocked}/${h.total} ${pct(h.blocked, h.total)}` : '-';
    const verdict = gated
      ? `${Math.round(target(row.category) * 100)}% ${met ? 'met' : 'NOT MET'}`
      : `${pct(row.blocked, row.total)} (reported, not a gate)`;
    out(`${pad(row.category, 32)} ${pad(`${row.blocked}/${row.total}`, 9)} ${pad(held, 13)} ${verdict}`);
    for (const m of row.misses)
      if (known(m)) out(`    known hole (reported): ${m}`);
      else if (verbose || (!met && gated)) out(`    miss: ${m}`);
    for (const m of h.misses) out(`    held-out miss: ${m}`);
    for (const s of row.skipped) out(`    skipped (not wired in this build): ${s}`);
  }
  out(`${pad('held-out cases, all categories', 32)} ${pad('', 9)} ${pad(`${hb}/${ht} ${pct(hb, ht)}`, 13)} reported`);
  const b = board.benign;
  const falseBlocks = b.falseBlocks.filter((f) => !known(f));
  missed ||= falseBlocks.length > 0;
  out(
    `${pad('benign (false blocks)', 32)} ${pad(`${b.total - b.passed}/${b.total}`, 9)} ${pad('', 13)} 0 ${falseBlocks.length ? 'NOT MET' : 'met'}`,
  );
  for (const f of b.falseBlocks) out(`    ${known(f) ? 'known false block (reported)' : 'false block'}: ${f}`);
}
process.exitCode = missed ? 1 : 0;
