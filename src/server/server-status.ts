/**
 * What a client is told about servers that have no tools in its list (issue 17): servers left out of the config
 * because a reference in their settings cannot be resolved (config/load.ts `unavailable`), servers still starting
 * (npx downloading), and servers that failed to start and are being retried. The gateway lists a read-only status
 * tool only while there is such a server; its description and its call say, for each, what and why, in the words of
 * `config validate` and `doctor` (config/load.ts formatProblem). The same text goes out as MCP log notifications
 * and to gateway.log.
 *
 * The tool is the gateway's own, not an upstream's: it is not pinned, and its text is built from server names,
 * JSON paths, variable and file names, never a resolved value, and never an upstream's own words (its error text
 * stays in gateway.log).
 * Its name starts with "_": every exposed upstream name starts with a server name, and a server name starts with a
 * letter or a digit (config/schema.ts SERVER_NAME_PATTERN), so the two can never collide.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { formatProblem, referenceFix, type UnavailableServer } from '../config/load.js';

/** Matches clients' tool-name alphabet (^[a-zA-Z0-9_-]{1,64}$) and no `<server>__<tool>` name. */
export const STATUS_TOOL = '_gateway_status';

/** The `logger` of the gateway's own log notifications. */
export const GATEWAY_LOGGER = 'secure-mcp-gateway';

export type ServerStatus =
  /** Left out of the config: a reference in its settings cannot be resolved. */
  | { server: string; state: 'unavailable'; config: UnavailableServer }
  /** Connecting for the first time: no tool list yet, live or cached. */
  | { server: string; state: 'starting' }
  /**
   * Failed to connect (or its list was never checked) and is being retried. Its last error stays in gateway.log: an
   * upstream can write that text (an initialize error, an HTTP body), and this text reaches the model unscanned.
   */
  | { server: string; state: 'failed' }
  /** An OAuth server that needs a person to sign in (issue 18); the message is the gateway's own, naming the command. */
  | { server: string; state: 'sign-in'; message: string }
  /**
   * Stopped for good by its sandbox (issue 19): refused (sandbox.unavailable) or stopped by its policy
   * (sandbox.stopped). Not retried. The message is the gateway's own: the rule and the cause, never an upstream's
   * words or a host it tried (those are in the audit).
   */
  | { server: string; state: 'stopped'; message: string };

/** One line per server: what it is and why, with the fix where there is one. */
export function statusLine(s: ServerStatus): string {
  switch (s.state) {
    case 'unavailable': {
      const first = s.config.problems[0];
      const why = s.config.problems.map(formatProblem).join('; ');
      return `unavailable: ${s.server}: ${why}${first ? `. Fix: ${referenceFix(first)}` : ''}`;
    }
    case 'starting':
      return `starting: ${s.server}: its tools are added when it is ready (the tool list then changes)`;
    case 'sign-in':
      return `unavailable: ${s.message}`;
    case 'stopped':
      return `unavailable: ${s.server}: ${s.message}`;
    case 'failed':
      return `unavailable: ${s.server}: it failed to start and is being retried; its last error is in gateway.log (secure-mcp-gateway doctor shows it too)`;
  }
}

/** The status text: a heading and one line per server. Empty when every server serves. */
export function statusText(statuses: readonly ServerStatus[]): string {
  if (statuses.length === 0) return '';
  const n = statuses.length;
  return [
    `secure-mcp-gateway: ${n} configured server${n === 1 ? ' has' : 's have'} no tools in this list:`,
    ...statuses.map((s) => `- ${statusLine(s)}`),
  ].join('\n');
}

/** The status tool while some server does not serve; undefined when all do (the tool is then not listed). */
export function statusTool(statuses: readonly ServerStatus[]): Tool | undefined {
  if (statuses.length === 0) return undefined;
  return {
    name: STATUS_TOOL,
    title: 'secure-mcp-gateway: server status',
    description: `${statusText(statuses)}\nCalling this tool returns the same status; it takes no arguments.`,
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
    annotations: { title: 'Gateway server status', readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  };
}

/** The answer to a call of the status tool: the same text as its description. */
export function statusResult(statuses: readonly ServerStatus[]): CallToolResult {
  const text = statusText(statuses) || 'secure-mcp-gateway: every configured server is serving.';
  return { content: [{ type: 'text', text }] };
}
