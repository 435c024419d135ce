/**
 * Complete mediation through the built gateway (issue 15, classes 1, 2 and 6): an injection hidden deep inside
 * structuredContent, in an object key, in the result's `_meta`, in a content part's `_meta`, in a text blob that claims to be an
 * image, or in a resource link's title never reaches the client; a secret nested 70 levels deep in the arguments
 * never reaches the upstream (a guard that cannot finish denies); `resources/read` of a file outside the server's
 * roots, or of a credential file, is refused before the upstream sees it; an upstream's JSON-RPC error is read like
 * a result. Benign look-alikes pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fixtureServer, nonJsonRpcLines, startGateway, tempDir, textOf } from '../helpers/gateway.js';

const PLACES = ['deep', 'key', 'meta', 'part-meta', 'blob', 'link'] as const;
const TOKEN = 'ghp_9fK2LmQ8xR4tZ7vB1nW5cY3hJ6dP0sAeGu2q';

function config(home: string, root: string) {
  return {
    servers: {
      m: {
        ...fixtureServer('hiding-server.ts'),
        env: { RECORD_FILE: path.join(home, 'rec.jsonl') },
        roots: [root],
      },
    },
  };
}

function recorded(home: string): string {
  const file = path.join(home, 'rec.jsonl');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

describe('complete mediation end to end', () => {
  it('blocks an injection wherever the result hides it, and passes the same places when they are benign', async () => {
    const home = tempDir();
    const root = fs.mkdtempSync(path.join(home, 'root-'));
    const gw = await startGateway(config(home, root), { home });
    for (const where of PLACES) {
      const r = await gw.client.callTool({ name: 'm__hide', arguments: { where } });
      expect(r.isError, `${where}: ${JSON.stringify(r)}`).toBe(true);
      const text = textOf(r);
      if (where === 'deep') expect(text).toMatch(/guard\.budget-exceeded.*deeper than 64 levels/);
      else expect(text, where).toMatch(/^blocked by output guardrail injection\./);
      expect(JSON.stringify(r)).not.toContain('id_rsa');
      const ok = await gw.client.callTool({ name: 'm__clean', arguments: { where } });
      if (where === 'deep') expect(textOf(ok)).toMatch(/guard\.budget-exceeded/);
      else expect(ok.isError, `clean ${where}: ${textOf(ok)}`).toBeFalsy();
    }
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it("reads an upstream's JSON-RPC error like a result: an injection in its message or data is blocked", async () => {
    // tools/call, resources/read and prompts/get alike.
    const home = tempDir();
    const root = fs.mkdtempSync(path.join(home, 'root-'));
    const gw = await startGateway(config(home, root), { home });
    for (const where of ['message', 'data'] as const) {
      const r = await gw.client.callTool({ name: 'm__fail', arguments: { where } });
      expect(r.isError, where).toBe(true);
      expect(textOf(r), where).toMatch(/^blocked by output guardrail injection\./);
      expect(JSON.stringify(r)).not.toContain('id_rsa');
    }
    // A plain failure still arrives as the upstream's JSON-RPC error, with its code and data: -32000 from an upstream
    // is its own error, not a closed connection.
    const clean = await gw.client.callTool({ name: 'm__fail', arguments: { where: 'clean' } }).then(
      () => undefined,
      (e: unknown) => e as { code: number; message: string; data: unknown },
    );
    expect(clean).toMatchObject({ code: -32000, data: { retry: false } });
    expect(clean?.message).toMatch(/job failed: the input file is empty/);
    // The same for a resource read and a prompt: the error is blocked by the rule, a clean one passes as it came.
    const failure = (p: Promise<unknown>) =>
      p.then(
        () => undefined,
        (e: unknown) => e as { code: number; message: string },
      );
    for (const p of [
      failure(gw.client.readResource({ uri: 'fail://hidden' })),
      failure(gw.client.getPrompt({ name: 'm__broken', arguments: { where: 'hidden' } })),
    ]) {
      const e = await p;
      expect(e?.message).toMatch(/blocked by output guardrail injection\./);
      expect(JSON.stringify(e)).not.toContain('id_rsa');
    }
    expect((await failure(gw.client.readResource({ uri: 'fail://clean' })))?.message).toMatch(/the log is empty/);
    expect((await failure(gw.client.getPrompt({ name: 'm__broken', arguments: { where: 'clean' } })))?.message).toMatch(
      /prompt failed: no template/,
    );
    expect(nonJsonRpcLines(gw.stdoutLines)).toEqual([]);
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('never lets a secret nested 70 levels deep, or hidden in a key, reach the upstream', async () => {
    const home = tempDir();
    const root = fs.mkdtempSync(path.join(home, 'root-'));
    const gw = await startGateway(config(home, root), { home });
    let deep: unknown = TOKEN;
    for (let i = 0; i < 70; i++) deep = { n: deep };
    const r = await gw.client.callTool({ name: 'm__echo', arguments: { doc: deep } });
    expect(textOf(r)).toMatch(/guard\.budget-exceeded/);
    const k = await gw.client.callTool({ name: 'm__echo', arguments: { doc: { [TOKEN]: 'x' } } });
    expect(k.isError).toBe(true);
    expect(textOf(k)).toMatch(/secrets\./);
    expect(textOf(k)).not.toContain(TOKEN);
    const fine = await gw.client.callTool({ name: 'm__echo', arguments: { doc: { owner: 'team', rows: [1, 2] } } });
    expect(fine.isError).toBeFalsy();
    const seen = recorded(home);
    expect(seen).not.toContain(TOKEN);
    expect(seen).toContain('"owner":"team"');
    expect((await gw.closeStdin()).code).toBe(0);
  });

  it('refuses resources/read outside the roots and of credential files before the upstream sees it', async () => {
    const home = tempDir();
    const root = fs.mkdtempSync(path.join(home, 'root-'));
    fs.writeFileSync(path.join(root, 'notes.txt'), 'hello');
    fs.mkdirSync(path.join(root, '.ssh'));
    fs.writeFileSync(path.join(root, '.ssh', 'id_rsa'), 'key');
    const gw = await startGateway(config(home, root), { home });
    const inside = pathToFileURL(path.join(root, 'notes.txt')).href;
    const read = await gw.client.readResource({ uri: inside });
    expect(JSON.stringify(read.contents)).toContain('contents of');
    for (const [uri, rule] of [
      ['file:///etc/passwd', 'resources.outside-roots'],
      ['file:///proc/self/environ', 'resources.'],
      [`${pathToFileURL(root).href}/../../etc/passwd`, 'resources.'],
      [pathToFileURL(path.join(root, '.ssh', 'id_rsa')).href, 'resources.credential'],
    ] as const) {
      await expect(gw.client.readResource({ uri }), uri).rejects.toThrow(rule);
    }
    const seen = recorded(home);
    expect(seen).toContain('notes.txt');
    expect(seen).not.toMatch(/passwd|environ|id_rsa/);
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
