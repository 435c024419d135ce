/**
 * A headless "browser" for OAuth tests (issue 18): given an authorization URL it does what a user's browser does,
 * with its own HTTP client and cookie jar. It follows redirects, fills in and submits the HTML forms it meets (the
 * login form of oidc-provider's development interactions gets the configured user and any password, the consent form
 * is submitted as it is), and finally requests the redirect URI (the CLI's loopback callback), like a browser loading
 * the page. An authorization server that approves without a page (the conformance suite's) is just a redirect chain.
 *
 * `browserCommand` writes an executable wrapper usable as `$BROWSER` (one argument: the URL), which runs
 * test/support/headless-browser.ts with this Node and tsx, whatever the working directory of whoever starts it.
 * Failure mode: `browse` rejects on a network error, on a loop longer than `maxSteps`, and on a page that is neither
 * a redirect, a form nor the end (an error page of the server: its status and text are in the message).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SUPPORT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support');

export interface BrowseOptions {
  /** The login typed into a login form (default `alice`): the user's `sub` at oidc-provider. */
  user?: string;
  password?: string;
  /** Requests before giving up (default 20). */
  maxSteps?: number;
  /** Called with one line per request ("GET url -> 302"), with `code` and `state` values hidden. */
  log?: (line: string) => void;
}

export interface BrowseResult {
  /** The last URL requested (the callback, normally). */
  url: string;
  status: number;
  body: string;
}

interface Cookie {
  name: string;
  value: string;
  path: string;
}

/** A small cookie jar keyed by host: enough for oidc-provider's interaction and session cookies. */
class CookieJar {
  private readonly byHost = new Map<string, Cookie[]>();

  store(url: URL, setCookies: string[]): void {
    const cookies = this.byHost.get(url.host) ?? [];
    for (const header of setCookies) {
      const [pair = '', ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let cookiePath = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attr of attrs) {
        const [key = '', val = ''] = attr.split('=');
        const k = key.toLowerCase();
        if (k === 'path' && val) cookiePath = val;
        if (k === 'max-age' && Number(val) <= 0) expired = true;
        if (k === 'expires' && Date.parse(val) <= Date.now()) expired = true;
      }
      const kept = cookies.filter((c) => !(c.name === name && c.path === cookiePath));
      if (!expired) kept.push({ name, value, path: cookiePath });
      cookies.splice(0, cookies.length, ...kept);
    }
    this.byHost.set(url.host, cookies);
  }

  header(url: URL): string | undefined {
    const matching = (this.byHost.get(url.host) ?? []).filter(
      (c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`),
    );
    return matching.length ? matching.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }
}

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_m, e: string) =>
    e === 'amp' ? '&' : e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : "'",
  );
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g))
    out[m[1]!.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? '');
  return out;
}

interface Form {
  action: string;
  method: string;
  fields: { name: string; value: string; type: string }[];
}

/** The first form of a page, with its inputs. */
export function parseForm(html: string): Form | undefined {
  const m = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!m) return undefined;
  const attrs = attributes(m[1]!);
  const fields = [...m[2]!.matchAll(/<input\b([^>]*)>/gi)]
    .map((i) => attributes(i[1]!))
    .filter((a) => a.name)
    .map((a) => ({ name: a.name!, value: a.value ?? '', type: (a.type ?? 'text').toLowerCase() }));
  return { action: attrs.action ?? '', method: (attrs.method ?? 'get').toLowerCase(), fields };
}

/** A URL for the log: the values of `code` and `state` are hidden. */
function shown(url: URL): string {
  const copy = new URL(url);
  for (const key of ['code', 'state']) if (copy.searchParams.has(key)) copy.searchParams.set(key, '…');
  return copy.href;
}

/** Drives an authorization URL to its end as a user's browser would; resolves with the last page. */
export async function browse(start: string, options: BrowseOptions = {}): Promise<BrowseResult> {
  const jar = new CookieJar();
  const user = options.user ?? 'alice';
  const password = options.password ?? 'any-password';
  let url = new URL(start);
  let method = 'GET';
  let body: string | undefined;
  for (let step = 0; step < (options.maxSteps ?? 20); step++) {
    const headers: Record<string, string> = { accept: 'text/html,*/*' };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method, headers, body, redirect: 'manual' });
    jar.store(url, res.headers.getSetCookie());
    options.log?.(`${method} ${shown(url)} -> ${res.status}`);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url);
      method = 'GET';
      body = undefined;
      continue;
    }
    const text = await res.text();
    const form = res.ok ? parseForm(text) : undefined;
    if (!form) {
      if (!res.ok) throw new Error(`${method} ${shown(url)} answered ${res.status}: ${text.slice(0, 500)}`);
      return { url: url.href, status: res.status, body: text };
    }
    const params = new URLSearchParams();
    for (const f of form.fields) {
      if (f.name === 'login') params.set(f.name, user);
      else if (f.type === 'password') params.set(f.name, password);
      else params.set(f.name, f.value);
    }
    const target = new URL(form.action || url.href, url);
    if (form.method === 'post') {
      method = 'POST';
      body = params.toString();
      url = target;
    } else {
      for (const [k, v] of params) target.searchParams.set(k, v);
      method = 'GET';
      body = undefined;
      url = target;
    }
  }
  throw new Error(`no end after ${options.maxSteps ?? 20} requests (last: ${shown(url)})`);
}

export interface BrowserCommandOptions {
  user?: string;
  /** A file the browser appends its request lines to (and its error, if it fails). */
  log?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Writes `<dir>/headless-browser`, an executable usable as `$BROWSER`: it runs test/support/headless-browser.ts
 * with the URL it is given, as `user`. Returns its path.
 */
export function browserCommand(dir: string, options: BrowserCommandOptions = {}): string {
  const file = path.join(dir, 'headless-browser');
  const env = [`HEADLESS_BROWSER_USER=${quote(options.user ?? 'alice')}`];
  if (options.log) env.push(`HEADLESS_BROWSER_LOG=${quote(options.log)}`);
  const script = [
    '#!/bin/sh',
    `export ${env.join(' ')}`,
    `exec ${quote(process.execPath)} --import ${quote(import.meta.resolve('tsx'))} ${quote(
      path.join(SUPPORT, 'headless-browser.ts'),
    )} "$@"`,
    '',
  ].join('\n');
  fs.writeFileSync(file, script, { mode: 0o755 });
  return file;
}
