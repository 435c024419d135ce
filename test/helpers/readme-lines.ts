/**
 * Reads README.md the way a newcomer does: every command line of its ```sh blocks (continuation lines joined,
 * comments stripped, blank lines dropped) and its ```json blocks, each with the `##` section it sits in, in the
 * order of the file. The README test runs these lines or names why one is not run, so a doc line cannot rot
 * (issue 17). A block that is not closed is an error, not a silently shorter list.
 */
import fs from 'node:fs';

export interface ReadmeItem {
  kind: 'sh' | 'json';
  /** The `##` heading above the block, without the hashes. */
  section: string;
  /** 1-based line in README.md where the command (or the JSON block) starts. */
  lineNo: number;
  /** A shell command line, or the JSON block's text. */
  text: string;
}

/**
 * Removes a shell comment: a `#` at the start of a word, outside quotes. `${file:x#KEY}` and `a#b` stay, because
 * there `#` does not start a word.
 */
export function stripShellComment(line: string): string {
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (c === '\\') i++;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return line.slice(0, i).trimEnd();
  }
  return line.trimEnd();
}

export function readmeItems(text: string): ReadmeItem[] {
  const lines = text.split('\n');
  const items: ReadmeItem[] = [];
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) {
      section = heading[1]!.trim();
      continue;
    }
    const fence = /^```(\w*)\s*$/.exec(line);
    if (!fence) continue;
    const lang = fence[1]!;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    if (i >= lines.length) throw new Error(`README.md:${start + 1}: the \`\`\`${lang} block is not closed`);
    if (lang === 'json') items.push({ kind: 'json', section, lineNo: start + 2, text: body.join('\n') });
    if (lang !== 'sh') continue;
    let pending = '';
    let pendingNo = 0;
    body.forEach((raw, k) => {
      const lineNo = start + 2 + k;
      const code = stripShellComment(raw);
      if (pending === '') pendingNo = lineNo;
      if (code.endsWith('\\')) {
        pending += code.slice(0, -1).trim() + ' ';
        return;
      }
      const joined = (pending + code.trim()).trim();
      pending = '';
      if (joined !== '') items.push({ kind: 'sh', section, lineNo: pendingNo, text: joined });
    });
    if (pending.trim() !== '') throw new Error(`README.md:${pendingNo}: a continued line ends the block`);
  }
  return items;
}

export function readReadme(file: string): ReadmeItem[] {
  return readmeItems(fs.readFileSync(file, 'utf8'));
}
