/**
 * doctor: the home folder, the config, every file that holds a secret (<home>/secrets/*, keys.json, clients.json,
 * files named by ${file:} references) and every client config backup are not readable by other users. POSIX only:
 * Windows ACLs are not modes.
 *
 * Backups (<home>/backups/*, the timestamped copies `install` takes of a client file before it rewrites it) are not
 * secret files and are counted apart (issue 17, 9f), but they are held to 0600 all the same: a client config can
 * hold inline keys, and its backup keeps them after `init` moved them out of the client.
 */
import fs from 'node:fs';
import path from 'node:path';
import { plural } from '../../../util/plural.js';
import type { CheckResult, DoctorCheck } from '../types.js';

function mode(file: string): number | undefined {
  try {
    return fs.statSync(file).mode & 0o777;
  } catch {
    return undefined;
  }
}

const octal = (m: number) => m.toString(8).padStart(3, '0');

export const permissionsCheck: DoctorCheck = {
  id: 'permissions',
  title: 'file permissions',
  run(ctx) {
    if ((ctx.catalog.platform ?? process.platform) === 'win32')
      return [{ status: 'skip', subject: 'permissions', detail: 'Windows: check the folder ACLs by hand' }];
    const out: CheckResult[] = [];
    const home = ctx.paths.home;
    const secretFiles = new Set<string>();
    const backups = new Set<string>();
    // secrets/ holds the keys init moved; backups/ holds client files as they were, keys included.
    for (const [dir, into] of [
      ['secrets', secretFiles],
      ['backups', backups],
    ] as const)
      try {
        for (const f of fs.readdirSync(path.join(home, dir))) into.add(path.join(home, dir, f));
      } catch {
        // no such folder
      }
    for (const f of ['keys.json', 'clients.json'])
      if (fs.existsSync(path.join(home, f))) secretFiles.add(path.join(home, f));
    try {
      const text = fs.readFileSync(ctx.paths.config, 'utf8');
      for (const m of text.matchAll(/\$\{file:([^}#]+)(?:#[A-Za-z_]\w*)?\}/g)) {
        const p = m[1]!.trim().replace(/^~(?=[/\\])/, ctx.env.HOME ?? '~');
        secretFiles.add(path.resolve(path.dirname(ctx.paths.config), p));
      }
    } catch {
      // the config check reports it
    }
    const h = mode(home);
    if (h !== undefined && (h & 0o077) !== 0)
      out.push({
        status: 'warn',
        subject: 'permissions',
        detail: `${home} is mode ${octal(h)}: other users can look inside`,
        fix: `chmod 700 ${home}`,
      });
    const c = mode(ctx.paths.config);
    if (c !== undefined && (c & 0o022) !== 0)
      out.push({
        status: 'fail',
        subject: 'permissions',
        detail: `${ctx.paths.config} is mode ${octal(c)}: others can change what the gateway allows`,
        fix: `chmod 600 ${ctx.paths.config}`,
      });
    const files = [
      ...[...secretFiles].map((f) => [f, 'holds a secret'] as const),
      ...[...backups]
        .filter((f) => !secretFiles.has(f))
        .map((f) => [f, 'is a client config backup, which can hold keys'] as const),
    ].sort(([a], [b]) => a.localeCompare(b));
    for (const [f, what] of files) {
      const m = mode(f);
      if (m === undefined) continue;
      if ((m & 0o004) !== 0)
        out.push({
          status: 'fail',
          subject: 'permissions',
          detail: `${f} is world-readable (mode ${octal(m)}) and ${what}`,
          fix: `chmod 600 ${f}`,
        });
      else if ((m & 0o070) !== 0)
        out.push({
          status: 'warn',
          subject: 'permissions',
          detail: `${f} is group-accessible (mode ${octal(m)}) and ${what}`,
          fix: `chmod 600 ${f}`,
        });
    }
    if (out.length === 0)
      out.push({
        status: 'ok',
        subject: 'permissions',
        detail: `${home}, the config, ${plural(secretFiles.size, 'secret file')} and ${plural(backups.size, 'client config backup')} are private`,
      });
    return out;
  },
};
