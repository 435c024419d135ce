import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileStore } from '../vault/file.js';
import { formatDotenvLine, hasRef, parseDotenv, RefError, resolveRefs } from './refs.js';

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

describe('${keychain:NAME} references', () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-refs-vault-'));
  const env = { SMG_VAULT: 'file' };
  const ctx = { env, baseDir: home, home };
  createFileStore({ home }).set('GITHUB_TOKEN', 'ghp_fromVault');
  createFileStore({ home }).set('oauth:linear', 'x y');

  it.each([
    ['${keychain:GITHUB_TOKEN}', 'ghp_fromVault'],
    ['Bearer ${keychain:oauth:linear}', 'Bearer x y'],
    ['${ keychain:GITHUB_TOKEN}', '${ keychain:GITHUB_TOKEN}'],
    ['$${keychain:GITHUB_TOKEN}', '${keychain:GITHUB_TOKEN}'],
  ])('resolves %s', (ref, expected) => {
    expect(resolveRefs(ref, ctx)).toBe(expected);
    expect(resolveRefs(ref, ctx)).toBe(expected);
  });

  it('counts as a reference, so its value is masked', () => {
    expect(hasRef('${keychain:GITHUB_TOKEN}')).toBe(true);
    expect(hasRef('${keychain GITHUB_TOKEN}')).toBe(false);
  });

  it('names a missing secret, where it looked, and how to add it', () => {
    expect(() => resolveRefs('${keychain:NOPE}', ctx)).toThrow(
      /secret NOPE is not in the vault \(.*vault\.enc\); add it with `secure-mcp-gateway secrets set NOPE`/,
    );
  });

  it.each(['${keychain:}', '${keychain:a b}', '${keychain:a#1}'])('refuses %s', (ref) => {
    expect(() => resolveRefs(ref, ctx)).toThrow(RefError);
  });

  it('finds the vault under SMG_HOME when the context names no home', () => {
    expect(resolveRefs('${keychain:GITHUB_TOKEN}', { env: { ...env, SMG_HOME: home }, baseDir: '/' })).toBe(
      'ghp_fromVault',
    );
  });

  it('fails closed when the vault cannot be read', () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-refs-broken-'));
    fs.writeFileSync(path.join(broken, 'vault.enc'), 'not json');
    expect(() => resolveRefs('${keychain:GITHUB_TOKEN}', { env, baseDir: broken, home: broken })).toThrow(
      /cannot read \$\{keychain:GITHUB_TOKEN\} from the credential vault: .*vault\.enc is damaged/,
    );
  });
});
