import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPathFixture, fillPath, PATH_ATTACKS, PATH_BENIGN, type PathFixture } from './corpus.js';
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
