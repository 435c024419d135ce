/**
 * The run-time integrity gate: what the gateway does with every tool list it receives (start-up, cache, refresh,
 * list_changed), before the client sees it. For one server's catalog it
 * - compares each tool with its pin (pin-on-first-use pins new tools; a changed or revoked tool, and in
 *   require-approval a new one, is hidden and its calls blocked);
 * - runs the description and schema poisoning scan, with the other servers' tools as context;
 * - where the server has a public key, verifies the signed manifest and blocks every tool that does not match it.
 * The verdict names, per blocked tool, the rule and the reason, and the hash each exposed tool was accepted with, so
 * a call can be re-checked against the live definition. Fail closed: a gate that cannot decide (a corrupt lockfile,
 * an unreadable manifest) blocks every tool of the server, with the reason.
 *
 * Source. A list from the discovery cache (`source: 'cache'`) did not come from the server: a stale entry, another
 * server's entry or a planted file must not decide trust (issue 15, class 5). It never writes a pin (no first use,
 * no hash-version upgrade), and only the tools that match an existing pin are shown; everything else in it stays
 * unlisted until the live list arrives and is checked.
 */
import type { ResolvedServer } from '../config/load.js';
import type { Logger } from '../log.js';
import type { Catalog } from '../upstream/catalog.js';
import { messageOf } from '../errors.js';
import { atLeast, type Severity } from './findings.js';
import { sha256Hex, toolHash, type ToolLike } from './hash.js';
import type { PinStore } from './lockfile.js';
import { verifyServerManifest } from './server-manifest.js';
import type { OtherServer, PoisoningFinding, PoisoningScanner } from './poisoning.js';

/** poisoning.ts UNSCANNABLE, repeated so that the scanner (and its rules) still load only when a list is scanned. */
const UNSCANNABLE = 'poisoning.unscannable';

export interface IntegrityBlock {
  ruleId:
    | 'integrity.changed'
    | 'integrity.revoked'
    | 'integrity.unapproved'
    | 'integrity.duplicate'
    | 'integrity.poisoned'
    | 'integrity.unsigned'
    | 'integrity.unscannable'
    | 'integrity.failed';
  reason: string;
}

export interface IntegrityVerdict {
  /** The catalog this verdict is for: a newer one is not covered by it. */
  catalog: Catalog;
  /** Tool name → why it is hidden and its calls blocked. */
  blocked: Map<string, IntegrityBlock>;
  /** Tool name → the hash it was accepted with (exposed tools only). */
  accepted: Map<string, string>;
}

export interface IntegrityGateOptions {
  store: PinStore;
  poisoning: { action: 'block' | 'warn' | 'off'; minSeverity: Severity };
  /** Where a server's manifest is when its config does not say: <dir>/<server>.json. */
  manifestsDir: string;
  log: Logger;
  scanner?: PoisoningScanner;
  /**
   * Poisoning findings of earlier scans, by a key of the server's tool hashes and its neighbours' tool names: an
   * unchanged list is not scanned again (the scanner, and the injection rules it loads, cost start-up time).
   */
  scanCache?: ScanCache;
}

export interface ScanCache {
  get(key: string): PoisoningFinding[] | undefined;
  set(key: string, findings: PoisoningFinding[]): void;
}

/**
 * Bump when the scanner's rules change, so that cached results are not reused. 2: it reads _meta, icons, execution.
 * 3: the structural rules of issue 16 (key files, concealment and preference in eleven languages, authority claims,
 * qualified references, squatting edits).
 */
export const SCANNER_VERSION = 3;

/** The scan-cache key of a list: its tools' hashes and what the cross-server checks compare it with. */
export function scanKey(server: string, tools: readonly ToolLike[], others: readonly OtherServer[]): string {
  const neighbours = others.map((o) => `${o.server}:${[...o.tools].sort().join(',')}`).sort();
  return sha256Hex(JSON.stringify([SCANNER_VERSION, server, tools.map(hashOf).sort(), neighbours]));
}

/** Where a tool list came from: the server itself, or the discovery cache (see the header). */
export type CatalogSource = 'live' | 'cache';

export interface IntegrityGate {
  evaluate(
    server: ResolvedServer,
    catalog: Catalog,
    others: readonly OtherServer[],
    source: CatalogSource,
  ): Promise<IntegrityVerdict>;
}

/** The hash of a tool definition, computed once per object (a relisted catalog brings new objects). */
const hashes = new WeakMap<object, string>();
export function hashOf(tool: ToolLike): string {
  let h = hashes.get(tool);
  if (h === undefined) hashes.set(tool, (h = toolHash(tool)));
  return h;
}

const short = (hash: string): string => hash.slice(0, 12);

export function createIntegrityGate(opts: IntegrityGateOptions): IntegrityGate {
  let scanner = opts.scanner;
  const scan = async (server: string, tools: readonly ToolLike[], others: readonly OtherServer[]) => {
    const key = opts.scanCache ? scanKey(server, tools, others) : '';
    const cached = opts.scanCache?.get(key);
    if (cached) return cached;
    // The scanner (and the injection rules) load only when a list has to be scanned.
    scanner ??= (await import('./poisoning.js')).createPoisoningScanner();
    const findings = scanner.scanTools(tools, { server, others });
    opts.scanCache?.set(key, findings);
    return findings;
  };
  return {
    async evaluate(server, catalog, others, source) {
      const blocked = new Map<string, IntegrityBlock>();
      const block = (tool: string, b: IntegrityBlock): void => {
        if (!blocked.has(tool)) blocked.set(tool, b);
      };
      const log = opts.log.child({ server: server.name });
      try {
        const mode = server.integrity.mode;
        const check = await opts.store.check(server.name, catalog.tools, mode, { write: source === 'live' });
        pins(check, server, block, log);
        if (source === 'cache' && mode !== 'off')
          for (const s of check.tools)
            if (s.status === 'new')
              block(s.tool, {
                ruleId: 'integrity.unapproved',
                reason: `${server.name} tool ${s.tool} is known only from the discovery cache and has no pin; it is listed once the server's live list has been checked`,
              });
        if (opts.poisoning.action !== 'off') {
          for (const f of await scan(server.name, catalog.tools, others)) {
            if (f.ruleId === UNSCANNABLE) {
              // The scan could not read the whole definition: fail closed, whatever the action and the severity.
              log.warn({ tool: f.tool, finding: f }, `tool hidden: ${f.message}`);
              block(f.tool, {
                ruleId: 'integrity.unscannable',
                reason: `the tool's definition could not be scanned whole: ${f.message}`,
              });
              continue;
            }
            if (!f.tool || !atLeast(f.severity, opts.poisoning.minSeverity)) continue;
            const what = `${f.severity} ${f.ruleId} at ${f.where}: ${f.message}`;
            if (opts.poisoning.action === 'warn') {
              log.warn({ tool: f.tool, finding: f }, `poisoning finding (warn only): ${what}`);
              continue;
            }
            log.warn({ tool: f.tool, finding: f }, `tool hidden: ${what}`);
            block(f.tool, { ruleId: 'integrity.poisoned', reason: `the tool's definition is poisoned: ${what}` });
          }
        }
        if (server.integrity.publicKey !== undefined) manifest(server, catalog, opts.manifestsDir, block, log);
      } catch (error) {
        log.error({ err: messageOf(error) }, 'integrity check failed; every tool of this server is blocked');
        for (const t of catalog.tools)
          blocked.set(t.name, {
            ruleId: 'integrity.failed',
            reason: `the integrity check of ${server.name} failed: ${messageOf(error)}`,
          });
      }
      const accepted = new Map<string, string>();
      for (const t of catalog.tools) if (!blocked.has(t.name)) accepted.set(t.name, hashOf(t));
      return { catalog, blocked, accepted };
    },
  };
}

function pins(
  check: Awaited<ReturnType<PinStore['check']>>,
  server: ResolvedServer,
  block: (tool: string, b: IntegrityBlock) => void,
  log: Logger,
): void {
  if (check.pinned.length > 0) log.info({ integrity: { pinned: check.pinned } }, 'tools pinned on first use');
  if (check.upgraded.length > 0)
    log.info({ integrity: { upgraded: check.upgraded } }, 'unchanged pins re-pinned with the current hash version');
  for (const s of check.tools) {
    if (s.status === 'changed') {
      log.warn(
        { integrity: { tool: s.tool, oldHash: s.oldHash, newHash: s.newHash } },
        'tool definition changed since it was pinned: hidden and blocked',
      );
      block(s.tool, {
        ruleId: 'integrity.changed',
        reason: `${server.name} tool ${s.tool} changed since it was ${s.state} (pinned ${short(s.oldHash)}, now ${short(s.newHash)}); review it with \`secure-mcp-gateway tools diff ${server.name}/${s.tool}\` and allow it with \`tools approve ${server.name}/${s.tool}\``,
      });
    } else if (s.status === 'revoked') {
      block(s.tool, {
        ruleId: 'integrity.revoked',
        reason: `${server.name} tool ${s.tool} was revoked; \`secure-mcp-gateway tools approve ${server.name}/${s.tool}\` allows it again`,
      });
    } else if (s.status === 'new' && !s.expose) {
      block(s.tool, {
        ruleId: s.duplicate ? 'integrity.duplicate' : 'integrity.unapproved',
        reason: s.duplicate
          ? `${server.name} lists two different tools named ${s.tool}; neither is exposed`
          : check.unapprovedReason !== undefined
            ? `${server.name} tool ${s.tool} is not approved: ${check.unapprovedReason}`
            : `${server.name} tool ${s.tool} is new and the integrity mode is require-approval; allow it with \`secure-mcp-gateway tools approve ${server.name}/${s.tool}\``,
      });
    } else if (!s.expose && s.status !== 'removed' && s.status !== 'pinned') {
      block(s.tool, {
        ruleId: 'integrity.duplicate',
        reason: `${server.name} lists two different tools named ${s.tool}`,
      });
    }
  }
}

function manifest(
  server: ResolvedServer,
  catalog: Catalog,
  manifestsDir: string,
  block: (tool: string, b: IntegrityBlock) => void,
  log: Logger,
): void {
  const v = verifyServerManifest(server, manifestsDir, catalog);
  if (v.tools === undefined) {
    // The manifest itself fails: nothing of this server is signed.
    const reason = `${server.name} requires a signed manifest: ${v.reason ?? 'it cannot be read'}`;
    log.warn({ integrity: { manifest: v.file } }, `tools blocked: ${reason}`);
    for (const t of catalog.tools) block(t.name, { ruleId: 'integrity.unsigned', reason });
    return;
  }
  for (const s of v.tools) {
    if (s.status === 'mismatch')
      block(s.tool, {
        ruleId: 'integrity.unsigned',
        reason: `${server.name} tool ${s.tool} does not match its signed manifest (signed ${short(s.expected)}, live ${short(s.actual)})`,
      });
    else if (s.status === 'extra')
      block(s.tool, {
        ruleId: 'integrity.unsigned',
        reason: `${server.name} tool ${s.tool} is not in its signed manifest`,
      });
  }
}
