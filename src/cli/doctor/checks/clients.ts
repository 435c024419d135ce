/**
 * doctor: which MCP clients route through the gateway and which do not; and that the command each client runs
 * for the gateway still exists (a node upgrade moves the absolute path install wrote). Unpinned launchers in client
 * configs are the launchers check's (launchers.ts), in the words of `scan --clients`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { detectClients, isReadable } from '../../../clients/detect.js';
import { isGatewayEntry } from '../../../clients/entries.js';
import { agree, plural } from '../../../util/plural.js';
import type { CheckResult, DoctorCheck } from '../types.js';

export const clientsCheck: DoctorCheck = {
  id: 'clients',
  title: 'MCP clients',
  run(ctx) {
    const out: CheckResult[] = [];
    for (const c of detectClients(ctx.catalog)) {
      if (!c.installed) continue;
      const subject = `client ${c.client.id}`;
      const fix = `secure-mcp-gateway install --client ${c.client.id}`;
      if (c.files.length === 0) {
        out.push({
          status: 'warn',
          subject,
          detail: 'installed, but has no MCP config: the gateway is not set up',
          fix,
        });
        continue;
      }
      for (const f of c.files) {
        if (!isReadable(f)) {
          out.push({ status: 'fail', subject, detail: f.error, fix: `fix the syntax of ${f.file.path}` });
          continue;
        }
        const ours = f.servers.filter((s) => isGatewayEntry(s));
        const shadow = f.servers.filter((s) => !isGatewayEntry(s) && !s.disabled);
        const missing = ours.find(
          (s) => s.command !== undefined && path.isAbsolute(s.command) && !fs.existsSync(s.command),
        );
        if (missing)
          out.push({
            status: 'fail',
            subject,
            detail: `${f.file.path}: the gateway command ${missing.command} does not exist`,
            fix: `${fix} (writes the current path)`,
          });
        else if (shadow.length)
          out.push({
            status: 'warn',
            subject,
            detail: `${f.file.path}: ${plural(shadow.length, 'server')} ${agree(shadow.length, 'bypasses', 'bypass')} the gateway (${shadow.map((s) => s.name).join(', ')})`,
            fix: `${fix}${f.file.scope === 'project' ? ' --project' : ''}`,
          });
        else if (ours.length) out.push({ status: 'ok', subject, detail: `${f.file.path}: routes through the gateway` });
        else if (f.file.scope === 'user')
          out.push({ status: 'warn', subject, detail: `${f.file.path}: does not use the gateway`, fix });
      }
    }
    return out.length ? out : [{ status: 'skip', subject: 'clients', detail: 'no MCP client found on this machine' }];
  },
};
