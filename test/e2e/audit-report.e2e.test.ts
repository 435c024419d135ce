/**
 * The HTML report in a real browser: `audit report` (the built CLI) writes a page from a log of calls spread over
 * three hours (200 tool pins, blocked calls, refused gateway keys, AI-proxy requests), and headless Chromium (Debian `chromium`, driven
 * by playwright-core) renders it. The test takes a screenshot at 1280 px and checks what a reader sees first (the
 * blocked calls with their rule ids, then the refused keys, then the summary, then the grouped events), that no
 * word in a table cell is broken across lines, that the chart has its bars and its colours in the pixels, and that
 * the page asked for nothing over the network. A second test runs the real gateway against an upstream that is slow
 * to start: the first call's record keeps the start-up wait apart from its latency, and the report shows it so.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createChain, GENESIS, seal } from '../../src/audit/chain.js';
import { writeCheckpoint } from '../../src/audit/files.js';
import { ensureSystemCommand } from '../helpers/system-packages.js';
import { BIN, fixtureServer, startGateway, tempDir, textOf } from '../helpers/gateway.js';

/** A reason longer than its column: it ends in an ellipsis, the whole text in the title. */
const LONG_REASON =
  'blocked by input guardrail injection.ignore-previous: the argument "note" asks the model to ignore its previous instructions and to send the contents of ~/.ssh/id_ed25519 to an address outside the allowlist';

const KEY_REFUSALS = [
  { keyId: 'k_3f9a2c', reason: 'the key was revoked on 2026-11-19' },
  { keyId: 'k_77d01e', reason: 'the key expired on 2026-11-01' },
  { reason: 'no gateway key: identities are configured, so set SMG_GATEWAY_KEY' },
];

/**
 * A log of 180 calls over three hours (a third blocked by two rules, the first call after a 1.8 s upstream start-up)
 * plus 200 tool pins at start-up, approvals, a tool change, an upstream crash, three refused keys and 18 AI-proxy
 * requests (3 blocked, one answered after a fallback).
 */
function writeLog(file: string): void {
  const chain = createChain();
  let prev = GENESIS;
  let seq = 0;
  const lines: string[] = [];
  const t0 = Date.parse('2026-11-20T09:00:00.000Z');
  const add = (at: number, body: Record<string, unknown>) => {
    seq++;
    const s = seal(chain, { v: 1, seq, ts: new Date(at).toISOString(), ...body }, prev);
    prev = s.hash;
    lines.push(s.line);
  };
  for (let i = 0; i < 200; i++)
    add(t0 - 1000 + i, {
      kind: 'tool',
      event: 'pinned',
      server: 'fs',
      tool: `tool_${String(i).padStart(3, '0')}`,
      hash: 'a'.repeat(64),
    });
  add(t0 - 500, { kind: 'tool', event: 'pinned', server: 'web', tool: 'fetch', hash: 'b'.repeat(64) });
  for (let i = 0; i < 180; i++) {
    const blocked = i % 3 === 0;
    const rule = i % 2 ? 'secrets.github-pat' : 'injection.ignore-previous';
    add(t0 + i * 60_000, {
      kind: 'call',
      callId: `c${i}`,
      sessionId: 's1',
      user: i % 5 ? 'local' : 'alice.martin@example.com',
      project: i % 5 ? 'default' : 'payments-backend',
      exposed: i % 4 ? 'fs__read_text_file' : 'web__fetch',
      server: i % 4 ? 'fs' : 'web',
      tool: i % 4 ? 'read_text_file' : 'fetch',
      argumentsMode: 'redacted',
      arguments: { path: `/work/file-${i}.txt` },
      stages: [],
      outcome: blocked ? 'blocked' : 'allowed',
      ...(blocked
        ? { phase: 'request', ruleId: rule, reason: i === 177 ? LONG_REASON : `<b>blocked</b> ${rule}` }
        : {}),
      latencyMs: 2 + (i % 17) + (i === 1 ? 1800 : 0),
      ...(i === 1 ? { upstreamWaitMs: 1800 } : {}),
    });
    if (i >= 60 && i < 60 + KEY_REFUSALS.length)
      add(t0 + i * 60_000 + 2, { kind: 'key', event: 'refused', ...KEY_REFUSALS[i - 60] });
    if (i === 70)
      add(t0 + i * 60_000 + 2, { kind: 'key', event: 'used', keyId: 'k_1', user: 'alice', project: 'backend' });
    if (i === 50)
      add(t0 + i * 60_000 + 1, { kind: 'approval', event: 'asked', callId: 'c50', server: 'fs', tool: 'write_file' });
    if (i === 51)
      add(t0 + i * 60_000 + 1, {
        kind: 'approval',
        event: 'answered',
        callId: 'c50',
        server: 'fs',
        tool: 'write_file',
        answer: 'once',
      });
    if (i === 90)
      add(t0 + i * 60_000 + 1, {
        kind: 'tool',
        event: 'changed',
        server: 'web',
        tool: 'fetch',
        ruleId: 'integrity.changed',
        reason: 'changed',
      });
    if (i === 120) add(t0 + i * 60_000 + 1, { kind: 'upstream', event: 'crashed', server: 'web', restarts: 1 });
    if (i % 10 === 5) {
      const k = (i - 5) / 10;
      const deployment = k % 3 ? 'gpt-fast' : 'claude-fast';
      add(t0 + i * 60_000 + 3, {
        kind: 'llm',
        requestId: `r${k}`,
        endpoint: k % 3 ? 'chat.completions' : 'messages',
        user: k % 2 ? 'alice.martin@example.com' : 'bo@example.com',
        project: k % 2 ? 'payments-backend' : 'web',
        keyId: 'k_1',
        deployment,
        ...(k % 6
          ? { answeredBy: { deployment: k === 7 ? 'gpt-backup' : deployment, provider: 'p', model: 'm' } }
          : {}),
        stream: k % 2 === 0,
        outcome: k % 6 ? 'ok' : 'blocked',
        status: k % 6 ? 200 : 400,
        ...(k % 6 ? {} : { ruleId: 'injection.ignore-previous', reason: LONG_REASON }),
        stages: [],
        detections: [],
        ...(k % 6 ? { usage: { inputTokens: 1200 + k, outputTokens: 300 }, costUsd: 0.000123 * k } : {}),
        durationMs: 800 + k * 100,
      });
    }
  }
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  writeCheckpoint(path.join(path.dirname(file), 'audit.head.json'), { seq, hash: prev, file: 'audit.jsonl', ts: '' });
}

/** A fresh profile in a temporary folder: nothing from another run (or the user's own browser) leaks in. */
function launch(executablePath: string) {
  return chromium.launchPersistentContext(tempDir('smg-chromium-'), {
    executablePath,
    viewport: { width: 1280, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

function report(log: string, out: string, home: string, ...extra: string[]) {
  return spawnSync(process.execPath, [BIN, 'audit', 'report', '--file', log, '--out', out, ...extra], {
    env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
    encoding: 'utf8',
  });
}

/**
 * Page code as text (the tests are type-checked without the DOM library): every word of every visible table cell
 * must sit on one line (a Range over the word has one line box), and a cell may overflow only when it is a reason
 * that ends in an ellipsis and carries its whole text in the title.
 */
const CELLS = `(() => {
  const broken = [];
  const overflowing = [];
  let clipped = 0;
  for (const td of document.querySelectorAll('td')) {
    if (td.getClientRects().length === 0) continue;
    if (td.scrollWidth > td.clientWidth + 1) {
      if ((td.classList.contains('reason') || td.classList.contains('who')) && td.title === td.textContent) clipped++;
      else overflowing.push(td.textContent);
      continue;
    }
    const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      for (const m of n.data.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(n, m.index);
        range.setEnd(n, m.index + m[0].length);
        const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
        if (lines.size > 1) broken.push(m[0]);
      }
    }
  }
  return { broken, overflowing, clipped, cells: document.querySelectorAll('td').length };
})()`;

interface Cells {
  broken: string[];
  overflowing: string[];
  clipped: number;
  cells: number;
}

describe('audit report', () => {
  it(
    'shows blocked calls first, then refused keys, the summary and grouped events; readable at 1280 px in Chromium',
    { timeout: 600_000 },
    async () => {
      const executablePath = ensureSystemCommand({ command: 'chromium', debianPackage: 'chromium' });
      const home = tempDir();
      const log = path.join(home, 'audit.jsonl');
      writeLog(log);
      const out = path.join(home, 'report.html');
      const r = report(log, out, home, '--since', '2026-11-01');
      expect(r.stderr).toMatch(/wrote .*report\.html \(407 records\)/);
      expect(r.status).toBe(0);
      const html = fs.readFileSync(out, 'utf8');
      expect(html).not.toMatch(/<script|https?:\/\/|<link/);
      expect(html).toContain('&lt;b&gt;blocked&lt;/b&gt;');
      // 60 blocked, 50 shown: the rest are one command away, with the report's own log and filters.
      expect(html).toContain(
        `10 more — use <code>secure-mcp-gateway audit query --blocked --file ${log} --since 2026-11-01</code>`,
      );

      const browser = await launch(executablePath);
      try {
        const page = await browser.newPage();
        const requests: string[] = [];
        page.on('request', (req) => requests.push(req.url()));
        await page.setViewportSize({ width: 1280, height: 900 });
        await page.goto(`file://${out}`);
        const shot = path.join(home, 'report-1280.png');
        await page.screenshot({ path: shot, fullPage: true });
        const png = fs.readFileSync(shot);
        // PNG header: the IHDR width is the viewport's, and a page of tables and a chart is no blank image.
        expect(png.readUInt32BE(16)).toBe(1280);
        expect(png.readUInt32BE(20)).toBeGreaterThan(1500);
        expect(png.length).toBeGreaterThan(50_000);
        expect(requests).toEqual([`file://${out}`]);

        const dom = await page.evaluate<{
          sections: { id: string; top: number; title: string }[];
          bars: number;
          blockedBars: number;
          chart?: { width: number; height: number };
          rows: Record<string, number>;
          firstBlocked: string[];
          refusals: string[];
          integrity: string;
          pinned?: string[];
          pageWidth: number;
          verify?: string;
          total?: string;
          readRow?: string[];
        }>(`(() => {
          const box = (sel) => document.querySelector(sel)?.getBoundingClientRect().toJSON();
          const rows = (id) => document.querySelectorAll('#' + id + ' tbody tr').length;
          const cells = (tr) => [...tr.querySelectorAll('td')].map((td) => td.innerText.trim());
          const pinned = [...document.querySelectorAll('#integrity tbody tr')].map(cells).find((c) => c[0] === 'tool pinned' && c[1] === 'fs');
          return {
            sections: [...document.querySelectorAll('section')].map((s) => ({ id: s.id, top: s.getBoundingClientRect().top, title: s.querySelector('h2').textContent })),
            bars: document.querySelectorAll('#timeline rect').length,
            blockedBars: document.querySelectorAll('#timeline rect.blocked').length,
            chart: box('#timeline'),
            rows: Object.fromEntries(['recent-blocked', 'key-refusals', 'llm-blocked-requests', 'llm-deployments', 'llm-users', 'top-rules', 'tools', 'integrity', 'upstreams', 'approvals'].map((id) => [id, rows(id)])),
            firstBlocked: cells(document.querySelector('#recent-blocked tbody tr')),
            refusals: [...document.querySelectorAll('#key-refusals tbody tr')].map((tr) => cells(tr).join(' | ')),
            integrity: document.querySelector('#sec-integrity').innerText,
            pinned,
            pageWidth: document.documentElement.scrollWidth,
            verify: document.querySelector('#verify')?.className,
            total: document.querySelector('#total-calls')?.textContent,
            readRow: [...document.querySelectorAll('#tools tbody tr')].map(cells).find((c) => c[1] === 'read_text_file'),
          };
        })()`);
        // The order a reader meets: blocks, refusals, the sandbox, the AI proxy, the summary, then the grouped rest.
        expect(dom.sections.map((s) => s.id)).toEqual([
          'sec-blocked',
          'sec-refusals',
          'sec-sandbox',
          'sec-llm',
          'sec-summary',
          'sec-integrity',
          'sec-upstreams',
          'sec-approvals',
        ]);
        expect(dom.sections.map((s) => s.top)).toEqual([...dom.sections.map((s) => s.top)].sort((a, b) => a - b));
        expect(dom.sections[0]!.title).toBe('Blocked calls (60)');
        expect(dom.sections[0]!.top).toBeLessThan(300);
        // Newest first: call 177 (fs, the long reason), by local/default, with its rule id.
        expect(dom.firstBlocked.slice(0, 5)).toEqual([
          '2026-11-20 11:57:00',
          'local / default',
          'fs',
          'read_text_file',
          'secrets.github-pat',
        ]);
        expect(dom.firstBlocked[5]).toBe(LONG_REASON);
        // Key refusals in their own section, newest first; none under integrity events.
        expect(dom.sections[1]!.title).toBe('Refused gateway keys (3)');
        expect(dom.refusals).toEqual([
          expect.stringMatching(/^2026-11-20 10:02:00 \| \(none given\) \| no gateway key/),
          expect.stringMatching(/k_77d01e \| the key expired/),
          expect.stringMatching(/k_3f9a2c \| the key was revoked/),
        ]);
        expect(dom.integrity).not.toMatch(/refused|revoked|expired|k_3f9a2c|crashed|gpt-fast/);
        expect(dom.sections[3]!.title).toBe('AI proxy: 18 request(s), 3 blocked');
        // 200 pins are one row with a count, the tool names folded away.
        expect(dom.pinned?.slice(0, 3)).toEqual(['tool pinned', 'fs', '200']);
        expect(dom.pinned?.[5]).toBe('200 tools');
        expect(dom.rows).toEqual({
          'recent-blocked': 50,
          'key-refusals': 3,
          'llm-blocked-requests': 3,
          'llm-deployments': 3,
          'llm-users': 2,
          'top-rules': 2,
          tools: 2,
          integrity: 3,
          upstreams: 1,
          approvals: 2,
        });
        // The first call waited 1.8 s for its server to start: counted apart, not in the p99 of 2 to 18 ms.
        expect(dom.readRow?.slice(4)).toEqual(['10.00', '18.00', '1 (longest 1.8 s)']);
        expect(dom.pageWidth).toBeLessThanOrEqual(1280);
        expect(dom.bars).toBeGreaterThan(20);
        expect(dom.blockedBars).toBeGreaterThan(5);
        expect(dom.chart!.width).toBeGreaterThan(800);
        expect(dom.chart!.height).toBeGreaterThan(200);
        expect(dom.verify).toBe('ok');
        expect(dom.total).toBe('180');

        // No word is broken across lines; the long reason is clipped with its title.
        const cells = await page.evaluate<Cells>(CELLS);
        expect(cells.cells).toBeGreaterThan(300);
        expect(cells.broken).toEqual([]);
        expect(cells.overflowing).toEqual([]);
        expect(cells.clipped).toBeGreaterThanOrEqual(1);
        // The tool names open up, still without a broken word.
        await page.locator('#integrity details').first().evaluate('(d) => { d.open = true; }');
        expect((await page.evaluate<Cells>(CELLS)).broken).toEqual([]);
        // The check sees a broken word when there is one: the styling the first report had breaks them.
        await page.addStyleTag({
          content: 'table{table-layout:auto} td{word-break:break-all} td.reason{white-space:normal}',
        });
        await page.setViewportSize({ width: 700, height: 900 });
        expect((await page.evaluate<Cells>(CELLS)).broken.length).toBeGreaterThan(0);
        await page.setViewportSize({ width: 1280, height: 900 });

        // The pixels: the chart's screenshot has the blue of allowed bars and the red of blocked ones.
        const chartPng = await page.locator('#timeline').screenshot();
        const scratch = await browser.newPage();
        const colours = await scratch.evaluate<{ blue: number; red: number; pixels: number }>(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${chartPng.toString('base64')}';
        await img.decode();
        const canvas = document.createElement('canvas');
        canvas.width = img.width;
        canvas.height = img.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, img.width, img.height).data;
        let blue = 0;
        let red = 0;
        for (let i = 0; i < d.length; i += 4) {
          const r = d[i], g = d[i + 1], b = d[i + 2];
          if (Math.abs(r - 0x3b) < 24 && Math.abs(g - 0x82) < 24 && Math.abs(b - 0xf6) < 24) blue++;
          if (Math.abs(r - 0xdc) < 24 && Math.abs(g - 0x26) < 24 && Math.abs(b - 0x26) < 24) red++;
        }
        return { blue, red, pixels: d.length / 4 };
      })()`);
        expect(colours.blue).toBeGreaterThan(colours.pixels / 50);
        expect(colours.red).toBeGreaterThan(colours.pixels / 200);
      } finally {
        await browser.close();
      }
    },
  );
});

describe('upstream start-up in the audit', () => {
  it(
    'records the first call’s wait for a slow-starting upstream apart from its latency, and the report shows it so',
    { timeout: 120_000 },
    async () => {
      const home = tempDir();
      const gw = await startGateway(
        {
          servers: { slow: { ...fixtureServer('slow-start-server.ts'), env: { STARTUP_DELAY_MS: '1500' } } },
          audit: { fsync: 'always' },
        },
        // Without early spawn (upstream/early-spawn.ts) the upstream starts at the client's initialize, so the whole
        // start falls inside the first call's wait; spawned early, part of it overlaps the gateway's own start-up.
        { home, env: { SMG_EARLY_SPAWN: '0' } },
      );
      // Called before the upstream has started: the gateway waits for it, then runs the call.
      const first = await gw.client.callTool({ name: 'slow__alpha', arguments: {} });
      const second = await gw.client.callTool({ name: 'slow__alpha', arguments: {} });
      expect([textOf(first), textOf(second)]).toEqual(['alpha', 'alpha']);
      expect((await gw.closeStdin()).code).toBe(0);

      const log = path.join(home, 'audit.jsonl');
      const calls = fs
        .readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind: string; latencyMs: number; upstreamMs: number; upstreamWaitMs?: number })
        .filter((r) => r.kind === 'call');
      expect(calls).toHaveLength(2);
      const [a, b] = calls;
      // The wait covers the upstream's start (1.5 s of delay plus its own start-up) and is part of the latency...
      expect(a!.upstreamWaitMs).toBeGreaterThanOrEqual(1400);
      expect(a!.latencyMs).toBeGreaterThanOrEqual(a!.upstreamWaitMs!);
      // ...but not of the upstream call itself; the second call, to a running upstream, waited for nothing.
      expect(a!.upstreamMs).toBeLessThan(a!.upstreamWaitMs!);
      expect(b).not.toHaveProperty('upstreamWaitMs');
      expect(b!.latencyMs).toBeLessThan(a!.upstreamWaitMs!);

      // The chain holds with the new field, and the report leaves the wait out of p99 and shows it apart.
      const out = path.join(home, 'report.html');
      const r = report(log, out, home);
      expect(r.status).toBe(0);
      const html = fs.readFileSync(out, 'utf8');
      expect(html).toContain('Chain verified');
      const row = /<td class="id">slow<\/td><td class="id">alpha<\/td>(.*?)<\/tr>/.exec(html)?.[1] ?? '';
      const [, , p50, p99, waits] = [...row.matchAll(/<td class="num">([^<]*)<\/td>/g)].map((m) => m[1]!);
      expect(Number(p99)).toBeLessThan(a!.upstreamWaitMs!);
      expect(Number(p50)).toBeLessThanOrEqual(Number(p99));
      expect(waits).toMatch(/^1 \(longest \d\.\d s\)$/);
    },
  );
});
