/**
 * What a tool is, as policy input (issue 4): read-only, destructive, open-world. The server declares it in the
 * tool's annotations (MCP spec, schema `ToolAnnotations`), but annotations are hints from an untrusted server, so
 * `servers.<name>.annotations` overrides them per tool glob (the first matching glob wins, as for `toolPolicies`).
 *
 * A hint the server leaves out takes the spec's default: `readOnlyHint` false, `destructiveHint` true (meaningful
 * only when not read-only), `openWorldHint` true. So a tool without annotations counts as destructive and
 * open-world. That is deliberate: the gateway fails closed, and a server that says nothing about a tool has not
 * earned the benefit of the doubt. The cost falls only on policies that ask or deny for those classes (the default
 * policy allows all three), and one override line (`"*": {"readOnly": true}`) settles a server the user trusts.
 *
 * Pure; never throws for a tool whose hints are missing or malformed (a non-boolean hint counts as absent).
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerPolicyContext } from '../pipeline/types.js';
import { createNameMatcher, type NameMatcher } from './glob.js';

export type AnnotationOverrides = ServerPolicyContext['annotations'];
type Override = AnnotationOverrides[string];

export interface ToolClass {
  readOnly: boolean;
  destructive: boolean;
  openWorld: boolean;
  /**
   * Where the answer came from: a `servers.<name>.annotations` glob (`override`, with the glob), the server's own
   * hints (`hints`, with the spec's defaults for the ones it left out), or the spec's defaults alone (`defaults`).
   */
  source: { kind: 'override'; glob: string } | { kind: 'hints' } | { kind: 'defaults' };
}

/** Compiled once per server's overrides object (it lives as long as the config). */
const compiled = new WeakMap<AnnotationOverrides, [NameMatcher, string, Override][]>();

function matchers(overrides: AnnotationOverrides): [NameMatcher, string, Override][] {
  let list = compiled.get(overrides);
  if (!list) {
    list = Object.entries(overrides).map(([glob, o]) => [createNameMatcher([glob]), glob, o]);
    compiled.set(overrides, list);
  }
  return list;
}

const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

export function classifyTool(tool: Pick<Tool, 'name' | 'annotations'>, overrides: AnnotationOverrides): ToolClass {
  const hit = matchers(overrides).find(([matches]) => matches(tool.name));
  const o: Override = hit?.[2] ?? {};
  const a = tool.annotations;
  const hints = {
    readOnly: bool(a?.readOnlyHint),
    destructive: bool(a?.destructiveHint),
    openWorld: bool(a?.openWorldHint),
  };
  // An override field replaces the hint. An override that says destructive also means not read-only, and when
  // an override contradicts itself (readOnly and destructive both true), destructive, the stricter, wins.
  const readOnlyGuess = o.readOnly ?? (o.destructive === true ? false : (hints.readOnly ?? false));
  const destructive = o.destructive ?? (!readOnlyGuess && (hints.destructive ?? true));
  const readOnly = readOnlyGuess && !destructive;
  const openWorld = o.openWorld ?? hints.openWorld ?? true;
  const source: ToolClass['source'] = hit
    ? { kind: 'override', glob: hit[1] }
    : Object.values(hints).some((h) => h !== undefined)
      ? { kind: 'hints' }
      : { kind: 'defaults' };
  return { readOnly, destructive, openWorld, source };
}

/** "destructive and open-world", "read-only", "additive and closed-world". */
export function describeClass(c: ToolClass): string {
  if (c.destructive && c.openWorld) return 'destructive and open-world';
  if (c.destructive) return 'destructive';
  if (c.openWorld) return c.readOnly ? 'read-only but open-world' : 'open-world';
  return c.readOnly ? 'read-only' : 'neither destructive nor open-world';
}

/** Where a classification came from, for block messages: "per servers.fs.annotations["write_*"]". */
export function describeSource(c: ToolClass, server: string): string {
  switch (c.source.kind) {
    case 'override':
      return `per servers.${server}.annotations[${JSON.stringify(c.source.glob)}]`;
    case 'hints':
      return 'per the server’s annotations';
    case 'defaults':
      return 'by MCP’s defaults: the server declares no annotations';
  }
}
