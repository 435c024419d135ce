/**
 * The `audit` command group: tail [-f], query, stats, verify, export, report. Each finds the log (and the HMAC key
 * of a keyed chain) from the config, or from --file; without a config file the default <home>/audit.jsonl is read.
 * Output goes to stdout (these commands never run beside the MCP stdio server). `verify` sets EXIT.AUDIT when the
 * chain is broken. Read only: nothing here writes to the log.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { resolvePaths } from '../config/paths.js';
import { GatewayError } from '../errors.js';
import type { AnyRecord, QueryFilter } from '../audit/query.js';
import type * as AuditLib from './audit-lib.js';
import { EXIT_AUDIT } from './exit.js';

export { EXIT_AUDIT } from './exit.js';

/** The readers, loaded by the command that runs: the program is built at every start (issue 21). */
type Lib = typeof AuditLib;
const lib = (): Promise<Lib> => import('./audit-lib.js');

interface LogOptions {
  config?: string;
  file?: string;
}

interface FilterOptions {
  since?: string;
  until?: string;
  blocked?: boolean;
  server?: string;
  tool?: string;
  user?: string;
  kind?: string;
  deployment?: string;
}

/** The log file and key: --file wins; else the config's audit.path; else <home>/audit.jsonl when there is no config. */
export function locate(l: Lib, opts: LogOptions): { file: string; key?: string } {
  const paths = resolvePaths({ config: opts.config });
  let loc: { file: string; key?: string };
  try {
    loc = l.auditLocation(l.loadConfig(paths.config), paths);
  } catch (error) {
    if (!(error instanceof GatewayError && error.code === 'CONFIG_MISSING' && opts.config === undefined)) throw error;
    loc = { file: path.join(paths.home, 'audit.jsonl') };
  }
  const key = process.env.SMG_AUDIT_KEY ?? loc.key;
  return { file: opts.file ? path.resolve(opts.file) : loc.file, ...(key ? { key } : {}) };
}

function filterOf(l: Lib, o: FilterOptions): QueryFilter {
  const time = (v: string | undefined, flag: string) => {
    if (v === undefined) return undefined;
    const t = l.parseSince(v);
    if (t === undefined)
      throw new CommanderError(2, 'smg.audit', `${flag}: expected a duration (30m, 1h, 7d) or an ISO date, got "${v}"`);
    return t;
  };
  const since = time(o.since, '--since');
  const until = time(o.until, '--until');
  return {
    ...(since !== undefined ? { since } : {}),
    ...(until !== undefined ? { until } : {}),
    ...(o.blocked ? { blocked: true } : {}),
    ...(o.server !== undefined ? { server: o.server } : {}),
    ...(o.tool !== undefined ? { tool: o.tool } : {}),
    ...(o.user !== undefined ? { user: o.user } : {}),
    ...(o.kind !== undefined ? { kind: o.kind } : {}),
    ...(o.deployment !== undefined ? { deployment: o.deployment } : {}),
  };
}

function withLogOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-c, --config <path>', 'config file (default: $SMG_CONFIG, else <home>/config.json)'))
    .option('--file <path>', 'the audit log to read (default: audit.path from the config, else <home>/audit.jsonl)');
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('--since <when>', 'only records from this long ago (30m, 1h, 7d) or since an ISO date')
    .option('--until <when>', 'only records up to this long ago or until an ISO date')
    .option('--blocked', 'only blocked calls (with --kind llm: blocked AI-proxy requests)')
    .option('-s, --server <name>', 'only this server')
    .option('-t, --tool <name>', 'only this tool (upstream or exposed name)')
    .option('-u, --user <user>', 'only this user')
    .option(
      '--kind <kind>',
      'only records of this kind (call, llm, tool, approval, key, sso, upstream, sandbox, config)',
    )
    .option(
      '--deployment <name>',
      'only AI-proxy requests (kind llm) that named this deployment or were answered by it',
    );
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('read, check and report on the tamper-evident audit log');

  withLogOptions(audit.command('tail'))
    .description('print the last records; -f keeps following the log, across rotations')
    .option('-n, --lines <n>', 'how many records', '10')
    .option('-f, --follow', 'keep printing records as they are written')
    .option('--json', 'print records as JSON lines')
    .action(async (opts: LogOptions & { lines: string; follow?: boolean; json?: boolean }) => {
      const l = await lib();
      const { file } = locate(l, opts);
      const print = (r: AnyRecord) => process.stdout.write(`${opts.json ? JSON.stringify(r) : l.formatRecord(r)}\n`);
      const all = [...l.readRecords(file)];
      for (const r of all.slice(-Math.max(0, Number(opts.lines) || 0))) print(r);
      if (opts.follow) await follow(l, file, all[all.length - 1]?.seq ?? 0, print);
    });

  withFilters(withLogOptions(audit.command('query')))
    .description('print the records that match the filters (calls and events)')
    .option('--json', 'print records as JSON lines')
    .action(async (opts: LogOptions & FilterOptions & { json?: boolean }) => {
      const l = await lib();
      const { file } = locate(l, opts);
      for (const r of l.query(file, filterOf(l, opts)))
        process.stdout.write(`${opts.json ? JSON.stringify(r) : l.formatRecord(r)}\n`);
    });

  withFilters(withLogOptions(audit.command('stats')))
    .description(
      'calls by outcome, blocks by rule, p50/p99 latency by server and tool; the sandbox; the AI proxy by deployment, project and user',
    )
    .option('--json', 'print the numbers as JSON')
    .action(async (opts: LogOptions & FilterOptions & { json?: boolean }) => {
      const l = await lib();
      const { file } = locate(l, opts);
      const s = l.computeStats(l.query(file, filterOf(l, opts)));
      process.stdout.write(opts.json ? `${JSON.stringify(s, null, 2)}\n` : `${l.formatStats(s)}\n`);
    });

  withLogOptions(audit.command('verify'))
    .description(`walk the hash chain of every file and the checkpoint; exit ${EXIT_AUDIT} at the first broken link`)
    .option('--json', 'print the result as JSON')
    .action(async (opts: LogOptions & { json?: boolean }) => {
      const l = await lib();
      const { file, key } = locate(l, opts);
      const r = l.verifyLog(file, { key });
      if (opts.json) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else if (r.ok && r.files.length === 0) process.stdout.write(`no audit log at ${file} (nothing to verify)\n`);
      else if (r.ok) {
        process.stdout.write(
          `ok: ${r.records} records in ${r.files.length} file(s), seq 1..${r.lastSeq}${r.alg ? ` (${r.alg})` : ''}\n`,
        );
        for (const w of r.warnings) process.stdout.write(`warning: ${w}\n`);
      } else {
        const b = r.broken!;
        process.stdout.write(
          `BROKEN: ${b.file}:${b.line}${b.seq !== undefined ? ` (seq ${b.seq})` : ''}: ${b.problem}\n`,
        );
        process.stdout.write(`(${r.records} records verified before it)\n`);
      }
      if (!r.ok) process.exitCode = EXIT_AUDIT;
    });

  withFilters(withLogOptions(audit.command('export')))
    .description('write the records as JSON Lines or CSV (to --out, or stdout)')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .option('-o, --out <file>', 'write here instead of stdout')
    .action(async (opts: LogOptions & FilterOptions & { format: 'jsonl' | 'csv'; out?: string }) => {
      const l = await lib();
      const { file } = locate(l, opts);
      const records = l.query(file, filterOf(l, opts));
      const text = opts.format === 'csv' ? l.toCsv(records) : l.toJsonl(records);
      if (opts.out) {
        fs.writeFileSync(opts.out, text, { mode: 0o600 });
        process.stderr.write(`wrote ${records.length} records to ${opts.out}\n`);
      } else process.stdout.write(text);
    });

  withFilters(withLogOptions(audit.command('report')))
    .description(
      'write a self-contained HTML report (no scripts, no network): blocked calls first, refused keys, sandbox, AI proxy, summary, grouped events',
    )
    .requiredOption('-o, --out <file>', 'the HTML file to write')
    .action(async (opts: LogOptions & FilterOptions & { out: string }) => {
      const l = await lib();
      const { file, key } = locate(l, opts);
      const records = l.query(file, filterOf(l, opts));
      const html = l.renderReport({
        records,
        file,
        verify: l.verifyLog(file, { key }),
        moreCommand: blockedQuery(opts),
      });
      fs.writeFileSync(opts.out, html, { mode: 0o600 });
      process.stderr.write(`wrote ${opts.out} (${records.length} records)\n`);
    });

  return audit;
}

/** The `audit query` line that lists every blocked call the report covers: its log and its filters. */
export function blockedQuery(opts: LogOptions & FilterOptions): string {
  const quote = (v: string) => (/^[\w@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const args = ['secure-mcp-gateway', 'audit', 'query', '--blocked'];
  for (const [flag, v] of [
    ['--config', opts.config],
    ['--file', opts.file],
    ['--since', opts.since],
    ['--until', opts.until],
    ['--server', opts.server],
    ['--tool', opts.tool],
    ['--user', opts.user],
  ] as const)
    if (v !== undefined) args.push(flag, quote(v));
  return args.join(' ');
}

/** Prints records after `seq` as they arrive; follows rotation (a new current file). Runs until killed. */
async function follow(l: Lib, file: string, after: number, print: (r: AnyRecord) => void): Promise<never> {
  let last = after;
  let seen = '';
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    // Cheap change detection: sizes and names of the files; read again only when they changed.
    const sig = l
      .logFiles(file)
      .all()
      .map((f) => `${f}:${fs.statSync(f, { throwIfNoEntry: false })?.size ?? 0}`)
      .join('|');
    if (sig === seen) continue;
    seen = sig;
    for (const r of l.readRecords(file))
      if (r.seq > last) {
        print(r);
        last = r.seq;
      }
  }
}
