/**
 * The pin store, `~/.secure-mcp-gateway/tools.lock.json` (issue 5, scope 2 and 3): for each server, the hash and the
 * canonical definition of every tool it was trusted with, and how (pinned on first use, approved by a person, or
 * revoked). Comparing a live tool list against it says, per tool, new / pinned / changed / revoked / removed, and
 * what may be shown to the client in the configured mode. The comparison (`compareCatalog`) is pure; the store does
 * the file I/O.
 *
 * Failure modes: a lockfile that cannot be read, is not JSON, is not this schema or does not add up (a hash that is
 * not the hash of its definition) is a GatewayError('CONFIG_INVALID') naming the file and what is wrong. It is never
 * reset or overwritten, because a silently emptied pin store would trust every tool again. A lock that cannot be
 * taken in time is a GatewayError('INTERNAL') naming the holder.
 *
 * Writers: every change is read-modify-write under two locks. In one process, changes to one file run one after the
 * other (a promise chain per path). Across processes (a gateway and `tools approve` run at the same time), the
 * writer holds `tools.lock.json.lock`, created atomically with its content (written to a temporary file, then
 * hard-linked to the lock name, which fails if it exists: the O_EXCL guarantee without a window in which the lock is
 * empty; where hard links are not supported it falls back to open(O_CREAT|O_EXCL)). A lock is stale when its process
 * is gone (same host) or it is older than `staleLockMs`; a stale lock is renamed aside and checked to be the one that
 * was judged stale before it is removed, so two waiters cannot both take it. Readers take no lock: the file is
 * replaced by rename(2), so a reader sees the old or the new file, never half of one.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import { canonicalJson } from './canonical.js';
import {
  HASH_VERSION,
  definitionHash,
  serverHashOf,
  toolDefinition,
  toolHash,
  toolHashAt,
  type Definition,
  type HashVersion,
  type ToolLike,
} from './hash.js';

export const LOCKFILE_VERSION = 1;

export const INTEGRITY_MODES = ['pin-on-first-use', 'require-approval', 'off'] as const;
export type IntegrityMode = (typeof INTEGRITY_MODES)[number];

export const PIN_STATES = ['pinned', 'approved', 'revoked'] as const;
export type PinState = (typeof PIN_STATES)[number];

const HashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'expected a lower-case SHA-256 hex digest');
const TimeSchema = z.iso.datetime({ offset: true });

export const ToolPinSchema = z
  .strictObject({
    hash: HashSchema.describe('SHA-256 of the canonical definition'),
    hashVersion: z
      .union([z.literal(1), z.literal(2)])
      .optional()
      .describe(
        'The version of the definition hash (integrity/hash.ts); absent: 1. A pin of an older version is compared ' +
          "with that version's hash and, when it matches, re-pinned with the current one",
      ),
    definition: z
      .record(z.string(), z.unknown())
      .describe('The canonical definition that was trusted (name, title, description, schemas, annotations)'),
    firstSeen: TimeSchema.describe('When this tool was first pinned or approved'),
    state: z
      .enum(PIN_STATES)
      .describe('pinned: trusted on first use; approved: approved by a person; revoked: blocked whatever its hash'),
    approvedAt: TimeSchema.optional(),
    approvedBy: z.string().optional(),
    revokedAt: TimeSchema.optional(),
    revokedBy: z.string().optional(),
  })
  .describe('One pinned tool');

export const LauncherPinSchema = z
  .strictObject({
    launcher: z.string().describe('npx, bunx, uvx, pipx or docker'),
    package: z.string().describe('The package or image, without a version'),
    requested: z.string().optional().describe('The version, tag or digest written in the command, if any'),
    resolved: z.string().optional().describe('The version or digest found to be installed, if known offline'),
    recordedAt: TimeSchema,
  })
  .describe('What a launcher command runs');

export const ServerPinSchema = z
  .strictObject({
    serverHash: HashSchema.describe('SHA-256 over the sorted hashes of the pinned tools'),
    updatedAt: TimeSchema,
    launcher: LauncherPinSchema.optional(),
    tools: z.record(z.string(), ToolPinSchema),
  })
  .describe('The pins of one server');

export const LockfileSchema = z
  .strictObject({
    version: z.literal(LOCKFILE_VERSION),
    servers: z.record(z.string(), ServerPinSchema),
  })
  .describe('secure-mcp-gateway tool pins (tools.lock.json)');

export type ToolPin = z.infer<typeof ToolPinSchema>;
export type LauncherPin = z.infer<typeof LauncherPinSchema>;
export type ServerPin = z.infer<typeof ServerPinSchema>;
export type Lockfile = z.infer<typeof LockfileSchema>;

export function emptyLockfile(): Lockfile {
  return { version: LOCKFILE_VERSION, servers: {} };
}

// ---------------------------------------------------------------------------------------------------------------
// Comparing a live catalog with the pins (pure)

export type ToolStatus =
  /** Never trusted. Exposed only in pin-on-first-use (where it is pinned now) and in off mode. */
  | { tool: string; status: 'new'; hash: string; expose: boolean; duplicate?: true; unpinnable?: true }
  /**
   * The pinned or approved definition, unchanged. `upgrade`: the pin is of an older hash version (it was compared
   * with that version's hash) and is re-pinned with the current version by the next check that may write.
   */
  | { tool: string; status: 'pinned'; state: 'pinned' | 'approved'; hash: string; expose: boolean; upgrade?: true }
  /** A rug pull, or an update nobody approved: hidden and blocked (`integrity.changed`) until approved. */
  | {
      tool: string;
      status: 'changed';
      state: 'pinned' | 'approved';
      oldHash: string;
      newHash: string;
      expose: boolean;
      duplicate?: true;
    }
  /** Revoked by a person: hidden and blocked whatever its hash (`hash` is the live one). */
  | { tool: string; status: 'revoked'; hash: string; expose: boolean }
  /** Pinned, but no longer listed. */
  | { tool: string; status: 'removed'; state: PinState; hash: string; expose: false };

export interface PinCheck {
  server: string;
  mode: IntegrityMode;
  /** Hash of the live tool list. */
  serverHash: string;
  /** Hash recorded for the server's pins, when it has any. */
  pinnedServerHash: string | undefined;
  /** The live list is not exactly the pinned one: a tool was added, removed, renamed or changed. */
  serverChanged: boolean;
  /** One entry per live tool name (in list order), then one per pinned tool that is gone. */
  tools: ToolStatus[];
  /** Live tool names that may be shown to the client and called. */
  exposed: string[];
  /** Live tool names that must be hidden and blocked. */
  hidden: string[];
}

/**
 * The state of each live tool against the pins of `server`, and what to expose in `mode`:
 * - pin-on-first-use: the first list of a server pins its tools (new → exposed, and the store pins them); a tool
 *   that appears later, on a server that already has pins, is held like a change: hidden until approved (a tool
 *   set that grows mid-session is the other half of a rug pull); pinned → exposed; changed, revoked → hidden;
 * - require-approval: new → hidden until approved; otherwise as above;
 * - off: everything is exposed; the states are still reported.
 * A name listed twice with different definitions is never exposed (nor pinned): which one a call reaches is up to
 * the server. Nor is a tool named `__proto__`, which no JSON object keeps as a key (`unpinnable`).
 */
export function compareCatalog(
  lock: Lockfile,
  server: string,
  tools: readonly ToolLike[],
  mode: IntegrityMode,
): PinCheck {
  const pins = own(lock.servers, server);
  // Trust on first use is trust in a server's first list, not in whatever it adds afterwards.
  // (A server whose only pins are revocations, made before it was first listed, has not been trusted yet.)
  const firstUse = pins === undefined || Object.values(pins.tools).every((t) => t.state === 'revoked');
  const live = new Map<string, ToolLike[]>();
  for (const tool of tools) live.set(tool.name, [...(live.get(tool.name) ?? []), tool]);
  const statuses: ToolStatus[] = [];
  for (const [name, copies] of live) {
    const hashes = copies.map(toolHash);
    const hash = hashes[0]!;
    const dup = hashes.some((h) => h !== hash);
    const duplicate = dup ? { duplicate: true as const } : {};
    const expose = (whenOn: boolean): boolean => mode === 'off' || (whenOn && !dup);
    const pin = own(pins?.tools, name);
    // A pin is compared with the hash of its own version: after an upgrade, the definition a person approved has
    // not changed just because the gateway now hashes more of it (issue 15, class 11).
    const version: HashVersion = pin?.hashVersion ?? 1;
    const pinHashes = version === HASH_VERSION ? hashes : copies.map((t) => toolHashAt(t, version));
    // Two copies that differ only in what an older hash version did not cover are still two definitions: changed.
    const changed =
      dup && version !== HASH_VERSION
        ? hashes.findIndex((h) => h !== hash)
        : pinHashes.findIndex((h) => h !== pin?.hash);
    if (name === '__proto__') {
      // Cannot be a key of a JSON object that survives parsing: never pinned, so never trusted.
      statuses.push({ tool: name, status: 'new', hash, expose: expose(false), unpinnable: true });
    } else if (pin === undefined) {
      statuses.push({
        tool: name,
        status: 'new',
        hash,
        expose: expose(mode === 'pin-on-first-use' && firstUse),
        ...duplicate,
      });
    } else if (pin.state === 'revoked') {
      statuses.push({ tool: name, status: 'revoked', hash, expose: expose(false) });
    } else if (changed === -1) {
      const upgrade = version !== HASH_VERSION ? { upgrade: true as const } : {};
      statuses.push({ tool: name, status: 'pinned', state: pin.state, hash, expose: expose(true), ...upgrade });
    } else {
      statuses.push({
        tool: name,
        status: 'changed',
        state: pin.state,
        oldHash: pin.hash,
        newHash: hashes[changed]!,
        expose: expose(false),
        ...duplicate,
      });
    }
  }
  for (const [name, pin] of Object.entries(pins?.tools ?? {})) {
    if (!live.has(name))
      statuses.push({ tool: name, status: 'removed', state: pin.state, hash: pin.hash, expose: false });
  }
  const liveHash = serverHashOf(tools.map(toolHash));
  const liveStatuses = statuses.filter((s) => s.status !== 'removed');
  return {
    server,
    mode,
    serverHash: liveHash,
    pinnedServerHash: pins?.serverHash,
    serverChanged: pins === undefined || pins.serverHash !== liveHash,
    tools: statuses,
    exposed: liveStatuses.filter((s) => s.expose).map((s) => s.tool),
    hidden: liveStatuses.filter((s) => !s.expose).map((s) => s.tool),
  };
}

/**
 * A member of a record by own key only: tool and server names come from servers and configs, and "constructor" or
 * "toString" must not find Object.prototype's.
 */
function own<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** `__proto__` cannot be kept as a key (JSON.parse and zod drop or misread it), so it can be neither approved nor pinned. */
function refuseUnpinnable(name: string | undefined): void {
  if (name === '__proto__') {
    throw new GatewayError(
      'INTERNAL',
      'a tool named "__proto__" cannot be pinned, approved or revoked; it stays hidden',
    );
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reading and validating

/** Parses lockfile text; `file` names it in errors. Throws GatewayError('CONFIG_INVALID') saying what is wrong. */
export function parseLockfile(text: string, file: string): Lockfile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`, error);
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > LOCKFILE_VERSION) {
    throw invalid(file, `lockfile version ${version} is newer than this gateway reads (${LOCKFILE_VERSION})`);
  }
  const parsed = LockfileSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `  at ${formatPath(i.path)}: ${i.message}`).join('\n');
    throw invalid(file, `not a valid lockfile:\n${issues}`, undefined, parsed.error.issues);
  }
  const lock = parsed.data;
  const problems: string[] = [];
  for (const [server, pins] of Object.entries(lock.servers)) {
    for (const [name, pin] of Object.entries(pins.tools)) {
      const where = formatPath(['servers', server, 'tools', name]);
      if (pin.definition.name !== name) problems.push(`  at ${where}.definition.name: is not "${name}"`);
      let actual: string;
      try {
        actual = definitionHash(pin.definition as Definition);
      } catch (error) {
        problems.push(`  at ${where}.definition: ${(error as Error).message}`);
        continue;
      }
      if (actual !== pin.hash) problems.push(`  at ${where}.hash: is not the hash of its definition (${actual})`);
    }
    const expected = serverHashOf(Object.values(pins.tools).map((p) => p.hash));
    if (pins.serverHash !== expected) {
      problems.push(
        `  at ${formatPath(['servers', server, 'serverHash'])}: is not the hash of its tools (${expected})`,
      );
    }
  }
  if (problems.length > 0) throw invalid(file, `the pins do not add up (edited by hand?):\n${problems.join('\n')}`);
  return lock;
}

function invalid(file: string, what: string, cause?: unknown, issues?: unknown): GatewayError {
  return new GatewayError(
    'CONFIG_INVALID',
    `${file}: ${what}\nThe file was left as it is: fix it, or move it away to pin every tool again.`,
    { cause, data: { file, issues } },
  );
}

function formatPath(p: readonly PropertyKey[]): string {
  let out = '';
  for (const part of p) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$-]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out === '' ? '(root)' : out;
}

// ---------------------------------------------------------------------------------------------------------------
// The store

export interface PinStoreOptions {
  /** The lockfile, e.g. `~/.secure-mcp-gateway/tools.lock.json`. */
  file: string;
  /** How long to wait for another writer's lock. Default 5000 ms. */
  lockTimeoutMs?: number;
  /** A lock older than this is stale even if its process seems alive (pid reuse, another host). Default 30 s. */
  staleLockMs?: number;
  /** The clock, for tests. */
  now?: () => Date;
}

export interface CheckResult extends PinCheck {
  /** Tools pinned by this check (pin-on-first-use), for the audit log. */
  pinned: string[];
  /** Pins of an older hash version that matched and were re-pinned with the current version by this check. */
  upgraded: string[];
  /**
   * Why new tools are not exposed when it is not the integrity mode: the shared pin store was reset and this
   * server had pins before (state/pins.ts), so its list is not a first use (issue 15, class 14).
   */
  unapprovedReason?: string;
}

export interface CheckOptions {
  /**
   * false: compare only, never write (no first-use pin, no hash-version upgrade). For a list that did not come from
   * the server itself (the discovery cache): pins come from live lists only (issue 15, class 5). Default true.
   */
  write?: boolean;
}

export interface ApproveOptions {
  /** One tool; without it, every live tool of the server. */
  tool?: string;
  /** Who approved (recorded as approvedBy). */
  by?: string;
}

export interface RevokeOptions {
  /** One tool; without it, every pinned tool of the server. */
  tool?: string;
  by?: string;
  /** The live tools, so that a tool that was never pinned can be revoked too. */
  tools?: readonly ToolLike[];
}

export interface PinStore {
  readonly file: string;
  /** The pins as they are on disk now (empty when there is no file yet). */
  read(): Promise<Lockfile>;
  /**
   * Compares a live list with the pins; in pin-on-first-use mode, new tools are pinned and written, and in every
   * mode a matching pin of an older hash version is re-pinned with the current one (unless `write` is false).
   */
  check(server: string, tools: readonly ToolLike[], mode: IntegrityMode, opts?: CheckOptions): Promise<CheckResult>;
  /** Trusts the live definition of a tool (or of every live tool): new, changed and revoked tools become approved. */
  approve(server: string, tools: readonly ToolLike[], opts?: ApproveOptions): Promise<string[]>;
  /** Blocks a tool (or every pinned tool of the server) whatever its hash, until approved again. */
  revoke(server: string, opts?: RevokeOptions): Promise<string[]>;
  /** Records what a launcher command runs. */
  setLauncher(server: string, launcher: Omit<LauncherPin, 'recordedAt'>): Promise<void>;
  /** Read-modify-write under the locks; the file is written only when `fn` changed it. */
  update<T>(fn: (lock: Lockfile) => T | Promise<T>): Promise<T>;
}

export function createPinStore(opts: PinStoreOptions): PinStore {
  const file = path.resolve(opts.file);
  const now = (): string => (opts.now?.() ?? new Date()).toISOString();
  const lockOpts = { timeoutMs: opts.lockTimeoutMs ?? 5000, staleMs: opts.staleLockMs ?? 30_000 };

  async function read(): Promise<Lockfile> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyLockfile();
      throw invalid(file, `cannot read the file (${(error as Error).message})`, error);
    }
    return parseLockfile(text, file);
  }

  async function update<T>(fn: (lock: Lockfile) => T | Promise<T>): Promise<T> {
    return inProcess(file, async () => {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const release = await acquireFileLock(`${file}.lock`, lockOpts);
      try {
        const lock = await read();
        const before = canonicalJson(lock);
        const result = await fn(lock);
        const after = canonicalJson(lock);
        if (after !== before) {
          LockfileSchema.parse(lock); // a bug here must not reach the disk
          await writeAtomic(file, canonicalJson(lock, 2) + '\n');
        }
        return result;
      } finally {
        await release();
      }
    });
  }

  return buildPinStore({ file, read, update, now });
}

/** Where the pins live: read them, and change them atomically (read-modify-write, written only when changed). */
export interface PinBacking {
  /** A name for messages: the lockfile path, or the shared store's key. */
  file: string;
  read: () => Promise<Lockfile>;
  update: <T>(fn: (lock: Lockfile) => T | Promise<T>) => Promise<T>;
  /** The time, ISO 8601. */
  now: () => string;
}

/**
 * The pin operations on any backing: the lockfile above, or the shared store (state/pins.ts). Each operation is one
 * `update`, so it is as atomic as the backing makes it.
 */
export function buildPinStore({ file, read, update, now }: PinBacking): PinStore {
  const serverOf = (lock: Lockfile, server: string, at: string): ServerPin =>
    own(lock.servers, server) ?? (lock.servers[server] = { serverHash: serverHashOf([]), updatedAt: at, tools: {} });

  const touch = (pins: ServerPin, at: string): void => {
    pins.serverHash = serverHashOf(Object.values(pins.tools).map((p) => p.hash));
    pins.updatedAt = at;
  };

  return {
    file,
    read,
    update,

    async check(server, tools, mode, o = {}) {
      // Without the locks first: the usual refresh finds nothing to pin and writes nothing.
      const unlocked = compareCatalog(await read(), server, tools, mode);
      const upgrades = (c: PinCheck) =>
        c.tools.filter((s): s is Extract<ToolStatus, { status: 'pinned' }> => s.status === 'pinned' && !!s.upgrade);
      const nothingToPin =
        (mode !== 'pin-on-first-use' ||
          (!unlocked.tools.some((s) => s.status === 'new' && s.expose) && unlocked.pinnedServerHash)) &&
        upgrades(unlocked).length === 0;
      if (o.write === false || nothingToPin) return { ...unlocked, pinned: [], upgraded: [] };
      return update((lock) => {
        const result = compareCatalog(lock, server, tools, mode);
        const fresh =
          mode === 'pin-on-first-use'
            ? result.tools.filter((s): s is Extract<ToolStatus, { status: 'new' }> => s.status === 'new' && s.expose)
            : [];
        const stale = upgrades(result);
        // (A first list in pin-on-first-use records the server even when it is empty: what it adds later is new.)
        const firstList = mode === 'pin-on-first-use' && own(lock.servers, server) === undefined;
        if (fresh.length === 0 && stale.length === 0 && !firstList) return { ...result, pinned: [], upgraded: [] };
        const at = now();
        const pins = serverOf(lock, server, at);
        for (const s of fresh) {
          const tool = tools.find((t) => t.name === s.tool)!;
          pins.tools[s.tool] = {
            hash: s.hash,
            hashVersion: HASH_VERSION,
            definition: toolDefinition(tool),
            firstSeen: at,
            state: 'pinned',
          };
        }
        // The definition that was trusted has not changed (its old-version hash matched): it is trusted as it is now
        // hashed, keeping who trusted it and when.
        for (const s of stale) {
          const tool = tools.find((t) => t.name === s.tool)!;
          Object.assign(pins.tools[s.tool]!, {
            hash: s.hash,
            hashVersion: HASH_VERSION,
            definition: toolDefinition(tool),
          });
        }
        touch(pins, at);
        return { ...result, pinned: fresh.map((s) => s.tool), upgraded: stale.map((s) => s.tool) };
      });
    },

    async approve(server, tools, o = {}) {
      refuseUnpinnable(o.tool);
      const chosen = tools.filter((t) => (o.tool === undefined ? t.name !== '__proto__' : t.name === o.tool));
      return update((lock) => {
        const at = now();
        if (o.tool !== undefined && chosen.length === 0) {
          const pin = own(own(lock.servers, server)?.tools, o.tool);
          // A pinned tool that is not listed now: approve the definition that was pinned.
          if (pin === undefined) throw new GatewayError('UNKNOWN_TOOL', `server "${server}" has no tool "${o.tool}"`);
          pin.state = 'approved';
          pin.approvedAt = at;
          if (o.by === undefined) delete pin.approvedBy;
          else pin.approvedBy = o.by;
          delete pin.revokedAt;
          delete pin.revokedBy;
          return [o.tool];
        }
        const names = new Set(chosen.map((t) => t.name));
        const duplicates = [...names].filter((n) => new Set(chosen.filter((t) => t.name === n).map(toolHash)).size > 1);
        if (duplicates.length > 0) {
          throw new GatewayError(
            'INTERNAL',
            `server "${server}" lists ${duplicates.map((d) => `"${d}"`).join(', ')} more than once with different definitions; nothing was approved`,
          );
        }
        const pins = serverOf(lock, server, at);
        for (const tool of chosen) {
          const definition = toolDefinition(tool);
          const old = own(pins.tools, tool.name);
          pins.tools[tool.name] = {
            hash: definitionHash(definition),
            hashVersion: HASH_VERSION,
            definition,
            firstSeen: old?.firstSeen ?? at,
            state: 'approved',
            approvedAt: at,
            ...(o.by === undefined ? {} : { approvedBy: o.by }),
          };
        }
        touch(pins, at);
        return [...names];
      });
    },

    async revoke(server, o = {}) {
      refuseUnpinnable(o.tool);
      return update((lock) => {
        const pins = own(lock.servers, server);
        const at = now();
        const names =
          o.tool !== undefined
            ? [o.tool]
            : [...new Set([...Object.keys(pins?.tools ?? {}), ...(o.tools ?? []).map((t) => t.name)])].filter(
                (n) => n !== '__proto__',
              );
        const done: string[] = [];
        for (const name of names) {
          const pin = own(pins?.tools, name);
          const live = o.tools?.find((t) => t.name === name);
          if (pin === undefined && live === undefined) {
            throw new GatewayError('UNKNOWN_TOOL', `server "${server}" has no tool "${name}"`);
          }
          const target = serverOf(lock, server, at);
          if (pin === undefined) {
            const definition = toolDefinition(live!);
            target.tools[name] = {
              hash: definitionHash(definition),
              hashVersion: HASH_VERSION,
              definition,
              firstSeen: at,
              state: 'revoked',
            };
          } else pin.state = 'revoked';
          const entry = target.tools[name]!;
          entry.revokedAt = at;
          if (o.by === undefined) delete entry.revokedBy;
          else entry.revokedBy = o.by;
          done.push(name);
        }
        const touched = own(lock.servers, server);
        if (touched !== undefined) touch(touched, at);
        return done;
      });
    },

    async setLauncher(server, launcher) {
      await update((lock) => {
        const at = now();
        const pins = serverOf(lock, server, at);
        const old = pins.launcher;
        const same =
          old !== undefined &&
          canonicalJson({ ...old, recordedAt: '' }) === canonicalJson({ ...launcher, recordedAt: '' });
        if (same) return;
        pins.launcher = { ...launcher, recordedAt: at };
        pins.updatedAt = at;
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// File primitives

/**
 * Writes `text` to `file` through a temporary file in the same directory, fsynced, mode 0600 (or `mode`: a signed
 * manifest is public), then renamed.
 */
export async function writeAtomic(file: string, text: string, mode = 0o600): Promise<void> {
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await fs.open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.chmod(mode); // whatever the umask
      await handle.writeFile(text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (error) {
    await fs.rm(tmp, { force: true });
    throw error;
  }
  await syncDirectory(path.dirname(file));
}

/** So that the rename itself survives a crash. Not possible everywhere (Windows): best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported on this platform or file system
  }
}

const chains = new Map<string, Promise<unknown>>();

/** Runs `fn` after every earlier call for the same key has settled. */
async function inProcess<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = chains.get(key) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  chains.set(key, tail);
  try {
    return await run;
  } finally {
    if (chains.get(key) === tail) chains.delete(key);
  }
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  createdAt: string;
}

export interface FileLockOptions {
  timeoutMs: number;
  staleMs: number;
}

/**
 * Takes the exclusive lock file `lockPath` and returns its release. See the module header for how it is created and
 * when it is stale.
 */
export async function acquireFileLock(lockPath: string, opts: FileLockOptions): Promise<() => Promise<void>> {
  const token = randomBytes(12).toString('hex');
  const content = JSON.stringify({
    pid: process.pid,
    host: os.hostname(),
    token,
    createdAt: new Date().toISOString(),
  } satisfies LockOwner);
  const deadline = Date.now() + opts.timeoutMs;
  for (let attempt = 0; ; attempt++) {
    if (await tryCreate(lockPath, content, token)) {
      return async () => {
        // Remove it only while it is still ours: a writer slower than staleMs may have lost it to another.
        const now = await fs.readFile(lockPath, 'utf8').catch(() => undefined);
        if (now === content) await fs.rm(lockPath, { force: true });
      };
    }
    const held = await inspect(lockPath);
    if (held !== undefined && isStale(held, opts.staleMs)) {
      await removeStaleLock(lockPath, held.text, token);
      continue;
    }
    if (Date.now() >= deadline) {
      const who = held?.owner
        ? `pid ${held.owner.pid} on ${held.owner.host} since ${held.owner.createdAt}`
        : 'another process';
      throw new GatewayError(
        'INTERNAL',
        `${lockPath}: held by ${who}; waited ${opts.timeoutMs} ms. If no gateway or CLI is writing pins, remove the file.`,
      );
    }
    await sleep(Math.min(200, 10 * 2 ** Math.min(attempt, 4)) + Math.random() * 10);
  }
}

async function tryCreate(lockPath: string, content: string, token: string): Promise<boolean> {
  const tmp = `${lockPath}.${token}.tmp`;
  await fs.writeFile(tmp, content, { mode: 0o600 });
  try {
    await fs.link(tmp, lockPath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'ENOSYS') {
      return createExclusive(lockPath, content); // no hard links here
    }
    throw error;
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function createExclusive(lockPath: string, content: string): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content, 'utf8');
  } finally {
    await handle.close();
  }
  return true;
}

interface HeldLock {
  text: string;
  owner: LockOwner | undefined;
  mtimeMs: number;
}

async function inspect(lockPath: string): Promise<HeldLock | undefined> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    let owner: LockOwner | undefined;
    try {
      const v = JSON.parse(text) as Partial<LockOwner>;
      if (typeof v.pid === 'number' && typeof v.host === 'string' && typeof v.token === 'string')
        owner = v as LockOwner;
    } catch {
      // being written (open(O_EXCL) fallback) or damaged: judged by its age
    }
    return { text, owner, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // released meanwhile
    throw error;
  }
}

function isStale(held: HeldLock, staleMs: number): boolean {
  if (Date.now() - held.mtimeMs > staleMs) return true;
  return held.owner !== undefined && held.owner.host === os.hostname() && !processAlive(held.owner.pid);
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves a stale lock aside and deletes it, but only if what was moved is the lock that was judged stale: when two
 * waiters race, the loser would otherwise delete the winner's fresh lock. A fresh lock moved by mistake is put back.
 */
export async function removeStaleLock(lockPath: string, staleText: string, token: string): Promise<void> {
  const aside = `${lockPath}.stale.${token}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => undefined);
  if (moved !== staleText) await fs.link(aside, lockPath).catch(() => undefined);
  await fs.rm(aside, { force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
