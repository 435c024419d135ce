import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  checkLauncher,
  configLauncherFindings,
  detectLauncher,
  launcherIssues,
  launcherPin,
  pinnedArg,
  resolveNpxVersion,
} from './launcher.js';

/** The verdict for each package of a command, as `rule/severity@where` (or `ok`), checked twice. */
function verdicts(command: string, args: string[]): string[] {
  const first = checkLauncher(command, args);
  expect(checkLauncher(command, args)).toEqual(first);
  return first.map((f) => `${f.ruleId}/${f.severity}@${f.where}`);
}

describe('launcher pinning: npm', () => {
  it.each<[string, string[], string[]]>([
    ['npx', ['-y', '@modelcontextprotocol/server-filesystem', '/work'], ['launcher.unpinned/medium@args[1]']],
    ['npx', ['-y', '@modelcontextprotocol/server-filesystem@latest', '/work'], ['launcher.unpinned/medium@args[1]']],
    ['npx', ['-y', '@modelcontextprotocol/server-filesystem@2026.8.31', '/work'], []],
    ['npx', ['--yes', 'mcp-server@1.2.3-beta.1'], []],
    ['npx', ['mcp-server@^1.2.0'], ['launcher.version-range/low@args[0]']],
    ['npx', ['mcp-server@1.x'], ['launcher.version-range/low@args[0]']],
    ['npx', ['mcp-server@next'], ['launcher.unpinned/medium@args[0]']],
    ['npx', ['mcp-server@'], ['launcher.unpinned/medium@args[0]']],
    ['npx', ['--registry', 'https://r.example', '-y', 'pkg@1.0.0'], []],
    ['npx', ['--registry=https://r.example', 'pkg'], ['launcher.unpinned/medium@args[1]']],
    ['npx', ['-p', 'pkg@1.0.0', '-p', 'other', 'bin-name'], ['launcher.unpinned/medium@args[3]']],
    ['npx', ['--package=pkg@1.0.0', 'bin-name', 'pkg-looking-arg'], []],
    ['npx', ['--', 'pkg'], ['launcher.unpinned/medium@args[1]']],
    ['npx', ['./local/server.js'], []],
    ['npx', ['file:../server'], []],
    ['npx', ['github:owner/repo'], ['launcher.unpinned/medium@args[0]']],
    ['npx', ['owner/repo#0123456789abcdef0123456789abcdef01234567'], []],
    ['npx', ['https://registry.example/pkg-1.0.0.tgz'], []],
    ['npx', ['-y'], []],
    ['/usr/local/bin/npx', ['pkg'], ['launcher.unpinned/medium@args[0]']],
    ['npx.cmd', ['pkg@1.0.0'], []],
    ['C:\\Program Files\\nodejs\\npx.cmd', ['pkg'], ['launcher.unpinned/medium@args[0]']],
    ['cmd', ['/c', 'npx', '-y', 'pkg'], ['launcher.unpinned/medium@args[3]']],
    ['npm', ['exec', '--', 'pkg@latest'], ['launcher.unpinned/medium@args[2]']],
    ['npm', ['x', 'pkg@1.0.0'], []],
    ['npm', ['install', 'pkg'], []],
    ['pnpm', ['dlx', 'pkg'], ['launcher.unpinned/medium@args[1]']],
    ['pnpx', ['pkg@2.0.0'], []],
    ['yarn', ['dlx', 'pkg@latest'], ['launcher.unpinned/medium@args[1]']],
    ['bunx', ['pkg'], ['launcher.unpinned/medium@args[0]']],
    ['bunx', ['--bun', 'pkg@1.0.0'], []],
    ['bun', ['x', 'pkg'], ['launcher.unpinned/medium@args[1]']],
    ['node', ['server.js'], []],
  ])('%s %j → %j', (command, args, expected) => {
    expect(verdicts(command, args)).toEqual(expected);
  });
});

describe('launcher pinning: Python', () => {
  it.each<[string, string[], string[]]>([
    ['uvx', ['mcp-server-fetch'], ['launcher.unpinned/medium@args[0]']],
    ['uvx', ['mcp-server-fetch==2025.4.7'], []],
    ['uvx', ['mcp-server-fetch===2025.4.7'], []],
    ['uvx', ['mcp-server-fetch@2025.4.7'], []],
    ['uvx', ['mcp-server-fetch@latest'], ['launcher.unpinned/medium@args[0]']],
    ['uvx', ['mcp-server-fetch>=2025'], ['launcher.version-range/low@args[0]']],
    ['uvx', ['mcp-server-fetch==2025.*'], ['launcher.version-range/low@args[0]']],
    ['uvx', ['mcp-server[cli]==1.0'], []],
    ['uvx', ['--from', 'mcp-server-git==0.6.2', 'mcp-server-git', '--repository', '.'], []],
    ['uvx', ['--from', 'mcp-server-git', 'mcp-server-git'], ['launcher.unpinned/medium@args[1]']],
    ['uvx', ['--python', '3.12', '--with', 'httpx,rich==13.0', 'tool==1.0'], ['launcher.unpinned/medium@args[3]']],
    ['uvx', ['--from', 'git+https://github.com/o/r', 'cmd'], ['launcher.unpinned/medium@args[1]']],
    ['uvx', ['--from', 'git+https://github.com/o/r@0123456789abcdef0123456789abcdef01234567', 'cmd'], []],
    ['uvx', ['--from', 'pkg @ git+https://github.com/o/r@main', 'cmd'], ['launcher.unpinned/medium@args[1]']],
    ['uvx', ['--from', 'https://files.example/pkg-1.0-py3-none-any.whl', 'cmd'], []],
    ['uvx', ['--from', './local', 'cmd'], []],
    ['uv', ['tool', 'run', 'pkg'], ['launcher.unpinned/medium@args[2]']],
    ['uv', ['run', 'server.py'], []],
    ['pipx', ['run', 'pkg'], ['launcher.unpinned/medium@args[1]']],
    ['pipx', ['run', 'pkg==1.2.3'], []],
    ['pipx', ['run', '--spec', 'pkg==1.2.3', 'app'], []],
    ['pipx', ['run', '--spec', 'pkg~=1.2', 'app'], ['launcher.version-range/low@args[2]']],
    ['pipx', ['install', 'pkg'], []],
    ['uvx', [], []],
  ])('%s %j → %j', (command, args, expected) => {
    expect(verdicts(command, args)).toEqual(expected);
  });
});

describe('launcher pinning: containers', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each<[string, string[], string[]]>([
    ['docker', ['run', '-i', '--rm', 'mcp/fetch'], ['launcher.unpinned/medium@args[3]']],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch:latest'], ['launcher.unpinned/medium@args[3]']],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch:1.2.3'], ['launcher.mutable-tag/low@args[3]']],
    ['docker', ['run', '-i', '--rm', `mcp/fetch@${digest}`], []],
    ['docker', ['run', '-i', '--rm', `mcp/fetch:1.2.3@${digest}`], []],
    ['docker', ['run', '-i', '--rm', 'mcp/fetch@sha256:short'], ['launcher.unpinned/medium@args[3]']],
    [
      'docker',
      [
        'run',
        '-i',
        '--rm',
        '-e',
        'GITHUB_TOKEN',
        '-v',
        '/a:/b',
        '--name=x',
        '--network',
        'none',
        'ghcr.io/github/github-mcp-server',
      ],
      ['launcher.unpinned/medium@args[10]'],
    ],
    ['docker', ['run', '-it', 'localhost:5000/img'], ['launcher.unpinned/medium@args[2]']],
    ['docker', ['run', 'localhost:5000/team/img:2.0', 'serve', '--port', '1'], ['launcher.mutable-tag/low@args[1]']],
    ['docker', ['container', 'run', 'img'], ['launcher.unpinned/medium@args[2]']],
    ['podman', ['run', 'img:latest'], ['launcher.unpinned/medium@args[1]']],
    ['docker', ['exec', 'container', 'cmd'], []],
    ['docker', ['run', '--rm'], []],
  ])('%s %j → %j', (command, args, expected) => {
    expect(verdicts(command, args)).toEqual(expected);
  });
});

describe('launcher details', () => {
  it('says what a command runs', () => {
    expect(detectLauncher('npx', ['-y', '@scope/pkg@1.2.3', 'arg'])).toEqual({
      launcher: 'npx',
      ecosystem: 'npm',
      packages: [{ name: '@scope/pkg', spec: '@scope/pkg@1.2.3', argIndex: 1, version: '1.2.3', pin: 'exact' }],
    });
    expect(detectLauncher('cmd', ['/c'])).toBeUndefined();
    expect(detectLauncher('cmd', ['/x', 'npx', 'pkg'])).toBeUndefined();
  });

  it('names the server and gives a remediation', () => {
    const [f] = checkLauncher('npx', ['-y', 'pkg'], { server: 'fs' });
    expect(f).toEqual({
      ruleId: 'launcher.unpinned',
      severity: 'medium',
      server: 'fs',
      where: 'args[1]',
      message: 'npx runs pkg without a version: whatever the registry serves at start-up runs, unreviewed',
      remediation: 'Pin an exact version: pkg@<version> (npm view pkg version shows the newest).',
    });
    expect(checkLauncher('uvx', ['p'])[0]!.remediation).toBe('Pin an exact version: p==<version>.');
    expect(checkLauncher('docker', ['run', 'i'])[0]!.remediation).toMatch(/^Pin the image by digest: i@sha256:/);
    expect(checkLauncher('npx', ['github:o/r'])[0]!.remediation).toMatch(/full commit hash/);
  });

  it('makes the lockfile entry', () => {
    expect(launcherPin(detectLauncher('npx', ['pkg@1.0.0'])!, '1.0.0')).toEqual({
      launcher: 'npx',
      package: 'pkg',
      requested: '1.0.0',
      resolved: '1.0.0',
    });
    expect(launcherPin(detectLauncher('docker', ['run', `img@sha256:${'b'.repeat(64)}`])!)).toEqual({
      launcher: 'docker',
      package: 'img',
      requested: `sha256:${'b'.repeat(64)}`,
    });
    expect(launcherPin(detectLauncher('npx', ['pkg'])!)).toEqual({ launcher: 'npx', package: 'pkg' });
  });
});

describe('resolving what npx installed, offline', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const install = (entry: string, pkg: string, version: unknown, mtime: number): void => {
    const at = path.join(dir!, '_npx', entry, 'node_modules', pkg);
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: pkg, version }));
    fs.utimesSync(path.join(at, 'package.json'), mtime, mtime);
  };

  it('takes the most recently installed copy', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-npx-'));
    install('aaa', '@scope/pkg', '1.0.0', 1000);
    install('bbb', '@scope/pkg', '1.1.0', 2000);
    install('ccc', '@scope/pkg', 7, 3000);
    install('ddd', 'other', '9.0.0', 4000);
    const found = await resolveNpxVersion('@scope/pkg', { cacheDir: dir });
    expect(found).toEqual({
      version: '1.1.0',
      path: path.join(dir, '_npx', 'bbb', 'node_modules', '@scope/pkg', 'package.json'),
    });
    expect(await resolveNpxVersion('missing', { cacheDir: dir })).toBeUndefined();
    expect(await resolveNpxVersion('x', { cacheDir: path.join(dir, 'nowhere') })).toBeUndefined();
  });
});

describe('the fix in the gateway config (one wording for scan and doctor)', () => {
  let cache: string | undefined;
  afterEach(() => {
    if (cache !== undefined) fs.rmSync(cache, { recursive: true, force: true });
    cache = undefined;
  });

  /** An npm cache where npx last installed `pkg` at `version`. */
  const npmCache = (pkg: string, version: string): string => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-npx-'));
    const at = path.join(cache, '_npx', 'abc', 'node_modules', pkg);
    fs.mkdirSync(at, { recursive: true });
    fs.writeFileSync(path.join(at, 'package.json'), JSON.stringify({ name: pkg, version }));
    return cache;
  };
  const empty = () => {
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-npx-'));
    return cache;
  };

  it.each([
    [
      'npx, version unknown',
      'npx',
      ['-y', '@scope/pkg'],
      'pin it in the gateway config: servers.s.args[1]: "@scope/pkg@<version>" (npm view @scope/pkg version shows the newest)',
    ],
    ['npx @latest', 'npx', ['-y', 'pkg@latest'], 'servers.s.args[1]: "pkg@<version>" (npm view pkg version'],
    ['npx --package=', 'npx', ['--package=pkg', 'bin'], 'servers.s.args[0]: "--package=pkg@<version>"'],
    ['uvx, the package it runs', 'uvx', ['mcp-server-fetch'], 'servers.s.args[0]: "mcp-server-fetch@<version>"'],
    ['uvx --from', 'uvx', ['--from', 'mcp-fetch', 'fetch'], 'servers.s.args[1]: "mcp-fetch==<version>"'],
    ['pipx run', 'pipx', ['run', 'black'], 'servers.s.args[1]: "black==<version>"'],
    [
      'docker run',
      'docker',
      ['run', '-i', 'mcp/github'],
      'servers.s.args[2]: "mcp/github@sha256:<digest>" (docker images --digests shows it)',
    ],
    ['a git source', 'npx', ['github:o/r'], 'servers.s.args[0]: "github:o/r#<40-hex commit>"'],
  ])('words the fix for %s', async (_what, command, args, fix) => {
    const lookup = { npmCacheDir: empty() };
    const [f] = await configLauncherFindings([{ name: 's', command, args }], lookup);
    expect(f!.remediation).toContain(fix);
    expect(f!.remediation.startsWith('pin it in the gateway config: servers.s.args[')).toBe(true);
    expect((await configLauncherFindings([{ name: 's', command, args }], lookup))[0]).toEqual(f);
  });

  it('keeps the finding of checkLauncher and only rewords its fix', async () => {
    const [f] = await configLauncherFindings([{ name: 'fs', command: 'npx', args: ['-y', 'pkg'] }], {
      npmCacheDir: empty(),
    });
    const { remediation: _old, ...plain } = checkLauncher('npx', ['-y', 'pkg'], { server: 'fs' })[0]!;
    expect(f).toMatchObject(plain);
  });

  it('suggests the version npx last installed here, offline', async () => {
    const npmCacheDir = npmCache('@modelcontextprotocol/server-memory', '2025.9.25');
    const [f] = await configLauncherFindings(
      [{ name: 'memory', command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] }],
      { npmCacheDir },
    );
    expect(f!.remediation).toBe(
      'pin it in the gateway config: servers.memory.args[1]: "@modelcontextprotocol/server-memory@2025.9.25" (the version npx last installed here)',
    );
  });

  it('takes a version the caller knows, and skips servers without a command or a launcher', async () => {
    const issue = launcherIssues('npx', ['-y', 'secure-mcp-gateway', 'start'])[0]!;
    expect(
      await pinnedArg(issue, ['-y', 'secure-mcp-gateway', 'start'], {
        npmCacheDir: empty(),
        known: { 'secure-mcp-gateway': '1.2.3' },
      }),
    ).toEqual({ arg: 'secure-mcp-gateway@1.2.3', note: '' });
    expect(
      await configLauncherFindings([
        { name: 'remote', args: [] },
        { name: 'node', command: 'node', args: ['x.js'] },
        { name: 'pinned', command: 'npx', args: ['-y', 'pkg@1.0.0'] },
      ]),
    ).toEqual([]);
  });
});
