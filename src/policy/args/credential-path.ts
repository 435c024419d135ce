/**
 * Credential locations (issue 15, class 8): whether a path names a place where a machine keeps secrets (SSH keys,
 * cloud CLI credentials, `.env` files, package-registry tokens, GnuPG, browser profiles, keychains, another
 * process's environment under /proc, /etc/shadow, private key files by name). Used by the path check (every path
 * argument, by rule or inferred) and by the `file:` URI check of `resources/read`, so that a tool whose roots happen
 * to include a home folder still cannot hand `~/.ssh/id_rsa` to the model. Pure and lexical: the caller passes the
 * path as given AND as resolved (symlinks followed), and each is matched.
 *
 * Matching is on path segments, case-insensitively (macOS and Windows file systems fold case, so `.SSH/ID_RSA` is
 * the same file there), with `\` read as a separator and a drive letter dropped, so `/home/u/.ssh/x`,
 * `/root/.ssh/x`, `~/.ssh/x`, `$HOME/.ssh/x` and `C:\Users\u\.ssh\x` all match whatever the home folder is.
 * Directory markers match the directory itself too (listing `~/.ssh` tells which keys exist).
 *
 * Failure mode: none of its own (no I/O, never throws); a match is a deny with `args.path.credential` unless the
 * server's `credentialPaths` setting allows the location.
 */

/** What a match says: the kind of secret, for the reason text. */
export type CredentialLocation = string;

interface SequenceRule {
  /** Consecutive directory names (lower case) that mark a credential folder, matched anywhere in the path. */
  seq: readonly string[];
  what: string;
}

const SEQUENCES: readonly SequenceRule[] = [
  { seq: ['.ssh'], what: 'SSH keys and config (.ssh)' },
  { seq: ['.aws'], what: 'AWS credentials (.aws)' },
  { seq: ['.config', 'gcloud'], what: 'Google Cloud credentials (.config/gcloud)' },
  { seq: ['.azure'], what: 'Azure credentials (.azure)' },
  { seq: ['.kube'], what: 'Kubernetes credentials (.kube)' },
  { seq: ['.docker', 'config.json'], what: 'Docker registry credentials (.docker/config.json)' },
  { seq: ['.config', 'gh', 'hosts.yml'], what: 'a GitHub CLI token (.config/gh/hosts.yml)' },
  { seq: ['.config', 'git', 'credentials'], what: 'Git credentials (.config/git/credentials)' },
  { seq: ['.cargo', 'credentials'], what: 'a crates.io token (.cargo/credentials)' },
  { seq: ['.cargo', 'credentials.toml'], what: 'a crates.io token (.cargo/credentials.toml)' },
  { seq: ['.gem', 'credentials'], what: 'a RubyGems token (.gem/credentials)' },
  { seq: ['.terraform.d', 'credentials.tfrc.json'], what: 'a Terraform token (.terraform.d)' },
  { seq: ['.gnupg'], what: 'GnuPG keys (.gnupg)' },
  { seq: ['.password-store'], what: 'a pass password store (.password-store)' },
  // Keychains: macOS, GNOME/KDE secret service files, Windows DPAPI credentials and vaults.
  { seq: ['library', 'keychains'], what: 'a macOS keychain (Library/Keychains)' },
  { seq: ['.local', 'share', 'keyrings'], what: 'a desktop keyring (.local/share/keyrings)' },
  { seq: ['microsoft', 'credentials'], what: 'Windows credentials (Microsoft/Credentials)' },
  { seq: ['microsoft', 'protect'], what: 'Windows DPAPI keys (Microsoft/Protect)' },
  { seq: ['microsoft', 'vault'], what: 'the Windows vault (Microsoft/Vault)' },
  // Browser profiles hold cookies, saved passwords and the keys that decrypt them.
  { seq: ['.mozilla', 'firefox'], what: 'a Firefox profile' },
  { seq: ['firefox', 'profiles'], what: 'a Firefox profile' },
  { seq: ['.config', 'google-chrome'], what: 'a Chrome profile' },
  { seq: ['.config', 'google-chrome-beta'], what: 'a Chrome profile' },
  { seq: ['.config', 'chromium'], what: 'a Chromium profile' },
  { seq: ['.config', 'bravesoftware'], what: 'a Brave profile' },
  { seq: ['.config', 'microsoft-edge'], what: 'an Edge profile' },
  { seq: ['google', 'chrome'], what: 'a Chrome profile' },
  { seq: ['application support', 'chromium'], what: 'a Chromium profile' },
  { seq: ['chromium', 'user data'], what: 'a Chromium profile' },
  { seq: ['microsoft', 'edge'], what: 'an Edge profile' },
  { seq: ['bravesoftware'], what: 'a Brave profile' },
];

/** File names that are credentials wherever they are. */
const NAMES = new Map<string, string>([
  ['.netrc', 'a .netrc login file'],
  ['_netrc', 'a .netrc login file'],
  ['.npmrc', 'an npm token file (.npmrc)'],
  ['.pypirc', 'a PyPI token file (.pypirc)'],
  ['.git-credentials', 'Git credentials (.git-credentials)'],
  ['.pgpass', 'a PostgreSQL password file (.pgpass)'],
  ['.my.cnf', 'a MySQL password file (.my.cnf)'],
  ['.vault-token', 'a HashiCorp Vault token'],
  ['key3.db', 'a browser key database'],
  ['key4.db', 'a browser key database'],
  ['logins.json', 'browser saved passwords'],
  ['cookies.sqlite', 'browser cookies'],
  ['login data', 'browser saved passwords'],
]);

const PRIVATE_KEY_NAME = /^(id_(rsa|dsa|ecdsa|ed25519)(_sk)?|ssh_host_\w+_key)$/;
const PRIVATE_KEY_EXT = /\.(pem|key|p12|pfx|p8|ppk|jks|keystore)$/;
/** `.env` and `.env.<stage>`; the committed templates hold no values. */
const ENV_FILE = /^\.env(\..+)?$/;
const ENV_TEMPLATE = /^\.env\.(example|sample|template)$/;
/** Under /proc/<pid>/ (and its task/<tid>/): a process's environment, command line and memory. */
const PROC_SECRETS = new Set(['environ', 'cmdline', 'mem']);
const ETC_SECRETS = new Set(['shadow', 'shadow-', 'gshadow', 'gshadow-', 'master.passwd']);

/** Lower-cased segments, `\` as a separator, drive letter dropped, `.` and `..` applied lexically. */
export function credentialSegments(p: string): string[] {
  const text = p.replaceAll('\\', '/').replace(/^[A-Za-z]:(?=\/|$)/, '');
  const out: string[] = [];
  for (const raw of text.split('/')) {
    // Windows ignores trailing dots and spaces in a name (`id_rsa.` is `id_rsa`).
    const seg = raw.toLowerCase().replace(/[. ]+$/, (m) => (raw === '.' || raw === '..' ? m : ''));
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return out;
}

function hasSequence(segs: readonly string[], seq: readonly string[]): boolean {
  outer: for (let i = 0; i + seq.length <= segs.length; i++) {
    for (let j = 0; j < seq.length; j++) if (segs[i + j] !== seq[j]) continue outer;
    return true;
  }
  return false;
}

/**
 * The kind of credential a path names, or undefined. `p` may be absolute or relative, POSIX or Windows, with `~` or
 * `$HOME` left in (segments are matched wherever they are, so the home folder's spelling does not matter).
 */
export function credentialLocation(p: string): CredentialLocation | undefined {
  const segs = credentialSegments(p);
  const name = segs.at(-1);
  if (name === undefined) return undefined;
  // /proc and /etc only count as the real ones, at the top (a relative "proc/1/environ" in a project is a file).
  const absolute = /^([\\/]|[A-Za-z]:[\\/])/.test(p);
  if (absolute && segs[0] === 'proc' && segs.slice(2).some((s) => PROC_SECRETS.has(s)))
    return 'a process environment, command line or memory (/proc)';
  if (absolute && segs[0] === 'etc' && ETC_SECRETS.has(name) && segs.length === 2) return 'the password hashes (/etc)';
  for (const rule of SEQUENCES) if (hasSequence(segs, rule.seq)) return rule.what;
  const named = NAMES.get(name);
  if (named !== undefined) return named;
  if (ENV_FILE.test(name) && !ENV_TEMPLATE.test(name)) return 'a .env file';
  if (PRIVATE_KEY_NAME.test(name) || PRIVATE_KEY_EXT.test(name)) return 'a private key file';
  return undefined;
}
