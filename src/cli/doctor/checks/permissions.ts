/**
 * doctor: the home folder, the config and every file that holds a secret (<home>/secrets/*, <home>/backups/*, keys,
 * clients.json, files named by ${file:} references) are not readable by other users. POSIX only: Windows ACLs are not modes.
 */
import fs from 'node:fs';
import path from 'node:path';
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
    // secrets/ holds the keys init moved; backups/ holds client files as they were, keys included.
    for (const dir of ['secrets', 'backups'].map((d) => path.join(home, d)))
      try {
        for (const f of fs.readdirSync(dir)) secretFiles.add(path.join(dir, f));
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
    for (const f of [...secretFiles].sort()) {
      const m = mode(f);
      if (m === undefined) continue;
      if ((m & 0o004) !== 0)
        out.push({
          status: 'fail',
          subject: 'permissions',
          detail: `${f} is world-readable (mode ${octal(m)}) and holds a secret`,
          fix: `chmod 600 ${f}`,
        });
      else if ((m & 0o070) !== 0)
        out.push({
          status: 'warn',
          subject: 'permissions',
          detail: `${f} is group-accessible (mode ${octal(m)}) and holds a secret`,
          fix: `chmod 600 ${f}`,
        });
    }
    if (out.length === 0)
      out.push({
        status: 'ok',
        subject: 'permissions',
        detail: `${home}, the config and ${secretFiles.size} secret file${secretFiles.size === 1 ? '' : 's'} are private`,
      });
    return out;
  },
};
