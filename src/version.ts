/** The package version, injected by esbuild at build time; tests and tsx read package.json. */
import { createRequire } from 'node:module';

declare const __SMG_VERSION__: string | undefined;

function readVersion(): string {
  if (typeof __SMG_VERSION__ === 'string') return __SMG_VERSION__;
  const require = createRequire(import.meta.url);
  return (require('../package.json') as { version: string }).version;
}

export const VERSION: string = readVersion();
