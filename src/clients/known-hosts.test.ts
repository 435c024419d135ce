import { describe, expect, it } from 'vitest';
import { SandboxProfileSchema, ServerSandboxSchema } from '../sandbox/config-schema.js';
import { describeProposal, KNOWN_SERVICES, proposeSandbox, type SandboxProposal } from './known-hosts.js';

const npm = 'registry.npmjs.org';
const pypi = ['pypi.org', 'files.pythonhosted.org'];

describe('the sandbox profile init proposes', () => {
  it.each<[string[], SandboxProposal['sandbox'], RegExp]>([
    // An API's host, and the launcher's registry with a persistent home for its cache.
    [
      ['npx', '-y', '@modelcontextprotocol/server-github'],
      { network: { allow: ['api.github.com', npm] }, home: 'persistent' },
      /GitHub API; npx downloads it from registry\.npmjs\.org/,
    ],
    [
      ['npx', '-y', '@modelcontextprotocol/server-github@2025.4.8'],
      { network: { allow: ['api.github.com', npm] }, home: 'persistent' },
      /GitHub/,
    ],
    [
      ['node', '/opt/mcp/node_modules/@modelcontextprotocol/server-github/dist/index.js'],
      { network: { allow: ['api.github.com'] } },
      /^it calls the GitHub API$/,
    ],
    [['docker-free-github-mcp'], { network: { allow: ['api.github.com'] } }, /GitHub/],
    [
      ['npx', '-y', '@modelcontextprotocol/server-slack'],
      { network: { allow: ['slack.com', '*.slack.com', npm] }, home: 'persistent' },
      /Slack/,
    ],
    [
      ['npx', '-y', '@modelcontextprotocol/server-gitlab'],
      { network: { allow: ['gitlab.com', npm] }, home: 'persistent' },
      /GitLab/,
    ],
    [['npx', '-y', 'linear-mcp-server'], { network: { allow: ['api.linear.app', npm] }, home: 'persistent' }, /Linear/],
    [
      ['npx', '-y', '@notionhq/notion-mcp-server'],
      { network: { allow: ['api.notion.com', npm] }, home: 'persistent' },
      /Notion/,
    ],
    [['npx', '@sentry/mcp-server'], { network: { allow: ['sentry.io', npm] }, home: 'persistent' }, /Sentry/],
    [
      ['bunx', '@modelcontextprotocol/server-brave-search'],
      { network: { allow: ['api.search.brave.com', npm] }, home: 'persistent' },
      /Brave Search API; bunx downloads/,
    ],
    // Browsers: the whole network, the launcher's cache still persistent.
    [['uvx', 'mcp-server-fetch'], { network: 'all', home: 'persistent' }, /browses the web/],
    [
      ['npx', '-y', '@modelcontextprotocol/server-puppeteer'],
      { network: 'all', home: 'persistent' },
      /browses the web/,
    ],
    [['npx', '@playwright/mcp@latest'], { network: 'all', home: 'persistent' }, /browses the web/],
    [['python', '-m', 'mcp_server_fetch'], { network: 'all' }, /^it browses the web/],
    // A launcher alone: its registry only.
    [
      ['npx', '-y', '@modelcontextprotocol/server-memory'],
      { network: { allow: [npm] }, home: 'persistent' },
      /^npx downloads it/,
    ],
    [
      ['npx', '-y', '@modelcontextprotocol/server-filesystem', '/work'],
      { network: { allow: [npm] }, home: 'persistent' },
      /npx/,
    ],
    [
      ['uvx', 'mcp-server-sqlite', '--db-path', '/tmp/x.db'],
      { network: { allow: pypi }, home: 'persistent' },
      /pypi\.org and files\.pythonhosted\.org/,
    ],
    [['pipx', 'run', 'mcp-server-time'], { network: { allow: pypi }, home: 'persistent' }, /^pipx downloads/],
    [
      ['C:\\Program Files\\nodejs\\npx.cmd', '-y', 'some-server'],
      { network: { allow: [npm] }, home: 'persistent' },
      /^npx/,
    ],
    // Anything else: the default profile.
    [['node', 'server.js'], true, /default profile: no network/],
    [['/usr/local/bin/mcp-server-memory'], true, /default profile/],
    // A folder that happens to be called "github" is not the server's name.
    [['node', 'server.js', '/home/me/github'], true, /default profile/],
    [['npx', 'githubx-server'], { network: { allow: [npm] }, home: 'persistent' }, /^npx/],
    // docker: its container is its confinement.
    [['docker', 'run', '-i', '--rm', 'ghcr.io/github/github-mcp-server'], false, /container of its own/],
  ])('%j → %j', (argv, sandbox, why) => {
    const [command, ...args] = argv;
    const p = proposeSandbox(command!, args);
    expect(p.sandbox).toEqual(sandbox);
    expect(p.why).toMatch(why);
    // What init writes is valid config, and the same input gives the same proposal.
    expect(ServerSandboxSchema.safeParse(p.sandbox).success).toBe(true);
    expect(proposeSandbox(command!, args)).toEqual(p);
  });

  it('lists only hosts the config schema accepts', () => {
    for (const k of KNOWN_SERVICES)
      expect(SandboxProfileSchema.safeParse({ network: k.network }).success, String(k.name)).toBe(true);
  });

  it.each<[SandboxProposal['sandbox'], string]>([
    [true, 'sandbox: default (no network)'],
    [false, 'unconfined ("sandbox": false)'],
    [{ network: 'all', home: 'persistent' }, 'sandbox: network all, persistent home'],
    [
      { network: { allow: ['api.github.com', npm] }, home: 'persistent' },
      'sandbox: allow api.github.com, registry.npmjs.org, persistent home',
    ],
    [{ network: { allow: ['api.github.com'] } }, 'sandbox: allow api.github.com'],
  ])('describes %j as %s', (sandbox, words) => {
    expect(describeProposal({ sandbox, why: '' })).toBe(words);
  });
});
