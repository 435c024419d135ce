/**
 * The HTML report in a real browser: `audit report` (the built CLI) writes a page from a log of calls spread over
 * three hours, and headless Chromium (Debian `chromium`, driven by playwright-core) renders it. The test takes a
 * screenshot and checks that the chart has its bars and its colours in the pixels, that every table has rows, and
 * that the page asked for nothing over the network.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createChain, GENESIS, seal } from '../../src/audit/chain.js';
import { writeCheckpoint } from '../../src/audit/files.js';
import { ensureSystemCommand } from '../helpers/system-packages.js';
import { BIN, tempDir } from '../helpers/gateway.js';

/** A log of 180 calls over three hours (a third blocked by two rules) plus approvals and integrity events. */
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
  add(t0 - 1000, { kind: 'tool', event: 'pinned', server: 'fs', tool: 'read_text_file', hash: 'a'.repeat(64) });
  for (let i = 0; i < 180; i++) {
    const blocked = i % 3 === 0;
    const rule = i % 2 ? 'secrets.github-pat' : 'injection.ignore-previous';
    add(t0 + i * 60_000, {
      kind: 'call',
      callId: `c${i}`,
      sessionId: 's1',
      user: 'local',
      project: 'default',
      exposed: i % 4 ? 'fs__read_text_file' : 'web__fetch',
      server: i % 4 ? 'fs' : 'web',
      tool: i % 4 ? 'read_text_file' : 'fetch',
      argumentsMode: 'redacted',
      arguments: { path: `/work/file-${i}.txt` },
      stages: [],
      outcome: blocked ? 'blocked' : 'allowed',
      ...(blocked ? { phase: 'request', ruleId: rule, reason: `<b>blocked</b> ${rule}` } : {}),
      latencyMs: 2 + (i % 17),
    });
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
  }
  fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
  writeCheckpoint(path.join(path.dirname(file), 'audit.head.json'), { seq, hash: prev, file: 'audit.jsonl', ts: '' });
}

describe('audit report', () => {
  it(
    'renders in headless Chromium: a chart with bars, every table filled, no network',
    { timeout: 600_000 },
    async () => {
      const executablePath = ensureSystemCommand({ command: 'chromium', debianPackage: 'chromium' });
      const home = tempDir();
      const log = path.join(home, 'audit.jsonl');
      writeLog(log);
      const out = path.join(home, 'report.html');
      const r = spawnSync(process.execPath, [BIN, 'audit', 'report', '--file', log, '--out', out], {
        env: { PATH: process.env.PATH ?? '', HOME: home, SMG_HOME: home },
        encoding: 'utf8',
      });
      expect(r.stderr).toMatch(/wrote .*report\.html \(185 records\)/);
      expect(r.status).toBe(0);
      const html = fs.readFileSync(out, 'utf8');
      expect(html).not.toMatch(/<script|https?:\/\/|<link/);
      expect(html).toContain('&lt;b&gt;blocked&lt;/b&gt;');

      // A fresh profile in a temporary folder: nothing from another run (or the user's own browser) leaks in.
      const browser = await chromium.launchPersistentContext(tempDir('smg-chromium-'), {
        executablePath,
        viewport: { width: 1100, height: 900 },
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
      try {
        const page = await browser.newPage();
        const requests: string[] = [];
        page.on('request', (req) => requests.push(req.url()));
        await page.goto(`file://${out}`);
        await page.screenshot({ path: path.join(home, 'report.png'), fullPage: true });
        expect(fs.statSync(path.join(home, 'report.png')).size).toBeGreaterThan(10_000);
        expect(requests).toEqual([`file://${out}`]);

        // Page code as text: the tests are type-checked without the DOM library.
        const dom = await page.evaluate<{
          bars: number;
          blockedBars: number;
          chart?: { width: number; height: number };
          rows: Record<string, number>;
          verify?: string;
          total?: string;
        }>(`(() => {
        const box = (sel) => document.querySelector(sel)?.getBoundingClientRect().toJSON();
        const rows = (id) => document.querySelectorAll('#' + id + ' tbody tr').length;
        return {
          bars: document.querySelectorAll('#timeline rect').length,
          blockedBars: document.querySelectorAll('#timeline rect.blocked').length,
          chart: box('#timeline'),
          rows: Object.fromEntries(['top-rules', 'tools', 'approvals', 'integrity', 'recent-blocked'].map((id) => [id, rows(id)])),
          verify: document.querySelector('#verify')?.className,
          total: document.querySelector('#total-calls')?.textContent,
        };
      })()`);
        expect(dom.bars).toBeGreaterThan(20);
        expect(dom.blockedBars).toBeGreaterThan(5);
        expect(dom.chart!.width).toBeGreaterThan(800);
        expect(dom.chart!.height).toBeGreaterThan(200);
        expect(dom.rows).toEqual({ 'top-rules': 2, tools: 2, approvals: 2, integrity: 3, 'recent-blocked': 50 });
        expect(dom.verify).toBe('ok');
        expect(dom.total).toBe('180');

        // The pixels: the chart's screenshot has the blue of allowed bars and the red of blocked ones.
        const png = await page.locator('#timeline').screenshot();
        const scratch = await browser.newPage();
        const colours = await scratch.evaluate<{ blue: number; red: number; pixels: number }>(`(async () => {
        const img = new Image();
        img.src = 'data:image/png;base64,${png.toString('base64')}';
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
