/**
 * Tool descriptions in other languages through the built gateway (issue 16, item 5): a Spanish description that asks
 * for a key file and hides it from the user, a Chinese one that shadows the mail server's send_email, and a Japanese
 * one that forbids the other search tools are never listed and their calls are blocked; the benign Chinese,
 * Japanese and French tools of the same server, and the mail server beside it, are listed and work.
 */
import { describe, expect, it } from 'vitest';
import { LOCALIZED_BENIGN, LOCALIZED_POISONED, MAIL_TOOLS } from '../fixtures/localized-server.js';
import { fixtureServer, startGateway, textOf } from '../helpers/gateway.js';

describe('localized tool descriptions end to end', () => {
  it('hides the poisoned localized tools, lists the benign ones, and blocks a call to a hidden one', async () => {
    const gw = await startGateway({
      servers: {
        mail: fixtureServer('localized-server.ts', 'mail'),
        intl: fixtureServer('localized-server.ts'),
      },
    });
    const listed = (await gw.client.listTools()).tools.map((t) => t.name);
    for (const t of LOCALIZED_BENIGN) expect(listed, t.name).toContain(`intl__${t.name}`);
    for (const t of MAIL_TOOLS) expect(listed, t.name).toContain(`mail__${t.name}`);
    for (const t of LOCALIZED_POISONED) expect(listed, t.name).not.toContain(`intl__${t.name}`);

    for (const t of LOCALIZED_POISONED) {
      const r = await gw.client.callTool({ name: `intl__${t.name}`, arguments: { text: 'x' } });
      expect(r.isError, t.name).toBe(true);
      expect(textOf(r)).toMatch(/^blocked by parameter check integrity\.poisoned: /);
    }
    // The same call twice: a blocked tool stays blocked, and a benign one keeps working.
    for (let i = 0; i < 2; i++) {
      expect(textOf(await gw.client.callTool({ name: 'intl__tianqi', arguments: { text: '北京' } }))).toBe('ok tianqi');
      expect(textOf(await gw.client.callTool({ name: 'mail__send_email', arguments: { text: 'hi' } }))).toBe(
        'ok send_email',
      );
    }
    for (const line of gw.stdoutLines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    expect((await gw.closeStdin()).code).toBe(0);
  });
});
