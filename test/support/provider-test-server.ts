/**
 * Test support: a real HTTP server on 127.0.0.1 (port 0) that plays a provider's API, so the tests exercise undici,
 * the keep-alive pool, timeouts and retries for real. A handler that never answers (`hang`) is a hung provider.
 */
import http from 'node:http';
import { afterAll, beforeAll } from 'vitest';
import { closeProviderPool } from '../../src/guardrails/providers/client.js';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The parsed JSON body: every provider sends JSON. */
  body: unknown;
}

export type Handler = (req: SeenRequest, res: http.ServerResponse) => void;

export interface FakeApi {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  /** What the server received since the last `handle()`. */
  requests: SeenRequest[];
  /** Sets how the server answers from now on, and forgets the requests seen so far. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** Never answers. */
export const hang: Handler = () => undefined;

/** Answers with a JSON body; a string body is sent as is, to test bodies that are not JSON. */
export function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' }).end(text);
}

export async function startFakeApi(): Promise<FakeApi> {
  let handler = hang;
  const requests: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const seen: SeenRequest = { method: String(req.method), path: String(req.url), headers: req.headers, body };
      requests.push(seen);
      handler(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      handler = next;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A signal that never aborts, for scans that are not about cancellation. */
export const live = (): AbortSignal => new AbortController().signal;

/**
 * Starts one fake API for the test file and stops it (and the shared keep-alive pool) afterwards. Read `.api`
 * inside tests: it is set once beforeAll has run.
 */
export function useFakeApi(): { readonly api: FakeApi } {
  const holder = {} as { api: FakeApi };
  beforeAll(async () => {
    holder.api = await startFakeApi();
  });
  afterAll(async () => {
    await closeProviderPool();
    await holder.api.close();
  });
  return holder;
}
