/**
 * Content hashes of what a server tells the model or the client: SHA-256 (hex) over canonical JSON (canonical.ts) of
 * a definition (issue 5, scope 1). Pure.
 *
 * Versions. A pin records the version of the hash it was made with (lockfile.ts `hashVersion`; absent means 1), and
 * a signed manifest its own (manifest.ts), because a new version changes every hash: a pin of an older version is
 * compared with that version's function, and re-pinned with the current one when it matches.
 * - Version 1 (until issue 15): name, title, description, inputSchema, outputSchema, annotations. A change only in
 *   `_meta`, `icons` or `execution` was not seen (issue 15, class 11: a rug pull through `_meta`).
 * - Version 2 (current): every field of the SDK's Tool (TOOL_FIELDS; a test holds the list against ToolSchema), so
 *   that nothing the gateway relays to the client can change unseen. The cost: a server that writes volatile data
 *   (a timestamp, a trace id) into `_meta` on every listing looks changed every time; that is the server's to fix,
 *   since the gateway cannot tell volatile data from an instruction.
 * - A prompt: every field of the SDK's Prompt and of its arguments; a resource template: every field of the SDK's
 *   ResourceTemplate (neither is pinned today; the scan cache and `scan` use them).
 * - A server: its tool hashes, sorted, so that an added, removed or renamed tool changes it while the order of the
 *   list does not. (Duplicates are kept: a server that lists a name twice has changed too.)
 *
 * The hash of a definition is the hash of its canonical JSON, so the lockfile can store the definition beside the
 * hash and anyone can recompute one from the other.
 */
import { createHash } from 'node:crypto';
import { canonicalize, canonicalJson, type JsonValue } from './canonical.js';

/** The fields of an MCP Tool that the hash covers; the SDK's `Tool` fits, and so does any superset. */
export interface ToolLike {
  name: string;
  title?: string;
  icons?: unknown;
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
  execution?: unknown;
  _meta?: unknown;
}

export interface PromptLike {
  name: string;
  title?: string;
  icons?: unknown;
  description?: string;
  arguments?: readonly { name: string; title?: string; description?: string; required?: boolean }[];
  _meta?: unknown;
}

export interface ResourceTemplateLike {
  name: string;
  title?: string;
  icons?: unknown;
  description?: string;
  uriTemplate: string;
  mimeType?: string;
  annotations?: unknown;
  _meta?: unknown;
}

/** The version of the definition hashes this gateway writes (see the header). */
export const HASH_VERSION = 2;
export type HashVersion = 1 | 2;

/**
 * Every field of a tool definition, as the current hash covers it. A test compares this list with the keys of the
 * SDK's ToolSchema: a field the SDK adds must be added here (or to TOOL_FIELDS_IGNORED, with a reason).
 */
export const TOOL_FIELDS = [
  'name',
  'title',
  'icons',
  'description',
  'inputSchema',
  'outputSchema',
  'annotations',
  'execution',
  '_meta',
] as const satisfies readonly (keyof ToolLike)[];

/** Tool fields the hash leaves out, each with the reason. None: everything relayed to a client is covered. */
export const TOOL_FIELDS_IGNORED: Readonly<Record<string, string>> = {};

export const PROMPT_FIELDS = ['name', 'title', 'icons', 'description', 'arguments', '_meta'] as const;
export const PROMPT_ARGUMENT_FIELDS = ['name', 'title', 'description', 'required'] as const;
export const RESOURCE_TEMPLATE_FIELDS = [
  'name',
  'title',
  'icons',
  'uriTemplate',
  'description',
  'mimeType',
  'annotations',
  '_meta',
] as const;

function pick(value: object, fields: readonly string[]): Record<string, unknown> {
  const record = value as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, Object.hasOwn(record, f) ? record[f] : undefined]));
}

/** A canonical definition: what is hashed and what the lockfile keeps for `tools diff`. */
export type Definition = { [key: string]: JsonValue };

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The hash of a canonical definition. */
export function definitionHash(definition: Definition): string {
  return sha256Hex(canonicalJson(definition));
}

/** The canonical definition of a tool, as the current hash version covers it. */
export function toolDefinition(tool: ToolLike): Definition {
  return toolDefinitionAt(tool, HASH_VERSION);
}

/** The canonical definition of a tool as hash `version` covers it (an older pin or manifest is checked with it). */
export function toolDefinitionAt(tool: ToolLike, version: HashVersion): Definition {
  if (version === 1)
    return canonicalize({
      name: tool.name,
      title: tool.title,
      description: tool.description,
      inputSchema: tool.inputSchema,
      outputSchema: tool.outputSchema,
      annotations: tool.annotations,
    }) as Definition;
  return canonicalize(pick(tool, TOOL_FIELDS)) as Definition;
}

/** The current hash of a tool (one argument, so that `tools.map(toolHash)` is safe). */
export function toolHash(tool: ToolLike): string {
  return definitionHash(toolDefinition(tool));
}

export function toolHashAt(tool: ToolLike, version: HashVersion): string {
  return definitionHash(toolDefinitionAt(tool, version));
}

export function promptDefinition(prompt: PromptLike): Definition {
  return canonicalize({
    ...pick(prompt, PROMPT_FIELDS),
    arguments: prompt.arguments?.map((a) => pick(a, PROMPT_ARGUMENT_FIELDS)),
  }) as Definition;
}

export function promptHash(prompt: PromptLike): string {
  return definitionHash(promptDefinition(prompt));
}

export function resourceTemplateDefinition(template: ResourceTemplateLike): Definition {
  return canonicalize(pick(template, RESOURCE_TEMPLATE_FIELDS)) as Definition;
}

export function resourceTemplateHash(template: ResourceTemplateLike): string {
  return definitionHash(resourceTemplateDefinition(template));
}

/** The server hash from tool hashes already computed (a lockfile entry, a manifest). */
export function serverHashOf(toolHashes: Iterable<string>): string {
  return sha256Hex(canonicalJson({ tools: [...toolHashes].sort() }));
}

/** The server hash of a live catalog: over the sorted hashes of its tools. */
export function serverHash(catalog: { readonly tools: readonly ToolLike[] }): string {
  return serverHashOf(catalog.tools.map(toolHash));
}
