import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPathFixture,
  fillPath,
  PATH_ATTACKS,
  PATH_BENIGN,
  type PathFixture,
} from '../../../test/support/arg-corpus.js';
import { createPathCheck, type PathOptions } from './path.js';

let dir: string;
let fx: PathFixture;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'smg-path-'));
  fx = createPathFixture(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function checker(options: PathOptions | undefined) {
  return createPathCheck({ within: options?.within?.map((w) => fillPath(w, fx)) });
}

describe('path check', () => {
  it.each(PATH_ATTACKS)('blocks $note ($value) as $expect', ({ value, expect: ruleId, options }) => {
    const check = checker(options);
    for (let i = 0; i < 2; i++) {
      const v = check.check(fillPath(value, fx), { cwd: fx.cwd });
      expect(v?.ruleId).toBe(ruleId);
      expect(v?.reason).toMatch(/path|file URL/);
    }
  });

  it.each(PATH_BENIGN)('allows $note ($value)', ({ value, options }) => {
    const check = checker(options);
    for (let i = 0; i < 2; i++) expect(check.check(fillPath(value, fx), { cwd: fx.cwd })).toBeNull();
  });

  it('names the resolved target of a symlink escape and the allowed directories', () => {
    const v = createPathCheck().check('link-out/secret.txt', { cwd: fx.cwd });
    expect(v?.reason).toBe(
      `path "link-out/secret.txt" leaves the allowed directories (${fx.cwd}) through a symbolic link: ` +
        `it resolves to ${fx.root}/outside/secret.txt`,
    );
  });

  it('uses the server roots (file URIs or paths) when within is not set', () => {
    const check = createPathCheck();
    const roots = [pathToFileURL(path.join(fx.cwd, 'docs')).href, path.join(fx.root, 'work-evil')];
    expect(check.check('docs/readme.md', { cwd: fx.cwd, roots })).toBeNull();
    expect(check.check(`${fx.root}/work-evil/x`, { cwd: fx.cwd, roots })).toBeNull();
    expect(check.check('a..b.txt', { cwd: fx.cwd, roots })?.ruleId).toBe('args.path.outside');
  });

  it('allows nothing when the server has an empty list of roots', () => {
    const v = createPathCheck().check('docs/readme.md', { cwd: fx.cwd, roots: [] });
    expect(v?.ruleId).toBe('args.path.outside');
    expect(v?.reason).toContain('allowed directories ((none))');
  });

  it('resolves within entries through symlinks, and accepts the target spelled either way', () => {
    const check = createPathCheck({ within: ['link-out'] });
    expect(check.check('link-out/secret.txt', { cwd: fx.cwd })).toBeNull();
    expect(check.check(`${fx.root}/outside/secret.txt`, { cwd: fx.cwd })).toBeNull();
    expect(check.check('docs/readme.md', { cwd: fx.cwd })?.ruleId).toBe('args.path.outside');
  });

  it('lists at most three allowed directories in a reason', () => {
    const check = createPathCheck({ within: ['docs', 'sub', 'link-in', '..foo'] });
    expect(check.check('/etc/passwd', { cwd: fx.cwd })?.reason).toContain('and 1 more');
  });

  it('fails closed when a segment cannot be examined', () => {
    const v = createPathCheck().check(`docs/${'x'.repeat(300)}/y`, { cwd: fx.cwd });
    expect(v?.ruleId).toBe('args.path.unresolvable');
    expect(v?.reason).toContain('ENAMETOOLONG');
  });

  it('fails closed when the cwd itself cannot be resolved', () => {
    const v = createPathCheck().check('x', { cwd: path.join(fx.cwd, 'loop-a') });
    expect(v).toMatchObject({ ruleId: 'args.path.unresolvable' });
    expect(v?.reason).toMatch(/cwd cannot be resolved/);
  });

  it('does not quote a long value in full', () => {
    const v = createPathCheck().check(`/etc/${'s'.repeat(100)}`, { cwd: fx.cwd });
    expect(v?.reason).toContain('(105 chars)');
    expect(v?.reason).not.toContain('s'.repeat(60));
  });

  it('treats overlong UTF-8 percent sequences as replacement characters, not separators', () => {
    expect(createPathCheck().check('..%c0%af..%c0%afetc', { cwd: fx.cwd })).toBeNull();
  });
});

describe('path check: credential locations (issue 15, class 8)', () => {
  let home: string;
  beforeAll(() => {
    // A fake home folder that is itself the server's root: roots do not make its keys reachable.
    home = realpathSync(mkdtempSync(path.join(tmpdir(), 'smg-home-')));
    mkdirSync(path.join(home, '.ssh'));
    writeFileSync(path.join(home, '.ssh', 'id_rsa'), 'KEY');
    writeFileSync(path.join(home, '.ssh', 'config'), 'Host *');
    writeFileSync(path.join(home, 'notes.txt'), 'notes');
    writeFileSync(path.join(home, '.env.example'), 'A=');
    symlinkSync(path.join(home, '.ssh', 'id_rsa'), path.join(home, 'innocent.txt'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  const ctx = () => ({ cwd: home, roots: [home] });

  it.each([
    ['.ssh/id_rsa'],
    ['./.ssh/config'],
    ['notes/../.ssh/id_rsa'],
    ['%2essh%2fid_rsa'],
    ['.ssh\\id_rsa'],
    ['.env'],
    ['.aws/credentials'],
  ])('refuses %s inside the roots as args.path.credential', (rel) => {
    const check = createPathCheck();
    for (let i = 0; i < 2; i++) {
      const v = check.check(rel, ctx());
      expect(v?.ruleId).toBe('args.path.credential');
      expect(v?.reason).toMatch(/credential location/);
    }
    expect(check.check(path.join(home, rel), ctx())?.ruleId).toBe('args.path.credential');
    expect(check.check(pathToFileURL(path.join(home, rel)).href, ctx())?.ruleId).toBe('args.path.credential');
  });

  it('follows a symlink with an innocent name to the key it points at', () => {
    const v = createPathCheck().check('innocent.txt', ctx());
    expect(v?.ruleId).toBe('args.path.credential');
    expect(v?.reason).toContain(`it resolves to ${home}/.ssh/id_rsa`);
  });

  it('refuses a credential location even with within "/" (explicit rules too)', () => {
    expect(createPathCheck({ within: ['/'] }).check('/etc/shadow', { cwd: '/' })?.ruleId).toBe('args.path.credential');
  });

  it.each([['notes.txt'], ['.env.example'], ['.ssh-notes']])('allows the look-alike %s', (rel) => {
    for (let i = 0; i < 2; i++) expect(createPathCheck().check(rel, ctx())).toBeNull();
  });

  it('lets a server allow all credential locations, or listed ones only', () => {
    const check = createPathCheck();
    expect(check.check('.ssh/id_rsa', { ...ctx(), credentialPaths: 'allow' })).toBeNull();
    const listed = { ...ctx(), credentialPaths: [path.join(home, '.ssh', 'config')] };
    expect(check.check('.ssh/config', listed)).toBeNull();
    expect(check.check('.ssh/id_rsa', listed)?.ruleId).toBe('args.path.credential');
    // A directory entry allows what is inside it; an entry elsewhere allows nothing here.
    expect(check.check('.ssh/id_rsa', { ...ctx(), credentialPaths: ['.ssh'] })).toBeNull();
    expect(check.check('.ssh/id_rsa', { ...ctx(), credentialPaths: ['loop/x'] })?.ruleId).toBe('args.path.credential');
    // The roots still apply to an allowed credential location.
    expect(check.check('/etc/shadow', { ...ctx(), credentialPaths: 'allow' })?.ruleId).toBe('args.path.outside');
  });
});
