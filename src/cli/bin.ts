#!/usr/bin/env node
/**
 * The entry of the built command (build.mjs bundles it as dist/cli.js): parses the command line with the program of
 * main.ts, and every failure leaves through its one sink. Nothing else runs at import, so tests import main.ts.
 * `start` spawns its stdio upstreams first (upstream/early-spawn.ts), so that they boot while the program loads.
 */
import { spawnEarly } from '../upstream/early-spawn.js';

spawnEarly();
const { buildProgram, fail } = await import('./main.js');

buildProgram()
  .parseAsync(process.argv)
  .catch((error: unknown) => fail(error));
