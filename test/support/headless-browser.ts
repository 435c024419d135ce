#!/usr/bin/env -S node --import tsx
/**
 * `$BROWSER` for OAuth tests (issue 18): `headless-browser <authorization-url>` signs in as HEADLESS_BROWSER_USER
 * (default alice) through test/helpers/oauth-browser.ts and loads the redirect URI at the end, as a user's browser
 * would. HEADLESS_BROWSER_LOG=<file> appends one line per request (codes and states hidden) and any error there.
 * Exit 0 when the last page loaded, 1 when the flow failed, 2 without a URL. Prefer browserCommand(), which
 * writes a wrapper that finds tsx from any working directory.
 */
import fs from 'node:fs';
import { browse } from '../helpers/oauth-browser.js';

const url = process.argv[2];
const logFile = process.env.HEADLESS_BROWSER_LOG;
const log = (line: string) => {
  if (logFile) fs.appendFileSync(logFile, line + '\n');
};
if (!url) {
  process.stderr.write('usage: headless-browser <url>\n');
  process.exitCode = 2;
} else {
  try {
    const page = await browse(url, { user: process.env.HEADLESS_BROWSER_USER ?? 'alice', log });
    log(`done ${page.status}`);
  } catch (error) {
    log(`error ${(error as Error).message}`);
    process.stderr.write(`headless-browser: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
