/**
 * `npm run demo` as a newcomer runs it: the built dist/demo.js, which starts the built gateway on
 * config/example.config.json with the real server-everything and server-filesystem. Every step that the README shows
 * must happen with the rule id it names, the made-up secret must never reach the output, and the demo cleans up.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/gateway.js';

const DEMO = path.join(ROOT, 'dist/demo.js');
// The shape of an AWS access key id: whatever key the demo plants, none may be printed.
const AWS_KEY = /(?:AKIA|ASIA)[A-Z2-7]{16}/;

let stdout = '';
let stderr = '';
let tmp = '';

/** The lines of one step: its ▸ title and the indented lines under it, up to the next ▸. */
function stepOf(title: string): string {
  const at = stdout.indexOf(`▸ ${title}`);
  expect(at, `step "${title}" in:\n${stdout}`).toBeGreaterThanOrEqual(0);
  const next = stdout.indexOf('\n▸ ', at + 1);
  return stdout.slice(at, next === -1 ? undefined : next);
}

describe('npm run demo', () => {
  beforeAll(async () => {
    tmp = tempDir('smg-e2e-demo-');
    const r = await promisify(execFile)(process.execPath, [DEMO], {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp, SMG_HOME: undefined, SMG_CONFIG: undefined, SMG_WORKSPACE: undefined },
      timeout: 50_000,
      encoding: 'utf8',
    });
    stdout = r.stdout;
    stderr = r.stderr;
  }, 60_000);

  it.each([
    ['blocked by the parameter check: everything__get-sum', 'blocked by parameter check schema.invalid-arguments:'],
    ['blocked by the input guardrail: everything__echo', 'blocked by input guardrail size.max-argument-bytes:'],
    [
      'blocked by the output guardrail: fs__read_text_file of meeting-notes.md',
      'blocked by output guardrail injection.',
    ],
    ['blocked by the parameter check: fs__read_text_file {"path": "/etc/passwd"}', 'args.path.outside'],
    [
      'blocked by the parameter check: everything__gzip-file-as-resource',
      'blocked by parameter check args.url.metadata:',
    ],
    ['not even visible: everything__get-env', 'JSON-RPC error -32602: Unknown tool: everything__get-env'],
  ])('shows "%s" stopped with %s', (title, expected) => {
    expect(stepOf(title)).toContain(expected);
  });

  it('withholds the injected instruction and names every injection rule it matched', () => {
    const step = stepOf('blocked by the output guardrail');
    expect(step).toMatch(/blocked by output guardrail injection\.[a-z-]+: .*chars withheld/);
    expect(step).toMatch(/also matched: injection\.[a-z-]+/);
    expect(step).not.toMatch(/ignore all previous instructions/i);
    expect(step).not.toContain('attacker.example');
  });

  it('shows the redacted line and the secrets rule from the audit log, and never the key', () => {
    const step = stepOf('redacted by the output guardrail');
    expect(step).toContain('AWS_ACCESS_KEY_ID=[REDACTED:SECRET]');
    expect(step).toContain("the file's other 2 lines come back unchanged");
    expect(step).toContain('audit log: redacted secrets.aws-access-token at content[0].text');
    expect(stdout).not.toMatch(AWS_KEY);
    expect(stderr).not.toMatch(AWS_KEY);
  });

  it('keeps the allowed calls working and counts the blocks in the gateway log', () => {
    expect(stepOf('allowed: everything__echo')).toContain('Echo: hello through the gateway');
    expect(stepOf('allowed: fs__write_file')).toContain('# written via the gateway');
    expect(stepOf('tools/list')).toContain('everything__gzip-file-as-resource');
    expect(stdout).toContain(
      'its log recorded 5 blocked calls: everything/get-sum (schema.invalid-arguments), everything/echo (size.max-argument-bytes), fs/read_text_file (injection.',
    );
    expect(stdout).toMatch(
      /fs\/read_text_file \(args\.path\.outside\), everything\/gzip-file-as-resource \(args\.url\.metadata\)$/m,
    );
  });

  it("prints every line of the README's Quick start block (… stands for the temporary folder's name)", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /```\n(▸ blocked by[^`]*)```/.exec(readme)?.[1] ?? '';
    const lines = block.split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThanOrEqual(14);
    for (const line of lines) {
      const pattern = line
        .trim()
        .split('…')
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/)]+');
      // The test's TMPDIR stands where a user's /tmp would be.
      expect(stdout.replaceAll(`${tmp}/`, '/tmp/'), line).toMatch(new RegExp(`^\\s*${pattern}$`, 'm'));
    }
  });

  it('removes its temporary workspace and home', () => {
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('smg-demo-'))).toEqual([]);
  });
});
