/**
 * Inline secrets in client configs (issue 8): an env value or a header that is a key, found by the secrets detector
 * (guardrails/secrets.ts) or by a key-like name (…_TOKEN, …_API_KEY, Authorization) with a value that is not a
 * placeholder. `init` moves them into the credential vault and leaves `${keychain:<server>.<KEY>}` in the gateway
 * config (before issue 18: `<home>/secrets/<server>.env`, `${file:…#KEY}`); `scan --clients` reports them.
 *
 * Failure mode: a detector, so it only reports; a value that already is a reference is never a finding.
 */
import { hasRef } from '../config/refs.js';
import { createSecretsDetector } from '../guardrails/secrets.js';

const detector = createSecretsDetector();

/** Names whose values are credentials whatever they look like. */
const SECRET_NAME =
  /(?:^|[_-])(?:api[_-]?key|apikey|token|secret|password|passwd|pwd|credentials?|private[_-]?key|access[_-]?key|auth)(?:$|[_-])|^authorization$|^x-api-key$|^cookie$/i;

/** Values that are obviously not secrets: empty, short, booleans, URLs without credentials, placeholders. */
function placeholder(value: string): boolean {
  const v = value.trim();
  if (v.length < 8) return true;
  if (/^(?:true|false|null|none|changeme|your[-_ ].*|<.*>|x+|\*+|\.\.\.)$/i.test(v)) return true;
  return /^\$\{[^}]*\}$/.test(v) || /^%[A-Z_]+%$/.test(v);
}

/** True when the value of `name` is an inline credential. */
export function isInlineSecret(name: string, value: string): boolean {
  if (hasRef(value) || /\$\{input:/.test(value)) return false;
  if (SECRET_NAME.test(name) && !placeholder(value)) return true;
  return detector.scan(value, 'input').length > 0 || detector.scan(`${name}=${value}`, 'input').length > 0;
}

/** Secret-looking arguments (`--api-key sk-…`, `token=…`): found by the detector only, for `scan --clients`. */
export function secretArgs(args: readonly string[]): number[] {
  const out: number[] = [];
  args.forEach((a, i) => {
    const prev = i > 0 ? args[i - 1]! : '';
    const flag = /^--?([\w-]+)$/.exec(prev)?.[1];
    if (hasRef(a)) return;
    if ((flag !== undefined && isInlineSecret(flag, a)) || detector.scan(a, 'input').length > 0) out.push(i);
  });
  return out;
}

/** The .env key a header's value is stored under: AUTHORIZATION, X_API_KEY. */
export function headerKey(header: string): string {
  return `HEADER_${header.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}
