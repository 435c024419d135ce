import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config/load.js';
import { resolvePaths } from '../config/paths.js';
import { silentLogger } from '../log.js';
import { auditLocation, createAuditSink } from './setup.js';
import { verifyLog } from './verify.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smg-setup-'));
const file = path.join(dir, 'config.json');
const paths = resolvePaths({ config: file }, { SMG_HOME: dir });
const load = (audit: unknown, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(JSON.stringify({ servers: {}, audit }), file, env);

describe('audit settings', () => {
  it('puts the log under the home by default and resolves a relative path against the config file', () => {
    expect(auditLocation(load({}), paths)).toEqual({ file: path.join(dir, 'audit.jsonl') });
    expect(auditLocation(load({ path: 'logs/a.jsonl' }), paths).file).toBe(path.join(dir, 'logs/a.jsonl'));
  });

  it('takes the HMAC key only from a reference, and names audit.hmacKey when it cannot be resolved', () => {
    expect(() => load({ hmacKey: 'plain-key-in-config' })).toThrow(
      /audit\.hmacKey: a \$\{file:PATH\} or \$\{env:NAME\} reference/,
    );
    const env = { SMG_AUDIT_HMAC: 'k'.repeat(32) };
    expect(auditLocation(load({ hmacKey: '${env:SMG_AUDIT_HMAC}' }, env), paths, env).key).toBe('k'.repeat(32));
    expect(() => auditLocation(load({ hmacKey: '${env:MISSING_KEY}' }), paths, {})).toThrow(
      /at audit\.hmacKey: environment variable MISSING_KEY is not set/,
    );
    const short = { K: 'short' };
    expect(() => auditLocation(load({ hmacKey: '${env:K}' }, short), paths, short)).toThrow(/shorter than 16/);
  });

  it('rejects unknown audit fields and modes', () => {
    expect(() => load({ fsync: 'sometimes' })).toThrow(/audit\.fsync: expected one of "batched", "always"/);
    expect(() => load({ colour: 'red' })).toThrow(/unknown field "colour"/);
  });

  it('builds a sink whose records verify, and none when audit is disabled', async () => {
    const sink = await createAuditSink(load({ path: 'sink/audit.jsonl', fsync: 'always' }), paths, silentLogger());
    sink.configReloaded({ file, ok: true });
    await sink.close();
    expect(verifyLog(path.join(dir, 'sink/audit.jsonl'))).toMatchObject({ ok: true, records: 1 });
    const off = await createAuditSink(load({ enabled: false, path: 'off/audit.jsonl' }), paths, silentLogger());
    off.configReloaded({ file, ok: true });
    await off.close();
    expect(fs.existsSync(path.join(dir, 'off'))).toBe(false);
  });
});
