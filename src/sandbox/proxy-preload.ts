/**
 * Preloaded into every Node process of a sandboxed server (`NODE_OPTIONS="--require <dist/sandbox-preload.cjs>"`,
 * issue 19): makes Node's built-in `fetch` honour HTTP_PROXY / HTTPS_PROXY / NO_PROXY, which Node 20 ignores (Node
 * 22.21 and 24 read them only with NODE_USE_ENV_PROXY=1, which the launcher sets too). Built alone, as CommonJS with
 * undici bundled, so it needs no node_modules inside the sandbox.
 *
 * How: undici's `EnvHttpProxyAgent` becomes the global dispatcher, with `proxyTunnel: false` so that plain http://
 * requests go to the proxy in absolute form (as curl and Node 24's own proxy support send them): a refusal then
 * reaches the server as a 403 response whose body names the rule, not as an opaque tunnel failure. https:// always
 * tunnels through CONNECT. The built-in fetch finds the dispatcher under `Symbol.for('undici.globalDispatcher.1')`,
 * which undici's `setGlobalDispatcher` sets; Node 20's own undici (6.x) calls `dispatch()` with the older handler API
 * (onConnect/onHeaders/onData/onComplete), which undici 7's DispatcherBase accepts by wrapping it
 * (lib/handler/unwrap-handler.js). test/e2e/sandbox-egress.e2e.test.ts runs the built preload under the system Node
 * to keep that true. Other clients (curl, Python, Go) read the proxy variables themselves.
 *
 * Failure mode closed: loading never throws (a preload that throws would stop the server before it starts). On a
 * failure it prints one line on stderr and leaves fetch as it was, which in the sandbox's own network namespace has
 * no route out: no network, not an unfiltered one.
 */

import type * as Undici from 'undici';

/**
 * The global dispatcher, made on first use: undici's module code runs when the server first fetches, not at every
 * Node start in the sandbox (npx alone starts two). It loads when a request needs it; a failure then is a failed
 * request, and the proxy is still the only way out.
 */
function lazyDispatcher(): Pick<Undici.Dispatcher, 'dispatch' | 'close' | 'destroy'> {
  let agent: Undici.Dispatcher | undefined;
  const real = (): Undici.Dispatcher => {
    if (!agent) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const undici = require('undici') as typeof Undici;
      agent = new undici.EnvHttpProxyAgent({ proxyTunnel: false });
    }
    return agent;
  };
  return {
    dispatch: (options, handler) => real().dispatch(options, handler),
    close: () => (agent ? agent.close() : Promise.resolve()),
    destroy: () => (agent ? agent.destroy() : Promise.resolve()),
  };
}

function install(): void {
  const env = process.env;
  const proxied = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'].some((k) => env[k]);
  if (!proxied) return;
  // Where undici's setGlobalDispatcher puts it, and where Node's built-in fetch looks for it.
  Object.defineProperty(globalThis, Symbol.for('undici.globalDispatcher.1'), {
    value: lazyDispatcher(),
    writable: true,
    enumerable: false,
    configurable: false,
  });
}

try {
  install();
} catch (error) {
  process.stderr.write(
    `secure-mcp-gateway sandbox preload: fetch will not use the egress proxy (${(error as Error).message})\n`,
  );
}
