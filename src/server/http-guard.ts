/**
 * The checks every `serve` request passes before it reaches MCP (issue 6): Host and Origin against DNS rebinding,
 * the bearer key, and the request body size. Small pure functions, so each is tested on its own; serve.ts applies
 * them in order. Failure mode: closed; a request that fails one gets a 4xx with a JSON body that says why, and
 * never reaches a session.
 */
import type { IncomingMessage } from 'node:http';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The host name of a Host header value, lower-cased, without the port ("[::1]:80" → "[::1]"). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export interface OriginPolicy {
  /** Host header values (name, or name:port) accepted besides the loopback names. */
  allowedHosts: readonly string[];
  /** Origin values accepted besides loopback origins. */
  allowedOrigins: readonly string[];
}

/**
 * Why the Host header is refused, if it is: a DNS-rebinding page reaches a loopback server under the attacker's
 * own name, so only names this server is meant to be reached by are served.
 */
export function hostRefusal(host: string | undefined, policy: OriginPolicy): string | undefined {
  if (host === undefined || host === '') return 'the request has no Host header';
  const lower = host.trim().toLowerCase();
  const name = hostName(lower);
  if (LOOPBACK_HOSTS.has(name)) return undefined;
  for (const allowed of policy.allowedHosts) {
    const a = allowed.trim().toLowerCase();
    if (a === lower || a === name) return undefined;
  }
  return `Host "${host}" is not allowed (serve.allowedHosts; DNS-rebinding protection)`;
}

/** Why the Origin header is refused, if it is. No Origin (a non-browser client) is fine. */
export function originRefusal(origin: string | undefined, policy: OriginPolicy): string | undefined {
  if (origin === undefined) return undefined;
  const o = origin.trim().toLowerCase();
  if (policy.allowedOrigins.some((a) => a.trim().toLowerCase().replace(/\/$/, '') === o)) return undefined;
  let url: URL;
  try {
    url = new URL(o);
  } catch {
    return `Origin "${origin}" is not allowed (serve.allowedOrigins; DNS-rebinding protection)`;
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname)) return undefined;
  return `Origin "${origin}" is not allowed (serve.allowedOrigins; DNS-rebinding protection)`;
}

/** The key of an `Authorization: Bearer <key>` header, or undefined. */
export function bearerKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : undefined;
}

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`the request body is larger than ${limit} bytes (serve.maxBodyBytes)`);
  }
}

/** Reads the body, refusing (BodyTooLarge) at the first byte beyond `limit`, or at once by Content-Length. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLarge(limit));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.resume();
        reject(new BodyTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!done) reject(error);
    });
  });
}
