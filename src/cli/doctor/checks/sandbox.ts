/**
 * doctor: sandboxed servers (issue 19). Says whether this machine can sandbox a server (Linux with a bubblewrap that
 * can make namespaces; how to install it when it is missing; the plain sentence on macOS and Windows), then what
 * that means for the configured stdio servers:
 * - ✗ a server whose profile says `required: true` when the sandbox is unavailable: it will refuse to start;
 * - ⚠ servers with a profile that will run unconfined here because the sandbox is unavailable;
 * - ⚠ stdio servers that run unconfined by config (no profile, or `"sandbox": false`), named in one line;
 * - ⚠ a server whose profile opens the network (`network: "all"`).
 * The last two are the findings `scan` reports (scan.ts configuredSandboxFindings), grouped: one source, so doctor
 * and scan cannot disagree.
 *
 * Failure mode: reads the config and runs `bwrap` twice at most (platform.ts probes and caches); a config that does
 * not load skips the check (the config check says why). The probe's own doubt is "unavailable" with its reason.
 */
import { detectSandbox } from '../../../sandbox/platform.js';
import { agree, plural } from '../../../util/plural.js';
import { configuredSandboxFindings } from '../../scan.js';
import type { CheckResult, DoctorCheck } from '../types.js';

const DOCS = 'docs/sandbox.md';

export const sandboxCheck: DoctorCheck = {
  id: 'sandbox',
  title: 'sandboxed servers',
  async run(ctx) {
    const l = ctx.loaded();
    if (!('loaded' in l))
      return [
        {
          status: 'skip',
          subject: 'sandbox',
          detail: 'the config does not load (see above): the sandbox of its servers is not checked',
        },
      ];
    const { config, servers } = l.loaded;
    const stdio = servers.filter((s) => s.kind === 'stdio');
    const support = await detectSandbox({
      env: ctx.env,
      bwrap: config.sandbox.bwrap,
      ...(ctx.catalog.platform !== undefined ? { platform: ctx.catalog.platform } : {}),
    });
    const out: CheckResult[] = [];
    const profiled = stdio.filter((s) => s.sandbox !== undefined);
    if (support.available)
      out.push({
        status: 'ok',
        subject: 'sandbox',
        detail: `bubblewrap ${support.version} (${support.bwrap}) can sandbox servers: ${plural(profiled.length, 'server')} of ${stdio.length} stdio run in one`,
      });
    else {
      const linux = support.platform === 'linux';
      if (stdio.length === 0)
        out.push({ status: 'skip', subject: 'sandbox', detail: `no stdio server to sandbox (${support.reason})` });
      else
        out.push({
          status: 'warn',
          subject: 'sandbox',
          detail: support.reason,
          fix: linux
            ? config.sandbox.bwrap !== undefined
              ? `point sandbox.bwrap at the bwrap program, or remove it to use bwrap on PATH (${DOCS})`
              : `install bubblewrap (Debian/Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap), then run doctor again (${DOCS})`
            : `nothing to install: servers on ${support.platform} run unconfined; a "required" profile refuses its server (${DOCS})`,
        });
      for (const s of profiled.filter((p) => p.sandbox?.required))
        out.push({
          status: 'fail',
          subject: `sandbox ${s.name}`,
          detail: `its profile is required (sandbox.required: true) and this machine cannot sandbox: the server will refuse to start (sandbox.unavailable)`,
          fix: linux
            ? `install bubblewrap, or set servers.${s.name}.sandbox.required to false to run it unconfined here`
            : `run it on Linux, or set servers.${s.name}.sandbox.required to false to run it unconfined here`,
        });
      const loose = profiled.filter((p) => !p.sandbox?.required).map((p) => p.name);
      if (loose.length > 0)
        out.push({
          status: 'warn',
          subject: 'sandbox profiles',
          detail: `${plural(loose.length, 'server')} with a profile will run unconfined here: ${loose.join(', ')}`,
          fix: `make the sandbox available (above), or set "required": true in a profile to refuse the server instead`,
        });
    }
    const findings = configuredSandboxFindings(stdio);
    const unconfined = findings.filter((f) => f.ruleId === 'sandbox.unconfined');
    if (unconfined.length > 0) {
      const chosen = new Set(stdio.filter((s) => s.config.sandbox === false).map((s) => s.name));
      const names = unconfined.map(
        (f) => `${f.server ?? ''}${chosen.has(f.server ?? '') ? ' ("sandbox": false)' : ''}`,
      );
      out.push({
        status: 'warn',
        subject: 'sandbox unconfined',
        detail: `${plural(unconfined.length, 'stdio server')} ${agree(unconfined.length, 'runs', 'run')} unconfined, with all of your files and the network: ${names.join(', ')}`,
        fix: `give each a "sandbox" profile ("sandbox": true is no network, its roots read-write); \`secure-mcp-gateway init\` proposes one per server (${DOCS})`,
      });
    }
    for (const f of findings.filter((x) => x.ruleId === 'sandbox.network-all'))
      out.push({ status: 'warn', subject: `sandbox ${f.server ?? ''}`, detail: f.message, fix: f.remediation });
    return out;
  },
};
