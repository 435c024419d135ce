#!/usr/bin/env node
// The installed command. The real program is the bundle that `npm run build` writes to dist/ (a packed or installed
// package always has it: `prepack` builds). A checkout that was never built has no dist/: say what to run instead of
// Node's raw ERR_MODULE_NOT_FOUND stack (issue 17, item 9b). Only dist/cli.js itself is checked: a module missing
// inside the bundle is a real fault and surfaces as Node reports it. Exit 1, the CLI's code for a failure.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  const root = fileURLToPath(new URL('..', import.meta.url)).replace(/[\\/]$/, '');
  process.stderr.write(
    `secure-mcp-gateway: dist/cli.js is missing: run \`npm run build\` in ${root} (or install the package from npm pack)\n`,
  );
  process.exit(1);
}
await import(cli.href);
