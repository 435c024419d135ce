/**
 * Preloaded into every Node process of a sandboxed server (`NODE_OPTIONS="--require <dist/sandbox-preload.cjs>"`,
 * issue 19): makes Node's built-in `fetch` honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY, which Node 20 ignores (Node
 * 22.21 and 24 read them only with NODE_USE_ENV_PROXY=1, which the launcher sets too). Built alone, as CommonJS with
 * undici bundled, so it needs no node_modules inside the sandbox.
 *
 * How: undici's `EnvHttpProxyAgent` becomes the global dispatcher. The built-in fetch finds it under
 * `Symbol.for('undici.globalDispatcher.1')`, which undici's `setGlobalDispatcher` sets; Node 20's own undici (6.x)
 * calls `dispatch()` with the older handler API (onConnect/onHeaders/onData/onComplete), which undici 7's
 * DispatcherBase accepts by wrapping it (lib/handler/unwrap-handler.js). test/e2e/sandbox-egress.e2e.test.ts runs the
 * built preload under the system Node to keep that true.
 *
 * Failure mode closed: loading never throws (a preload that throws would stop the server before it starts). On a
 * failure it prints one line on stderr and leaves fetch as it was, which in the sandbox's own network namespace has
 * no route out: no network, not an unfiltered one.
 */

import type * as Undici from 'undici';

function install(): void {
  const env = process.env;
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((k) => env[k]);
  if (!proxied) return;
  // A require() inside the try, not an import: an import would run undici's module code before any try could
  // catch what it throws.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const undici = require('undici') as typeof Undici;
  undici.setGlobalDispatcher(new undici.EnvHttpProxyAgent());
}

try {
  install();
} catch (error) {
  process.stderr.write(
    `secure-mcp-gateway sandbox preload: fetch will not use the egress proxy (${(error as Error).message})\n`,
  );
}
