/**
 * Content hashes of what a server tells the model: SHA-256 (hex) over canonical JSON (canonical.ts) of exactly the
 * fields a model reads or a client acts on (issue 5, scope 1). Pure.
 *
 * - A tool: name, title, description, inputSchema, outputSchema, annotations. Nothing else: `_meta`, `icons`,
 *   `execution` and fields a later protocol revision adds are left out, so that a server that adds tracing data to
 *   `_meta` on every listing, or an SDK upgrade that adds a field, does not look like a rug pull. The cost: a change
 *   only in those fields is not caught (none of them is shown to the model).
 * - A prompt: name, title, description and its arguments (name, title, description, required).
 * - A resource template: name, title, description, uriTemplate, mimeType.
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
  description?: string;
  inputSchema?: unknown;
  outputSchema?: unknown;
  annotations?: unknown;
}

export interface PromptLike {
  name: string;
  title?: string;
  description?: string;
  arguments?: readonly { name: string; title?: string; description?: string; required?: boolean }[];
}

export interface ResourceTemplateLike {
  name: string;
  title?: string;
  description?: string;
  uriTemplate: string;
  mimeType?: string;
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

export function toolDefinition(tool: ToolLike): Definition {
  return canonicalize({
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  }) as Definition;
}

export function toolHash(tool: ToolLike): string {
  return definitionHash(toolDefinition(tool));
}

export function promptDefinition(prompt: PromptLike): Definition {
  return canonicalize({
    name: prompt.name,
    title: prompt.title,
    description: prompt.description,
    arguments: prompt.arguments?.map((a) => ({
      name: a.name,
      title: a.title,
      description: a.description,
      required: a.required,
    })),
  }) as Definition;
}

export function promptHash(prompt: PromptLike): string {
  return definitionHash(promptDefinition(prompt));
}

export function resourceTemplateDefinition(template: ResourceTemplateLike): Definition {
  return canonicalize({
    name: template.name,
    title: template.title,
    description: template.description,
    uriTemplate: template.uriTemplate,
    mimeType: template.mimeType,
  }) as Definition;
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
