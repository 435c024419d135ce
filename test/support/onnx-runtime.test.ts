import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureOnnxRuntime, resolveOnnxRuntime } from './onnx-runtime.js';

// A stand-in for npm: `install --prefix <dir> ... onnxruntime-node@<v>`, played by a script whose behaviour the test
// picks, so no test here touches the registry. It records each call in calls.log.
let root: string;
let calls: string;

function fakeNpm(behaviour: 'install' | 'fail' | 'race'): string {
  const script = path.join(root, `npm-${behaviour}.mjs`);
  fs.writeFileSync(
    script,
    `#!/usr/bin/env node
import fs from 'node:fs';
import path from 'node:path';
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(calls)}, args.join(' ') + '\\n');
const prefix = args[args.indexOf('--prefix') + 1];
const put = (dir) => {
  const pkg = path.join(dir, 'node_modules', 'onnxruntime-node');
  fs.mkdirSync(pkg, { recursive: true });
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'onnxruntime-node', main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = { from: ' + JSON.stringify(dir) + ' };');
};
if (${JSON.stringify(behaviour)} === 'fail') {
  console.log('npm http fetch GET https://registry.npmjs.org/onnxruntime-node');
  console.error('npm error code ECONNREFUSED');
  process.exit(1);
}
// 'race': another run publishes the same version while this one installs.
if (${JSON.stringify(behaviour)} === 'race') put(prefix.replace(/\\.tmp-\\d+$/, ''));
put(prefix);
`,
  );
  fs.chmodSync(script, 0o755);
  return script;
}

function callCount(): number {
  return fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8').trim().split('\n').length : 0;
}

const cacheDir = () => path.join(root, 'node_modules', '.cache', 'smg-onnxruntime', '1.30.0');

beforeEach(() => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'smg-ort-')));
  fs.writeFileSync(path.join(root, 'package.json'), '{"name":"checkout","private":true}');
  fs.mkdirSync(path.join(root, 'node_modules'));
  calls = path.join(root, 'calls.log');
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('ensureOnnxRuntime', () => {
  it('leaves an installed runtime alone and runs no npm', () => {
    const pkg = path.join(root, 'node_modules', 'onnxruntime-node');
    fs.mkdirSync(pkg);
    fs.writeFileSync(path.join(pkg, 'package.json'), '{"name":"onnxruntime-node"}');
    expect(ensureOnnxRuntime({ root, npm: fakeNpm('fail') })).toBe('present');
    expect(callCount()).toBe(0);
  });

  it('installs the pinned version without its scripts into the cache and links it', () => {
    expect(resolveOnnxRuntime(root)).toBeUndefined();
    expect(ensureOnnxRuntime({ root, npm: fakeNpm('install') })).toBe('installed');
    const args = fs.readFileSync(calls, 'utf8').trim().split(' ');
    expect(args).toEqual(
      expect.arrayContaining(['install', '--ignore-scripts', '--no-save', 'onnxruntime-node@1.30.0']),
    );
    expect(args[args.indexOf('--prefix') + 1]).toMatch(/smg-onnxruntime[/\\]1\.30\.0\.tmp-\d+$/);
    const link = path.join(root, 'node_modules', 'onnxruntime-node');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.realpathSync(link)).toBe(path.join(cacheDir(), 'node_modules', 'onnxruntime-node'));
    expect(resolveOnnxRuntime(root)).toBe(path.join(link, 'package.json'));
    expect(fs.readdirSync(path.dirname(cacheDir()))).toEqual(['1.30.0']);
  });

  it('links the cached install again without npm when the link is gone', () => {
    ensureOnnxRuntime({ root, npm: fakeNpm('install') });
    fs.rmSync(path.join(root, 'node_modules', 'onnxruntime-node'));
    expect(ensureOnnxRuntime({ root, npm: fakeNpm('fail') })).toBe('linked');
    expect(callCount()).toBe(1);
    expect(resolveOnnxRuntime(root)).toBeDefined();
  });

  it('uses the install another run published first and drops its own', () => {
    expect(ensureOnnxRuntime({ root, npm: fakeNpm('race') })).toBe('installed');
    expect(fs.readdirSync(path.dirname(cacheDir()))).toEqual(['1.30.0']);
    expect(resolveOnnxRuntime(root)).toBeDefined();
  });

  it('fails loudly with npm output when npm cannot install, and leaves nothing half-done', () => {
    const npm = fakeNpm('fail');
    expect(() => ensureOnnxRuntime({ root, npm })).toThrow(
      new RegExp(
        `^the local-model tests need onnxruntime-node@1\\.30\\.0 and could not install it \\(${npm} install --prefix .* onnxruntime-node@1\\.30\\.0: exit 1\\)\\n` +
          'npm http fetch GET https://registry.npmjs.org/onnxruntime-node\\nnpm error code ECONNREFUSED',
      ),
    );
    expect(fs.readdirSync(path.dirname(cacheDir()))).toEqual([]);
    expect(fs.existsSync(path.join(root, 'node_modules', 'onnxruntime-node'))).toBe(false);
  });

  it('says so when npm itself cannot be started', () => {
    expect(() => ensureOnnxRuntime({ root, npm: path.join(root, 'no-such-npm') })).toThrow(
      /could not install it .*ENOENT/,
    );
  });
});
