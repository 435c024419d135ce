/**
 * Organisational policy documents → numbered rules, for the judge's policy check. Reads .txt, .md and .pdf files
 * (PDF text through pdfjs-dist's Node build), splits each into rules (one per list item or paragraph; headings
 * only give context) and numbers them `<file stem>.<n>`, so that a verdict names the exact rule it found broken.
 * The rules carry a version (a hash of every rule), which the verdict cache keys on, so a changed document never
 * answers from a verdict about the old one.
 *
 * Files are read at start-up and again when one changes (polled with fs.watchFile, which also sees an editor's
 * save-by-rename). Failure mode: closed. A document that cannot be read or yields no rules makes `current()` throw
 * a JudgeFailure('documents'); the judge stage then blocks (or records the error when fail-open). The gateway never
 * judges against a partial rule set.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { messageOf } from '../../errors.js';
import type * as Pdfjs from 'pdfjs-dist/legacy/build/pdf.mjs';
import type { Logger } from '../../log.js';
import { JudgeFailure } from './client.js';

export interface PolicyRule {
  /** `<file stem>.<n>`, e.g. `data-handling.3`. */
  id: string;
  text: string;
  /** The section heading above the rule, if any. */
  section?: string;
  /** The document's file name. */
  source: string;
}

export interface PolicyRules {
  /** A hash of every rule id and text: the policy version in verdict cache keys. */
  version: string;
  rules: PolicyRule[];
}

/** How long a rule may be in the prompt; a longer paragraph is cut (and says so). */
const MAX_RULE_CHARS = 1000;
const LIST_ITEM = /^(?:[-*+\u2022\u25cf\u25aa\u25e6\u2013]|\(?\d{1,3}[.)]|\(?[a-z][.)]|[ivx]{1,4}[.)])\s+/i;
const MD_HEADING = /^#{1,6}\s+(.*?)\s*#*\s*$/;

/**
 * pdfjs-dist and its worker, loaded on the first PDF. Both are bundled into lazy chunks (build.mjs), so a gateway
 * without a .pdf policy document loads neither, and the package needs no pdfjs-dist at run time. pdfjs in Node runs
 * its worker on the main thread ("fake worker"); it would `import()` the worker by a path relative to pdf.mjs, which
 * a bundle does not keep, so the worker module is handed over through `globalThis.pdfjsWorker`, pdfjs's own hook.
 */
async function loadPdfjs(): Promise<typeof Pdfjs> {
  const g = globalThis as { pdfjsWorker?: unknown; DOMMatrix?: unknown };
  // pdfjs's display layer makes a DOMMatrix as its module loads, for rendering, which text extraction never does.
  // Node has none; pdfjs takes one from @napi-rs/canvas, a 33 MB native package the gateway does not ship, and
  // without it the module throws on load. A stand-in lets it load; any use of it throws, so a document that would
  // need rendering is unreadable (closed) rather than read wrong. pdfjs's own load-time warnings about the missing
  // canvas are silenced at build time (build.mjs).
  g.DOMMatrix ??= DOMMatrixStandIn;
  const [pdfjs, worker] = await Promise.all([
    import('pdfjs-dist/legacy/build/pdf.mjs'),
    import('pdfjs-dist/legacy/build/pdf.worker.mjs'),
  ]);
  g.pdfjsWorker ??= worker;
  return pdfjs;
}

/** Enough of a DOMMatrix for pdfjs to load: it has no methods, so drawing with it throws (see loadPdfjs). */
class DOMMatrixStandIn {}

/** Text of a PDF, a line per text line (pdfjs marks line ends), a blank line between pages. */
export async function pdfText(data: Uint8Array): Promise<string> {
  const pdfjs = await loadPdfjs();
  const doc = await pdfjs.getDocument({
    data,
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    verbosity: 0,
  }).promise;
  try {
    const pages: string[] = [];
    for (let i = 1; i <= doc.numPages; i++) {
      const page = await doc.getPage(i);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) {
        if (!('str' in item)) continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text);
    }
    return pages.join('\n\n');
  } finally {
    await doc.destroy();
  }
}

export async function readDocumentText(file: string): Promise<string> {
  const ext = path.extname(file).toLowerCase();
  const data = await fs.promises.readFile(file);
  if (ext === '.pdf') return pdfText(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (ext === '.txt' || ext === '.md' || ext === '.markdown') return data.toString('utf8');
  throw new Error(`unsupported document type "${ext}" (expected .txt, .md or .pdf)`);
}

/** The stem that prefixes a document's rule ids: file name without extension, in rule-id characters. */
export function ruleStem(file: string): string {
  const stem = path
    .basename(file, path.extname(file))
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return stem === '' ? 'policy' : stem;
}

/**
 * Splits a document into rules: a list item starts a rule (its marker and any old numbering dropped), a blank
 * line or a heading ends one, and other lines continue the current rule or start one (a plain paragraph).
 */
export function splitRules(text: string, stem: string, source: string): PolicyRule[] {
  const rules: PolicyRule[] = [];
  let section: string | undefined;
  let current: string[] | undefined;
  const flush = () => {
    if (current) {
      let t = current.join(' ').replace(/\s+/g, ' ').trim();
      if (t.length > MAX_RULE_CHARS) t = `${t.slice(0, MAX_RULE_CHARS)} [rule cut at ${MAX_RULE_CHARS} chars]`;
      if (/[A-Za-z0-9]/.test(t)) {
        const rule: PolicyRule = { id: `${stem}.${rules.length + 1}`, text: t, source };
        if (section !== undefined) rule.section = section;
        rules.push(rule);
      }
    }
    current = undefined;
  };
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim());
  for (const [i, line] of lines.entries()) {
    if (line === '') {
      flush();
      continue;
    }
    const heading = MD_HEADING.exec(line);
    if (heading) {
      flush();
      section = heading[1];
      continue;
    }
    const item = LIST_ITEM.exec(line);
    if (!item && !current && isTitle(line, lines[i + 1])) {
      // A PDF has no Markdown headings: a short line without closing punctuation, right above a list, is a title.
      section = line.replace(/:$/, '');
      continue;
    }
    if (item) {
      flush();
      current = [line.slice(item[0].length)];
    } else if (current) current.push(line);
    else current = [line];
  }
  flush();
  return rules;
}

function isTitle(line: string, next: string | undefined): boolean {
  return line.length <= 80 && !/[.!?;,)]$/.test(line) && next !== undefined && LIST_ITEM.test(next);
}

export async function loadPolicyDocuments(files: readonly string[]): Promise<PolicyRules> {
  const rules: PolicyRule[] = [];
  const stems = new Map<string, number>();
  for (const file of files) {
    let text: string;
    try {
      text = await readDocumentText(file);
    } catch (error) {
      throw new JudgeFailure('documents', `policy document ${file} cannot be read: ${messageOf(error)}`);
    }
    // Two documents with one stem (two rules.md in different folders) get distinct prefixes.
    let stem = ruleStem(file);
    const seen = stems.get(stem) ?? 0;
    stems.set(stem, seen + 1);
    if (seen > 0) stem = `${stem}-${seen + 1}`;
    const own = splitRules(text, stem, path.basename(file));
    if (own.length === 0)
      throw new JudgeFailure(
        'documents',
        `policy document ${file} has no rules (no text${path.extname(file).toLowerCase() === '.pdf' ? ': a scanned PDF has images, not text' : ''})`,
      );
    rules.push(...own);
  }
  const version = createHash('sha256')
    .update(JSON.stringify(rules.map((r) => [r.id, r.section ?? '', r.text])))
    .digest('hex')
    .slice(0, 16);
  return { version, rules };
}

export interface PolicyLibrary {
  /** The current rules; throws JudgeFailure('documents') while a document cannot be read. */
  current(): Promise<PolicyRules>;
  /** Stops watching the files. */
  close(): void;
}

export interface PolicyLibraryOptions {
  /** Re-read the documents when one changes. Default true. */
  watch?: boolean;
  /** How often fs.watchFile polls. Default 1000 ms. */
  intervalMs?: number;
  log?: Logger;
}

export function createPolicyLibrary(files: readonly string[], opts: PolicyLibraryOptions = {}): PolicyLibrary {
  let loading = loadPolicyDocuments(files);
  // The rejection is handled by whoever asks for the rules; this only keeps Node from calling it unhandled.
  const report = (p: Promise<PolicyRules>, what: string) =>
    p.then(
      (r) => opts.log?.info({ rules: r.rules.length, version: r.version }, `policy documents ${what}`),
      (error: unknown) => opts.log?.error({ err: messageOf(error) }, `policy documents could not be ${what}`),
    );
  void report(loading, 'loaded');
  const watched: string[] = [];
  const onChange = (cur: fs.Stats, prev: fs.Stats) => {
    if (cur.mtimeMs === prev.mtimeMs && cur.size === prev.size && cur.ino === prev.ino) return;
    loading = loadPolicyDocuments(files);
    void report(loading, 'reloaded');
  };
  if (opts.watch !== false)
    for (const file of files) {
      fs.watchFile(file, { interval: opts.intervalMs ?? 1000, persistent: false }, onChange);
      watched.push(file);
    }
  return {
    current: () => loading,
    close() {
      for (const file of watched) fs.unwatchFile(file, onChange);
      watched.length = 0;
    },
  };
}
