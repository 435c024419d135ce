/**
 * Supervises one upstream server: connects, discovers its catalog, follows its list_changed notifications, and
 * restarts it with exponential back-off (with jitter) when it crashes or cannot be reached. A failing upstream
 * never affects the others. Requests wait for the connection (bounded by the server's timeout), and a crash fails
 * the requests in flight at once with an error that says what happened.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  EmptyResultSchema,
  LoggingMessageNotificationSchema,
  McpError,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type CallToolResult,
  type LoggingLevel,
  type LoggingMessageNotification,
  type Request,
  type ResourceUpdatedNotification,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { z } from 'zod';
import type { ResolvedServer } from '../config/load.js';
import { guarded } from '../pipeline/crossings.js';
import { GatewayError, messageOf, plainMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { fetchCatalog, fetchCatalogPart, type Catalog, type CatalogPart } from './catalog.js';
import { openConnection, type ClientRelay, type Connection } from './connect.js';
import type { SandboxContext } from './client.js';
import type { Cancel, DirectCallOptions } from './direct-call.js';
import { UpstreamGoneError } from './stdio-transport.js';
import { SignInRequiredError } from '../oauth/provider.js';
import { SandboxRefusedError } from '../sandbox/types.js';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'backoff' | 'closed';

export interface UpstreamOptions {
  log: Logger;
  mask: (text: string) => string;
  connectTimeoutMs: number;
  restartInitialDelayMs: number;
  restartMaxDelayMs: number;
  maxMessageBytes: number;
  /** Called with every newly discovered catalog (after connect and after list_changed). */
  onCatalog: (server: string, catalog: Catalog) => void;
  onStateChange?: (server: string, state: UpstreamState) => void;
  /** Whose OAuth tokens a remote server uses (ConnectOptions.oauthUser). */
  oauthUser?: string | null;
  /** What a sandboxed stdio server needs from the gateway (ConnectOptions.sandbox). */
  sandbox?: SandboxContext;
  /** The upstream's log messages and resource updates, for the pool to relay (unfiltered, unmasked). */
  onNotification?: (server: string, notification: UpstreamNotification) => void;
}

/** What an upstream tells its client that a client session may want: its log messages and resource updates. */
export type UpstreamNotification = LoggingMessageNotification | ResourceUpdatedNotification;

/** A connection that stayed up this long resets the back-off. */
const STABLE_AFTER_MS = 10_000;

export class Upstream {
  state: UpstreamState = 'idle';
  catalog: Catalog | undefined;
  lastError: string | undefined;
  /**
   * Set while the server cannot connect until a person signs in (OAuth, issue 18): the message says how, and names
   * no token. Calls fail with it at once instead of waiting for a connection that cannot come.
   */
  signInRequired: string | undefined;
  /**
   * Set when the sandbox refused this server (sandbox.unavailable: `required` and no sandbox here) or its policy
   * stopped it (sandbox.stopped, issue 19): the message names the rule and the cause. The server is not restarted
   * until the gateway is, and calls fail with the message at once.
   */
  halted: string | undefined;
  restarts = 0;
  /**
   * When the current connection became ready (epoch ms, sub-millisecond): a call that arrived before it waited for
   * the upstream to start, and that wait is not the call's own latency (issue 17: the report's latency column).
   */
  readyAt = 0;

  private connection: Connection | undefined;
  private attempts = 0;
  /** When the last connection attempt started (epoch ms). */
  private lastAttemptAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private waiters = new Set<{ resolve: (c: Connection) => void; reject: (e: Error) => void }>();
  private relay: ClientRelay = {};
  private readonly log: Logger;
  /** The client's `logging/setLevel`, applied on every (re)connect of an upstream that declares logging. */
  private logLevel: LoggingLevel | undefined;
  /** Lists the server said changed while its connection was being set up (see refresh). */
  private readonly pendingRefresh = new Set<CatalogPart>();
  /** Resource URIs subscribed to: subscribed again after a restart, since a new process knows none of them. */
  private readonly subscriptions = new Set<string>();

  constructor(
    readonly server: ResolvedServer,
    private readonly opts: UpstreamOptions,
  ) {
    this.log = opts.log.child({ server: server.name });
  }

  get name(): string {
    return this.server.name;
  }

  get capabilities(): ServerCapabilities | undefined {
    return this.connection?.client.getServerCapabilities();
  }

  /** Starts connecting; returns at once. The relay says which client requests the upstream may make. */
  start(relay: ClientRelay): void {
    if (this.state !== 'idle') return;
    this.relay = relay;
    void this.connect();
  }

  /** A method, not a field test: the state can change across every await. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private setState(state: UpstreamState): void {
    this.state = state;
    if (state === 'ready') this.readyAt = performance.timeOrigin + performance.now();
    this.opts.onStateChange?.(this.name, state);
  }

  private async connect(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('connecting');
    const started = Date.now();
    this.lastAttemptAt = started;
    let connection: Connection | undefined;
    try {
      connection = await openConnection(this.server, {
        log: this.log,
        mask: this.opts.mask,
        relay: this.relay,
        timeoutMs: this.opts.connectTimeoutMs,
        maxMessageBytes: this.opts.maxMessageBytes,
        ...(this.opts.oauthUser !== undefined ? { oauthUser: this.opts.oauthUser } : {}),
        ...(this.opts.sandbox ? { sandbox: this.opts.sandbox } : {}),
      });
      if (this.isClosed()) {
        await connection.close();
        return;
      }
      this.wire(connection.client);
      const catalog = await fetchCatalog(connection.client, this.opts.connectTimeoutMs);
      const sentLevel = await this.restoreSession(connection.client);
      if (this.isClosed()) {
        await connection.close();
        return;
      }
      this.connection = connection;
      this.catalog = catalog;
      this.lastError = undefined;
      this.signInRequired = undefined;
      const upSince = Date.now();
      connection.client.onclose = () => this.onConnectionClosed(connection!, upSince);
      this.setState('ready');
      this.log.info(
        { via: connection.via, ms: Date.now() - started, tools: catalog.tools.length },
        'upstream connected',
      );
      this.opts.onCatalog(this.name, catalog);
      const pending = [...this.pendingRefresh];
      this.pendingRefresh.clear();
      for (const part of pending) void this.refresh(connection.client, part);
      for (const w of this.waiters) w.resolve(connection);
      this.waiters.clear();
      // A level the client set while this connection was being restored has not been sent yet.
      if (this.logLevel !== sentLevel && this.logLevel !== undefined)
        this.setLogLevel(this.logLevel, this.opts.connectTimeoutMs).catch((error: unknown) =>
          this.log.warn({ err: messageOf(error) }, 'could not set the log level'),
        );
    } catch (error) {
      await connection?.close().catch(() => undefined);
      if (this.isClosed()) return;
      this.lastError = messageOf(error);
      this.signInRequired = error instanceof SignInRequiredError ? error.message : undefined;
      this.log.error({ err: this.lastError }, 'upstream failed to connect');
      if (error instanceof SandboxRefusedError) {
        this.halt(error.message);
        return;
      }
      // Waiting calls would only time out: the sign-in is a person's, and `auth login` is seen at the next attempt.
      if (this.signInRequired !== undefined) {
        for (const w of this.waiters) w.reject(this.signInError());
        this.waiters.clear();
      }
      this.scheduleRestart();
    }
  }

  private wire(client: Client): void {
    const refresh = (part: CatalogPart, also?: CatalogPart) => () => void this.refresh(client, part, also);
    client.setNotificationHandler(
      guarded('upstream', 'notification', ToolListChangedNotificationSchema),
      refresh('tools'),
    );
    client.setNotificationHandler(
      guarded('upstream', 'notification', PromptListChangedNotificationSchema),
      refresh('prompts'),
    );
    client.setNotificationHandler(
      guarded('upstream', 'notification', ResourceListChangedNotificationSchema),
      refresh('resources', 'resourceTemplates'),
    );
    client.setNotificationHandler(guarded('upstream', 'notification', LoggingMessageNotificationSchema), (n) => {
      this.log.debug({ stream: 'mcp-log', level: n.params.level }, this.opts.mask(JSON.stringify(n.params.data)));
      this.opts.onNotification?.(this.name, n);
    });
    client.setNotificationHandler(guarded('upstream', 'notification', ResourceUpdatedNotificationSchema), (n) => {
      if (this.subscriptions.has(n.params.uri)) this.opts.onNotification?.(this.name, n);
    });
  }

  /**
   * After a (re)connect: the log level and the subscriptions the previous process had. Failures are logged.
   * Returns the level it sent (undefined when none).
   */
  private async restoreSession(client: Client): Promise<LoggingLevel | undefined> {
    const level = this.logLevel;
    const timeout = this.opts.connectTimeoutMs;
    const caps = client.getServerCapabilities() ?? {};
    const sends: Promise<unknown>[] = [];
    if (level !== undefined && caps.logging)
      sends.push(
        client.request({ method: 'logging/setLevel', params: { level } }, EmptyResultSchema, {
          timeout,
        }),
      );
    if (caps.resources?.subscribe)
      for (const uri of this.subscriptions)
        sends.push(client.request({ method: 'resources/subscribe', params: { uri } }, EmptyResultSchema, { timeout }));
    for (const r of await Promise.allSettled(sends))
      if (r.status === 'rejected')
        this.log.warn({ err: messageOf(r.reason) }, 'could not restore log level or subscription');
    return level;
  }

  /**
   * The client's log level: sent now when connected (and the server declares logging), and on every reconnect.
   * A server without the logging capability is skipped, as the spec asks.
   */
  async setLogLevel(level: LoggingLevel, timeout: number): Promise<void> {
    this.logLevel = level;
    const connection = this.connection;
    if (!connection || this.state !== 'ready' || !this.capabilities?.logging) return;
    await this.request({ method: 'logging/setLevel', params: { level } }, EmptyResultSchema, { timeout });
  }

  /** Subscribes to a resource (kept across restarts); the server must declare `resources.subscribe`. */
  async subscribe(uri: string, timeout: number, signal?: AbortSignal): Promise<void> {
    await this.ready(timeout, signal);
    if (!this.capabilities?.resources?.subscribe)
      throw new GatewayError('UNSUPPORTED', `upstream "${this.name}" does not support resource subscriptions`);
    await this.request({ method: 'resources/subscribe', params: { uri } }, EmptyResultSchema, {
      timeout,
      ...(signal ? { signal } : {}),
    });
    this.subscriptions.add(uri);
  }

  /** Ends a subscription; when not connected, only forgets it (a restarted process never had it). */
  async unsubscribe(uri: string, timeout: number): Promise<void> {
    if (!this.subscriptions.delete(uri)) return;
    if (this.state !== 'ready' || !this.capabilities?.resources?.subscribe) return;
    await this.request({ method: 'resources/unsubscribe', params: { uri } }, EmptyResultSchema, { timeout });
  }

  private async refresh(client: Client, part: CatalogPart, also?: CatalogPart): Promise<void> {
    if (this.connection?.client !== client || !this.catalog) {
      // A list_changed that arrives while this connection is still being set up (after the first tools/list answer,
      // before the connection is ready) is kept and honoured once it is: dropping it would serve the list the
      // server has already replaced.
      if (this.state === 'connecting') for (const p of also ? [part, also] : [part]) this.pendingRefresh.add(p);
      return;
    }
    try {
      const parts = also ? [part, also] : [part];
      const lists = await Promise.all(parts.map((p) => fetchCatalogPart(client, p, this.opts.connectTimeoutMs)));
      if (this.connection?.client !== client) return;
      const next: Catalog = { ...this.catalog };
      parts.forEach((p, i) => ((next as Record<CatalogPart, unknown>)[p] = lists[i]));
      this.catalog = next;
      this.log.info({ part: parts.join('+') }, 'upstream list changed');
      this.opts.onCatalog(this.name, next);
    } catch (error) {
      this.log.warn({ err: messageOf(error), part }, 'could not refresh after list_changed');
    }
  }

  private onConnectionClosed(connection: Connection, upSince: number): void {
    if (this.connection !== connection) return;
    this.connection = undefined;
    if (this.state === 'closed' || this.halted !== undefined) return;
    this.lastError = `${connection.describeEnd()}`;
    this.log.error({ end: this.lastError }, 'upstream went away; restarting');
    if (Date.now() - upSince > STABLE_AFTER_MS) this.attempts = 0;
    this.restarts++;
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    this.setState('backoff');
    const base = Math.min(this.opts.restartMaxDelayMs, this.opts.restartInitialDelayMs * 2 ** this.attempts);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.attempts++;
    this.log.info({ delayMs: delay, attempt: this.attempts }, 'upstream restart scheduled');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
    this.timer.unref();
  }

  /**
   * Stops the server for good (until the gateway restarts): the sandbox refused it, or its policy stopped it. Calls
   * waiting for it and every later call fail with `reason`.
   */
  halt(reason: string): void {
    if (this.state === 'closed' || this.halted !== undefined) return;
    this.halted = reason;
    this.lastError = reason;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.log.error({ reason }, 'upstream stopped');
    for (const w of this.waiters) w.reject(this.haltError());
    this.waiters.clear();
    const connection = this.connection;
    this.connection = undefined;
    this.setState('backoff');
    void connection?.close().catch((error: unknown) => this.log.warn({ err: messageOf(error) }, 'close failed'));
  }

  private haltError(): GatewayError {
    return new GatewayError('UPSTREAM_UNAVAILABLE', `upstream "${this.name}" is unavailable: ${this.halted ?? ''}`);
  }

  /** A sign-in just happened (serve's OAuth callback): connect again now, not at the end of the back-off. */
  retrySignIn(): void {
    if (this.signInRequired === undefined || this.state !== 'backoff' || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.connect();
  }

  /** Connected and serving: ready() would resolve at once. */
  get live(): boolean {
    return this.connection !== undefined && this.state === 'ready';
  }

  /** Resolves with the live connection, waiting for it up to `timeoutMs`. */
  ready(timeoutMs: number, signal?: AbortSignal): Promise<Connection> {
    if (this.connection && this.state === 'ready') return Promise.resolve(this.connection);
    if (this.state === 'closed') return Promise.reject(this.unavailable('the gateway is shutting down'));
    if (this.halted !== undefined) return Promise.reject(this.haltError());
    if (this.signInRequired !== undefined && this.state === 'backoff') {
      // The person may have run `auth login` since: try again now rather than at the end of the back-off (up to
      // 30 s), at most once a second; the call waits for that attempt, whose failure answers it at once.
      if (this.timer === undefined || Date.now() - this.lastAttemptAt < 1_000)
        return Promise.reject(this.signInError());
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.connect();
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (c: Connection) => {
          cleanup();
          resolve(c);
        },
        reject: (e: Error) => {
          cleanup();
          reject(e);
        },
      };
      const timer = setTimeout(() => waiter.reject(this.unavailable(`not connected after ${timeoutMs} ms`)), timeoutMs);
      const onAbort = () => waiter.reject(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  private signInError(): GatewayError {
    return new GatewayError('SIGN_IN_REQUIRED', this.signInRequired ?? `${this.name}: sign in again`);
  }

  /**
   * The error a waiting call gets. It reaches the client (and the model), so it does not repeat the last error: an
   * upstream can write that text (its answer to initialize, an HTTP body), and gateway.log already has it.
   */
  private unavailable(why: string): GatewayError {
    const last = this.lastError ? ' (its last error is in gateway.log)' : '';
    return new GatewayError('UPSTREAM_UNAVAILABLE', `upstream "${this.name}" is unavailable: ${why}${last}`);
  }

  /**
   * Sends one request through the SDK Client, after waiting for the connection. Errors come back as GatewayErrors
   * that say which server failed and how; an upstream's own JSON-RPC error keeps its code.
   */
  request<S extends z.ZodType>(
    request: Request,
    schema: S,
    options: RequestOptions & { timeout: number },
  ): Promise<z.output<S>> {
    return this.withConnection(request.method, options, (c) =>
      c.client.request(request as never, schema as never, options),
    );
  }

  /** tools/call on the hot path (see direct-call.ts), with the same waiting and error mapping as request(). */
  callTool(
    params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> },
    options: DirectCallOptions,
  ): Promise<CallToolResult> {
    return this.withConnection('tools/call', options, (c) => c.direct.call(params, options));
  }

  private async withConnection<T>(
    method: string,
    options: { timeout: number; signal?: AbortSignal | undefined; cancel?: Cancel | undefined },
    send: (connection: Connection) => Promise<T>,
  ): Promise<T> {
    // A live connection is used as it is: no AbortSignal is made for a wait that does not happen.
    const connection =
      this.connection && this.state === 'ready'
        ? this.connection
        : await this.ready(options.timeout, options.signal ?? options.cancel?.signal);
    try {
      return await send(connection);
    } catch (error) {
      // A cancelled request is no failure of the upstream: pass the cancellation through as it is.
      if (options.signal?.aborted || options.cancel?.aborted) throw error;
      throw this.mapError(error, method, options.timeout, connection);
    }
  }

  private mapError(error: unknown, method: string, timeout: number, connection: Connection): unknown {
    if (error instanceof McpError) {
      const total = (error.data as { maxTotalTimeout?: unknown } | undefined)?.maxTotalTimeout;
      if (error.code === (ErrorCode.RequestTimeout as number) && typeof total === 'number')
        return new GatewayError(
          'UPSTREAM_TIMEOUT',
          `upstream "${this.name}" did not finish ${method} within ${total} ms in all (it kept the call alive with progress); the request was cancelled`,
          { cause: error },
        );
      if (error.code === (ErrorCode.RequestTimeout as number))
        return new GatewayError(
          'UPSTREAM_TIMEOUT',
          `upstream "${this.name}" did not answer ${method} within ${timeout} ms; the request was cancelled`,
          { cause: error },
        );
      // -32000 is both the SDK's "the connection closed" and the code many servers use for their own errors: only
      // the SDK's own rejection (and direct-call's, worded the same) is a closed connection; the rest is the upstream's.
      const connectionClosed =
        error.code === (ErrorCode.ConnectionClosed as number) && plainMessage(error) === 'Connection closed';
      // close() sets 'closed' before it closes the connection: then the gateway ended the call, not a crash.
      if (connectionClosed && this.isClosed())
        return new GatewayError(
          'SHUTTING_DOWN',
          `upstream "${this.name}" was closed before it answered ${method}: the gateway is shutting down`,
          { cause: error },
        );
      if (connectionClosed)
        return new GatewayError(
          'UPSTREAM_CRASHED',
          `upstream "${this.name}" went away while ${method} was in flight (${connection.describeEnd()}); it is being restarted`,
          { cause: error },
        );
      return new GatewayError('UPSTREAM_ERROR', `upstream "${this.name}": ${plainMessage(error)}`, {
        cause: error,
        upstreamCode: error.code,
        data: error.data,
      });
    }
    // OAuth: no token, or its refresh was refused; the message is ours (it names the command, never the token).
    if (error instanceof SignInRequiredError)
      return new GatewayError('SIGN_IN_REQUIRED', error.message, { cause: error });
    if (error instanceof UpstreamGoneError && this.isClosed())
      return new GatewayError(
        'SHUTTING_DOWN',
        `upstream "${this.name}" was closed before ${method} reached it: the gateway is shutting down`,
        { cause: error },
      );
    // The child died between our handing it the call and its 'close' event: the same crash as above, seen sooner.
    if (error instanceof UpstreamGoneError)
      return new GatewayError(
        'UPSTREAM_CRASHED',
        `upstream "${this.name}" went away before ${method} reached it (${error.message}); it is being restarted`,
        { cause: error },
      );
    return new GatewayError(
      'UPSTREAM_CRASHED',
      `upstream "${this.name}" failed during ${method}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.setState('closed');
    if (this.timer) clearTimeout(this.timer);
    for (const w of this.waiters) w.reject(this.unavailable('the gateway is shutting down'));
    this.waiters.clear();
    const connection = this.connection;
    this.connection = undefined;
    await connection?.close().catch((error: unknown) => this.log.warn({ err: messageOf(error) }, 'close failed'));
  }
}
