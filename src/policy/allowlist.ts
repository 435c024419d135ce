/**
 * The per-server tool allowlist and denylist. It is applied when the tool list is built (a tool not allowed is
 * never listed) and again at call time (a call to it is "Unknown tool", exactly as if it did not exist). Deny wins.
 */
import { createNameMatcher } from './glob.js';

export interface ToolFilter {
  allow: readonly string[];
  deny: readonly string[];
}

export function createToolFilter(filter: ToolFilter): (tool: string) => boolean {
  const allow = createNameMatcher(filter.allow);
  const deny = createNameMatcher(filter.deny);
  return (tool) => allow(tool) && !deny(tool);
}
