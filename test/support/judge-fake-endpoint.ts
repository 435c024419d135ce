/**
 * Test and bench support: a real OpenAI-compatible HTTP server on 127.0.0.1 (port 0) that plays a judge model. A
 * script decides each answer from the request (the check is in the system prompt, the material in the user
 * message): a verdict object, raw content (malformed JSON), an HTTP status, or a delay, so tests exercise undici,
 * the pool, timeouts and the verdict parser for real. It also answers GET /v1/models, and counts the requests in
 * flight at once.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  model: string;
  system: string;
  user: string;
  /** Which check the system prompt asks about. */
  check: 'policy' | 'injection' | 'grounding' | 'adherence' | 'relevancy' | 'unknown';
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type Reply =
  | { verdict: object; delayMs?: number }
  | { content: string; delayMs?: number }
  | { status: number; delayMs?: number }
  | { hang: true };

export type Script = (req: ChatRequest) => Reply;

export interface FakeEndpoint {
  /** `http://127.0.0.1:<port>/v1` */
  baseUrl: string;
  requests: ChatRequest[];
  /** Most chat requests that were in flight at the same time. */
  maxInFlight: number;
  models: string[];
  script(next: Script): void;
  /** Forgets the requests seen and the in-flight high-water mark. */
  reset(): void;
  close(): Promise<void>;
}

function checkOf(system: string): ChatRequest['check'] {
  if (system.includes('numbered organisational rules')) return 'policy';
  if (system.includes('prompt injection)')) return 'injection';
  if (system.includes('context does not support')) return 'grounding';
  if (system.includes('tool’s description (and output schema')) return 'adherence';
  if (system.includes('answer the call that was made')) return 'relevancy';
  return 'unknown';
}

export async function startFakeEndpoint(opts: { models?: string[]; script?: Script } = {}): Promise<FakeEndpoint> {
  let script: Script = opts.script ?? (() => ({ verdict: { score: 1, reason: 'fine' } }));
  const requests: ChatRequest[] = [];
  let inFlight = 0;
  const state = { maxInFlight: 0 };
  const models = opts.models ?? ['judge-model'];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model' })) }));
        return;
      }
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      const messages = body.messages as { role: string; content: string }[];
      const system = messages.find((m) => m.role === 'system')?.content ?? '';
      const user = messages.find((m) => m.role === 'user')?.content ?? '';
      const seen: ChatRequest = {
        model: String(body.model),
        system,
        user,
        check: checkOf(system),
        headers: req.headers,
        body,
      };
      requests.push(seen);
      inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, inFlight);
      const reply = script(seen);
      const pending: { timer?: NodeJS.Timeout } = {};
      let finished = false;
      const done = () => {
        if (finished) return;
        finished = true;
        inFlight--;
        clearTimeout(pending.timer);
      };
      // A client that gave up (timeout, cancel) closes the socket: the request is no longer in flight.
      res.on('close', done);
      if ('hang' in reply) return;
      pending.timer = setTimeout(() => {
        done();
        if ('status' in reply) {
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
          return;
        }
        const content = 'verdict' in reply ? JSON.stringify(reply.verdict) : reply.content;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            model: seen.model,
            choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          }),
        );
      }, reply.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    models,
    script(next) {
      script = next;
    },
    reset() {
      requests.length = 0;
      state.maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
