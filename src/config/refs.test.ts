import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDotenvLine, parseDotenv, resolveRefs } from './refs.js';

describe('${file:PATH#KEY} references', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-refs-'));
  fs.mkdirSync(path.join(dir, 'secrets'));
  fs.writeFileSync(
    path.join(dir, 'secrets', 'gh.env'),
    '# comment\nGITHUB_TOKEN=ghp_abc\nexport QUOTED="a b#c"\nSINGLE=\'x y\'\n\nEMPTY=\n',
  );
  const ctx = { env: {}, baseDir: dir };

  it.each([
    ['${file:secrets/gh.env#GITHUB_TOKEN}', 'ghp_abc'],
    ['Bearer ${file:secrets/gh.env#QUOTED}', 'Bearer a b#c'],
    ['${file:secrets/gh.env#SINGLE}', 'x y'],
    ['${file:secrets/gh.env#EMPTY}', ''],
  ])('resolves %s', (ref, expected) => {
    expect(resolveRefs(ref, ctx)).toBe(expected);
    expect(resolveRefs(ref, ctx)).toBe(expected);
  });

  it('reads the whole file without #KEY, as before', () => {
    expect(resolveRefs('${file:secrets/gh.env}', ctx)).toMatch(/^# comment\nGITHUB_TOKEN=ghp_abc/);
  });

  it('names the file and the key that is missing', () => {
    expect(() => resolveRefs('${file:secrets/gh.env#NOPE}', ctx)).toThrow(/gh\.env has no NOPE= line/);
    expect(() => resolveRefs('${file:secrets/none.env#A}', ctx)).toThrow(/cannot read .*none\.env \(ENOENT\)/);
  });

  it.each(['plain', 'with space', 'quote"s', 'hash#tag', 'new\nline', '', 'a=b'])(
    'writes %j so that it reads back exactly',
    (value) => {
      expect(parseDotenv(formatDotenvLine('K', value)).get('K')).toBe(value);
    },
  );
});
