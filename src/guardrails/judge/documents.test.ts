import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createPolicyLibrary, loadPolicyDocuments, pdfText, ruleStem, splitRules } from './documents.js';
import { makePdf } from '../../../test/support/pdf-fixture.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'smg-docs-'));

describe('policy documents', () => {
  it('reads a PDF made in the test and numbers its rules', async () => {
    const dir = tmp();
    const file = path.join(dir, 'Data Handling.pdf');
    fs.writeFileSync(
      file,
      makePdf([
        'Data handling policy',
        '1. Never share customer account numbers (IBANs included).',
        '2. Do not mention project Falcon outside the team.',
        '3. Answers must be in English,',
        'unless the user writes in another language.',
      ]),
    );
    for (let i = 0; i < 2; i++) {
      const { rules, version } = await loadPolicyDocuments([file]);
      expect(rules).toEqual([
        {
          id: 'Data-Handling.1',
          text: 'Never share customer account numbers (IBANs included).',
          section: 'Data handling policy',
          source: 'Data Handling.pdf',
        },
        {
          id: 'Data-Handling.2',
          text: 'Do not mention project Falcon outside the team.',
          section: 'Data handling policy',
          source: 'Data Handling.pdf',
        },
        {
          id: 'Data-Handling.3',
          text: 'Answers must be in English, unless the user writes in another language.',
          section: 'Data handling policy',
          source: 'Data Handling.pdf',
        },
      ]);
      expect(version).toMatch(/^[0-9a-f]{16}$/);
    }
  });

  it('splits Markdown and text into rules: list items and paragraphs, headings as sections', () => {
    const md = [
      '# Security',
      '',
      'All access is logged.',
      '',
      '## Data',
      '- Never paste secrets',
      '  into tickets.',
      '* Keep PII in the EU.',
      '3) Old numbering is dropped.',
      '',
      'A plain paragraph',
      'over two lines.',
    ].join('\r\n');
    for (let i = 0; i < 2; i++)
      expect(splitRules(md, 'sec', 'sec.md').map((r) => [r.id, r.section, r.text])).toEqual([
        ['sec.1', 'Security', 'All access is logged.'],
        ['sec.2', 'Data', 'Never paste secrets into tickets.'],
        ['sec.3', 'Data', 'Keep PII in the EU.'],
        ['sec.4', 'Data', 'Old numbering is dropped.'],
        ['sec.5', 'Data', 'A plain paragraph over two lines.'],
      ]);
    const long = splitRules('x'.repeat(1500), 's', 's.txt')[0]!.text;
    expect(long).toMatch(/\[rule cut at 1000 chars\]$/);
    expect(splitRules('---\n\n***', 's', 's.txt')).toEqual([]);
  });

  it.each([
    ['/p/data-handling.pdf', 'data-handling'],
    ['rules.v2.md', 'rules-v2'],
    ['/p/..md', 'policy'],
  ])('derives the rule prefix of %s', (file, stem) => {
    expect(ruleStem(file)).toBe(stem);
    expect(ruleStem(file)).toBe(stem);
  });

  it('gives two documents with one stem distinct prefixes, and changes the version with the text', async () => {
    const a = tmp();
    const b = tmp();
    fs.writeFileSync(path.join(a, 'rules.md'), '- one\n');
    fs.writeFileSync(path.join(b, 'rules.txt'), 'two\n');
    const r = await loadPolicyDocuments([path.join(a, 'rules.md'), path.join(b, 'rules.txt')]);
    expect(r.rules.map((x) => x.id)).toEqual(['rules.1', 'rules-2.1']);
    fs.writeFileSync(path.join(b, 'rules.txt'), 'three\n');
    const r2 = await loadPolicyDocuments([path.join(a, 'rules.md'), path.join(b, 'rules.txt')]);
    expect(r2.version).not.toBe(r.version);
  });

  it.each([
    ['missing.md', null, /missing\.md cannot be read: ENOENT/],
    ['rules.docx', 'x', /unsupported document type "\.docx"/],
    ['empty.md', '\n\n', /has no rules/],
    ['broken.pdf', '%PDF-1.4 garbage', /broken\.pdf cannot be read/],
    ['blank.pdf', 'PDF:', /blank\.pdf has no rules \(no text: a scanned PDF/],
  ])('fails with a clear reason for %s', async (name, content, message) => {
    const dir = tmp();
    const file = path.join(dir, name);
    if (content === 'PDF:') fs.writeFileSync(file, makePdf([]));
    else if (content !== null) fs.writeFileSync(file, content);
    await expect(loadPolicyDocuments([file])).rejects.toThrow(message);
  });

  it('reads the text of a PDF line by line', async () => {
    expect(await pdfText(new Uint8Array(makePdf(['a (b) c', 'second'])))).toBe('a (b) c\nsecond');
  });

  it('re-reads a document when it changes, and fails closed while it is unreadable', async () => {
    const dir = tmp();
    const file = path.join(dir, 'rules.md');
    fs.writeFileSync(file, '- first rule\n');
    const lib = createPolicyLibrary([file], { intervalMs: 20 });
    try {
      expect((await lib.current()).rules.map((r) => r.text)).toEqual(['first rule']);
      fs.writeFileSync(file, '- first rule\n- a new rule, added later\n');
      await waitFor(async () => (await lib.current()).rules.length === 2);
      fs.rmSync(file);
      await waitFor(() =>
        lib.current().then(
          () => false,
          () => true,
        ),
      );
      await expect(lib.current()).rejects.toThrow(/cannot be read/);
    } finally {
      lib.close();
    }
    const still = createPolicyLibrary([path.join(dir, 'nope.md')], { watch: false });
    await expect(still.current()).rejects.toThrow(/cannot be read/);
    still.close();
  });
});

async function waitFor(ok: () => Promise<boolean> | boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await ok()) return;
    await sleep(20);
  }
  throw new Error('condition not met in time');
}
