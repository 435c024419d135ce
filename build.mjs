// Bundles the CLI into one ESM file, so that `npx secure-mcp-gateway` starts without resolving hundreds of modules.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

/**
 * pdfjs-dist warns on stderr as its modules load (its default verbosity) that it found no @napi-rs/canvas to draw
 * with, which the gateway never does: it reads text (guardrails/judge/documents.ts, which also asks for errors only
 * per document). Start pdfjs at that level. A pdfjs that no longer has the line fails the build, not the user.
 */
function quietPdfjs() {
  const from = 'let verbosity = VerbosityLevel.WARNINGS;';
  return {
    name: 'quiet-pdfjs',
    setup(b) {
      b.onLoad({ filter: /pdfjs-dist[\\/]legacy[\\/]build[\\/]pdf(?:\.worker)?\.mjs$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes(from)) throw new Error(`${args.path}: no "${from}" to change (pdfjs-dist changed)`);
        return { contents: text.replace(from, 'let verbosity = VerbosityLevel.ERRORS;'), loader: 'js' };
      });
    },
  };
}

/**
 * zod's namespace (`z`) re-exports every locale of its error messages, and the bundle keeps a namespace whole: 260 kB
 * of translated messages that the gateway never selects (it configures none; zod's own default is English, which
 * zod imports apart). Keep English only. A locale the code would select (`z.locales.de()`) is then undefined: it
 * fails at the first start, not in the field (no source file names `locales`).
 */
function englishZod() {
  return {
    name: 'english-zod',
    setup(b) {
      b.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
        contents: 'export { default as en } from "./en.js";',
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

const shared = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'linked',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  define: { __SMG_VERSION__: JSON.stringify(version), __SMG_IOREDIS__: JSON.stringify('vendor/ioredis.cjs') },
  // An optional peer dependency with a native binding: resolved from the user's install at run time, never bundled.
  // Everything else is bundled, so the package has no run-time dependency and a tarball installs offline; each
  // bundled package is a devDependency. OpenTelemetry (audit/otel.ts) and pdfjs-dist with its worker
  // (guardrails/judge/documents.ts) are reached only through import(), so they sit in lazy chunks. ioredis is
  // required synchronously, on the first Redis store (state/redis.ts): it is bundled apart, into dist/vendor/ioredis.cjs
  // (below), so that a gateway without Redis does not parse it at start-up.
  // @napi-rs/keyring (the OS keychain, vault/keychain.ts) is an optionalDependency with a native binding: the user's
  // install resolves it at run time, and without it the vault uses its encrypted file.
  external: ['onnxruntime-node', 'ioredis', '@napi-rs/keyring'],
  // jsonc-parser's "main" is a UMD build whose require('./impl/…') calls esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
  plugins: [quietPdfjs(), englishZod()],
  // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __smgCreateRequire } from 'node:module'; const require = __smgCreateRequire(import.meta.url);",
  },
};

// A clean dist: code splitting names chunks by content hash, so old chunks would pile up beside the new ones.
rmSync('dist', { recursive: true, force: true });

// Splitting keeps rarely used code (remote transports, undici) in chunks that load only when needed.
const { metafile } = await build({
  ...shared,
  entryPoints: { cli: 'src/cli/bin.ts', demo: 'src/cli/demo.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
});
// SMG_METAFILE=<file> keeps esbuild's metafile, to see which inputs each chunk holds (the start-up graph, issue 21).
if (process.env.SMG_METAFILE) writeFileSync(process.env.SMG_METAFILE, JSON.stringify(metafile));

// Single CommonJS files with everything bundled (ioredis apart, and the sandbox's helpers below).
const cjs = {
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
};

const vendor = await build({ ...cjs, entryPoints: { 'vendor/ioredis': 'ioredis' } });

// The sandbox's helpers (issue 19) run inside the sandbox from a read-only mount of dist/, without node_modules and
// under whatever Node the server uses. sandbox-relay.cjs uses node:* only; sandbox-preload.cjs (NODE_OPTIONS=--require)
// bundles undici for its EnvHttpProxyAgent.
const sandbox = await build({
  ...cjs,
  entryPoints: { 'sandbox-relay': 'src/sandbox/relay.ts', 'sandbox-preload': 'src/sandbox/proxy-preload.ts' },
});

// The bundled packages are not installed beside the package, so their licence texts would be lost: collect the
// licence file of every package the bundle holds code from (most licences, MIT first, require the notice to travel).
const packages = new Map();
for (const input of [metafile, vendor.metafile, sandbox.metafile].flatMap((m) => Object.keys(m.inputs))) {
  const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (!match) continue;
  const dir = input.slice(0, match.index + match[0].length - 1);
  if (!packages.has(dir)) packages.set(dir, match[1]);
}
const notices = [...packages]
  .map(([dir, name]) => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = existsSync(dir) ? readdirSync(dir).find((f) => /^(?:licen[cs]e|copying)(?:\.|$)/i.test(f)) : undefined;
    const text = file
      ? readFileSync(path.join(dir, file), 'utf8').trim()
      : `License: ${pkg.license ?? 'see the package'}`;
    return { id: `${name}@${pkg.version}`, text };
  })
  .filter((n, i, all) => all.findIndex((m) => m.id === n.id) === i)
  .sort((a, b) => a.id.localeCompare(b.id));
writeFileSync(
  'dist/THIRD-PARTY-LICENSES.txt',
  `secure-mcp-gateway's bundle (dist/) contains code from these packages, under these licences.\n\n` +
    notices.map((n) => `${'-'.repeat(79)}\n${n.id}\n\n${n.text}\n`).join('\n'),
);
