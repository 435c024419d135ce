/**
 * Reading and editing one client config file (issue 8). Files are read as JSONC (comments and trailing commas are
 * accepted wherever the client accepts them) and edited with jsonc-parser's `modify` + `applyEdits`, which touch only
 * the bytes of the changed properties: comments, unrelated settings, key order, indentation and line endings stay as
 * they were. Writes are atomic (a temporary file in the same folder, then rename) and keep the file's mode.
 *
 * Failure mode: a file that does not parse throws an Error naming the file, line and column, and nothing is written.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  applyEdits,
  getNodeValue,
  findNodeAtLocation,
  modify,
  parseTree,
  printParseErrorCode,
  type FormattingOptions,
  type JSONPath,
  type Node,
  type ParseError,
} from 'jsonc-parser';
import type { ClientFile, ClientInfo } from './catalog.js';
import { parseEntry, type ClientServer } from './entries.js';

export interface ReadClientFile {
  file: ClientFile;
  client: ClientInfo;
  /** The bytes as read ('' when the file does not exist). */
  text: string;
  exists: boolean;
  /** Every server entry, from every server map in the file. */
  servers: ClientServer[];
  /** JSON paths of the server maps (Claude Code's ~/.claude.json has one per project, too). */
  locations: JSONPath[];
}

export function readClientFile(client: ClientInfo, file: ClientFile): ReadClientFile {
  let text = '';
  let exists = false;
  try {
    text = fs.readFileSync(file.path, 'utf8');
    exists = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const root = exists ? parseJsonc(text, file.path) : undefined;
  const locations = serverLocations(client, root);
  const servers: ClientServer[] = [];
  for (const at of locations) {
    const node = root && findNodeAtLocation(root, at);
    if (!node || node.type !== 'object') continue;
    const map = JSON.parse(JSON.stringify(getNodeValue(node))) as Record<string, unknown>;
    for (const [name, raw] of Object.entries(map))
      servers.push(
        parseEntry(name, raw, {
          client: client.id,
          dialect: client.dialect,
          file: file.path,
          scope: file.scope,
          location: at,
          ...(file.projectDir === undefined ? {} : { project: file.projectDir }),
        }),
      );
  }
  return { file, client, text, exists, servers, locations };
}

/** Parses JSONC into a tree; an empty file is an empty object, as clients treat it. */
export function parseJsonc(text: string, where: string): Node | undefined {
  if (text.trim() === '') return undefined;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const before = text.slice(0, first.offset);
    const line = before.split('\n').length;
    const column = first.offset - before.lastIndexOf('\n');
    throw new Error(`${where}: cannot parse (${printParseErrorCode(first.error)} at line ${line}, column ${column})`);
  }
  if (root?.type !== 'object') throw new Error(`${where}: expected a JSON object at the top`);
  return root;
}

/** The top-level server map, and for Claude Code each project's own map in ~/.claude.json. */
function serverLocations(client: ClientInfo, root: Node | undefined): JSONPath[] {
  const out: JSONPath[] = [[client.serversKey]];
  if (client.id === 'claude-code' && root) {
    const projects = findNodeAtLocation(root, ['projects']);
    if (projects?.type === 'object')
      for (const prop of projects.children ?? []) {
        const key = prop.children?.[0]?.value as string | undefined;
        if (key !== undefined && findNodeAtLocation(root, ['projects', key, 'mcpServers']))
          out.push(['projects', key, 'mcpServers']);
      }
  }
  return out;
}

/** Indentation and line endings as the file already has them, so that inserted text looks native. */
export function detectFormatting(text: string): FormattingOptions {
  const indent = /^([ \t]+)\S/m.exec(text)?.[1] ?? '  ';
  return {
    insertSpaces: !indent.startsWith('\t'),
    tabSize: indent.startsWith('\t') ? 1 : indent.length,
    eol: text.includes('\r\n') ? '\r\n' : '\n',
    insertFinalNewline: text === '' || text.endsWith('\n'),
  };
}

export interface Edit {
  at: JSONPath;
  /** undefined removes the property. */
  value: unknown;
}

/** Applies the edits one after another, each on the previous result. */
export function editJsonc(text: string, edits: readonly Edit[]): string {
  const formattingOptions = detectFormatting(text);
  let out = text.trim() === '' ? '{}' + (formattingOptions.eol ?? '\n') : text;
  for (const e of edits)
    out = applyEdits(out, modify(out, e.at, e.value, { formattingOptions, getInsertionIndex: (keys) => keys.length }));
  return out;
}

/** The value at a path, or undefined. */
export function valueAt(text: string, at: JSONPath): unknown {
  const root = parseJsonc(text, '(text)');
  const node = root && findNodeAtLocation(root, at);
  return node ? (getNodeValue(node) as unknown) : undefined;
}

/**
 * Writes `text` to `file` atomically: a temporary file beside it, fsync, rename. The file keeps its mode (or gets
 * `mode` when it is new), and its folder is created when missing.
 */
export function writeAtomic(file: string, text: string, mode = 0o600): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let keep = mode;
  try {
    keep = fs.statSync(file).mode & 0o777;
  } catch {
    // a new file
  }
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', keep);
  try {
    fs.writeFileSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.chmodSync(tmp, keep);
    fs.renameSync(tmp, file);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}
