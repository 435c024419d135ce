import { describe, expect, it } from 'vitest';
import { CLIENT_IDS, clientCatalog, clientInfo, isClientId, suggestClientId, unknownClientMessage } from './catalog.js';

const paths = (platform: 'darwin' | 'win32' | 'linux', env: NodeJS.ProcessEnv) =>
  Object.fromEntries(
    clientCatalog({ platform, env, project: platform === 'win32' ? 'C:\\src\\app' : '/src/app' }).flatMap((c) =>
      c.files.map((f) => [`${c.id}:${f.scope}`, f.path]),
    ),
  );

describe('the client catalogue', () => {
  it('knows every client, each with a user file', () => {
    const ids = clientCatalog({ platform: 'linux', env: { HOME: '/h' } }).map((c) => c.id);
    expect(ids).toEqual([...CLIENT_IDS]);
    for (const c of clientCatalog({ platform: 'linux', env: { HOME: '/h' } }))
      expect(c.files.some((f) => f.scope === 'user')).toBe(true);
  });

  it('resolves macOS paths from HOME', () => {
    expect(paths('darwin', { HOME: '/Users/ann' })).toEqual({
      'claude-desktop:user': '/Users/ann/Library/Application Support/Claude/claude_desktop_config.json',
      'cursor:user': '/Users/ann/.cursor/mcp.json',
      'cursor:project': '/src/app/.cursor/mcp.json',
      'vscode:user': '/Users/ann/Library/Application Support/Code/User/mcp.json',
      'vscode:project': '/src/app/.vscode/mcp.json',
      'windsurf:user': '/Users/ann/.codeium/windsurf/mcp_config.json',
      'cline:user':
        '/Users/ann/Library/Application Support/Code/User/globalStorage/saoudrizwan.claude-dev/settings/cline_mcp_settings.json',
      'zed:user': '/Users/ann/.config/zed/settings.json',
      'zed:project': '/src/app/.zed/settings.json',
      'claude-code:user': '/Users/ann/.claude.json',
      'claude-code:project': '/src/app/.mcp.json',
    });
  });

  it('resolves Windows paths from USERPROFILE and APPDATA', () => {
    const p = paths('win32', { USERPROFILE: 'C:\\Users\\ann', APPDATA: 'D:\\Roaming' });
    expect(p['claude-desktop:user']).toBe('D:\\Roaming\\Claude\\claude_desktop_config.json');
    expect(p['vscode:user']).toBe('D:\\Roaming\\Code\\User\\mcp.json');
    expect(p['zed:user']).toBe('D:\\Roaming\\Zed\\settings.json');
    expect(p['cursor:user']).toBe('C:\\Users\\ann\\.cursor\\mcp.json');
    expect(p['claude-code:project']).toBe('C:\\src\\app\\.mcp.json');
    // Without APPDATA, the default under the profile.
    expect(paths('win32', { USERPROFILE: 'C:\\Users\\ann' })['claude-desktop:user']).toBe(
      'C:\\Users\\ann\\AppData\\Roaming\\Claude\\claude_desktop_config.json',
    );
  });

  it('resolves Linux paths from XDG_CONFIG_HOME, else ~/.config', () => {
    expect(paths('linux', { HOME: '/home/ann' })['claude-desktop:user']).toBe(
      '/home/ann/.config/Claude/claude_desktop_config.json',
    );
    const x = paths('linux', { HOME: '/home/ann', XDG_CONFIG_HOME: '/xdg' });
    expect(x['claude-desktop:user']).toBe('/xdg/Claude/claude_desktop_config.json');
    expect(x['vscode:user']).toBe('/xdg/Code/User/mcp.json');
    expect(x['zed:user']).toBe('/xdg/zed/settings.json');
    expect(x['windsurf:user']).toBe('/home/ann/.codeium/windsurf/mcp_config.json');
  });

  it('marks VS Code and Zed settings as JSONC', () => {
    const jsonc = clientCatalog({ platform: 'linux', env: { HOME: '/h' } })
      .flatMap((c) => c.files.filter((f) => f.jsonc).map((f) => `${c.id}:${f.scope}`))
      .sort();
    expect(jsonc).toEqual(['vscode:project', 'vscode:user', 'zed:project', 'zed:user']);
  });

  it('names the known clients when asked for an unknown one', () => {
    expect(() => clientInfo('emacs', { platform: 'linux', env: { HOME: '/h' } })).toThrow(
      /unknown client "emacs" \(known: claude-desktop, cursor, vscode, windsurf, cline, zed, claude-code\)/,
    );
    expect(clientInfo('zed', { platform: 'linux', env: { HOME: '/h' } }).serversKey).toBe('context_servers');
  });

  it.each([
    ['cursr', 'cursor'],
    ['Cursor', 'cursor'],
    ['vs-code', 'vscode'],
    ['claudecode', 'claude-code'],
    ['claude-destkop', 'claude-desktop'],
    ['windsruf', 'windsurf'],
    ['zde', 'zed'],
    ['claude-d', 'claude-desktop'],
    ['claude', undefined], // a prefix of two ids: no guess
    ['emacs', undefined],
    ['', undefined],
  ])('suggests a known client for "%s"', (typed, expected) => {
    expect(suggestClientId(typed)).toBe(expected);
    expect(suggestClientId(typed)).toBe(expected);
  });

  it('says "did you mean" only when there is a suggestion', () => {
    expect(unknownClientMessage('cursr')).toBe(
      'unknown client "cursr"; did you mean "cursor"? (known: claude-desktop, cursor, vscode, windsurf, cline, zed, claude-code)',
    );
    expect(unknownClientMessage('emacs')).toBe(
      'unknown client "emacs" (known: claude-desktop, cursor, vscode, windsurf, cline, zed, claude-code)',
    );
    expect(() => clientInfo('cursr')).toThrow('did you mean "cursor"?');
  });

  it.each([
    ['cursor', true],
    ['claude-code', true],
    ['cursr', false],
    ['Cursor', false],
  ])('knows whether "%s" is a client id', (id, expected) => {
    expect(isClientId(id)).toBe(expected);
  });
});
