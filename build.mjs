// Bundles the CLI into one ESM file, so that `npx secure-mcp-gateway` starts without resolving hundreds of modules.
import { readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  define: { __SMG_VERSION__: JSON.stringify(version) },
  // An optional peer dependency with a native binding: resolved from the user's install at run time, never bundled.
  // ioredis is required lazily (state/redis.ts), only with the Redis back end.
  // Everything else is bundled, so it is a devDependency: OpenTelemetry (audit/otel.ts) and pdfjs-dist with its
  // worker (guardrails/judge/documents.ts) are reached only through import(), so they sit in lazy chunks.
  external: ['onnxruntime-node', 'ioredis'],
  // jsonc-parser's "main" is a UMD build whose require('./impl/…') calls esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __smgCreateRequire } from 'node:module'; const require = __smgCreateRequire(import.meta.url);",
  },
};

// A clean dist: code splitting names chunks by content hash, so old chunks would pile up beside the new ones.
rmSync('dist', { recursive: true, force: true });

// Splitting keeps rarely used code (remote transports, undici) in chunks that load only when needed.
await build({
  ...shared,
  entryPoints: { cli: 'src/cli/bin.ts', demo: 'src/cli/demo.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
});
