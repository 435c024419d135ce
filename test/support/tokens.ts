/** Test tokens in vendors' formats, for the secrets detector's tests and the attack suite. */
import { crc32 } from '../../src/guardrails/secret-rules.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** A GitHub/npm style token: prefix, 30 base62 characters, their CRC32 in base62 (6 characters; github.blog, 2021-04-05). */
export function checksummedToken(prefix: string, body30: string): string {
  let n = crc32(body30);
  let sum = '';
  for (let i = 0; i < 6; i++) {
    sum = BASE62[n % 62]! + sum;
    n = Math.floor(n / 62);
  }
  return `${prefix}_${body30}${sum}`;
}
