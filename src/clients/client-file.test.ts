import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectFormatting, editJsonc, parseJsonc, valueAt, writeAtomic } from './client-file.js';

describe('client config files', () => {
  it('edits JSONC keeping comments, key order, indentation and trailing commas elsewhere', () => {
    const text = '// top\n{\n\t"a": 1, // one\n\t"servers": {\n\t\t"x": { "command": "x" },\n\t},\n\t"z": true,\n}\n';
    const out = editJsonc(text, [
      { at: ['servers', 'gw'], value: { command: 'gw' } },
      { at: ['servers', 'x'], value: undefined },
    ]);
    expect(out).toMatch(/^\/\/ top\n\{\n\t"a": 1, \/\/ one\n\t"servers": \{\n\t\t"gw": \{/);
    expect(out).toMatch(/\n\t"z": true,\n\}\n$/);
    expect(valueAt(out, ['servers'])).toEqual({ gw: { command: 'gw' } });
  });

  it('creates the object in an empty or missing file', () => {
    expect(JSON.parse(editJsonc('', [{ at: ['mcpServers', 'gw'], value: { command: 'gw' } }]))).toEqual({
      mcpServers: { gw: { command: 'gw' } },
    });
  });

  it('keeps CRLF line endings', () => {
    const out = editJsonc('{\r\n  "a": 1\r\n}\r\n', [{ at: ['b'], value: 2 }]);
    expect(out).toBe('{\r\n  "a": 1,\r\n  "b": 2\r\n}\r\n');
    expect(detectFormatting('{\n    "a": 1\n}')).toMatchObject({ insertSpaces: true, tabSize: 4, eol: '\n' });
  });

  it('names the line and column of a syntax error, and refuses a non-object', () => {
    expect(() => parseJsonc('{\n  "a": 1\n  "b": 2\n}', '/f.json')).toThrow(
      /\/f\.json: cannot parse \(CommaExpected at line 3, column 3\)/,
    );
    expect(() => parseJsonc('[1]', '/f.json')).toThrow(/expected a JSON object/);
    expect(parseJsonc('  ', '/f.json')).toBeUndefined();
  });

  it('writes atomically, keeping an existing mode and giving a new file 0600', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-cf-'));
    const f = path.join(dir, 'sub', 'a.json');
    writeAtomic(f, 'one');
    expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    fs.chmodSync(f, 0o644);
    writeAtomic(f, 'two');
    expect(fs.readFileSync(f, 'utf8')).toBe('two');
    expect(fs.statSync(f).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(path.dirname(f))).toEqual(['a.json']);
  });
});
