/**
 * What the integrity checks report (the poisoning scanner, the launcher check, and later `scan`): a finding with a
 * rule id, a severity and a remediation. A finding decides nothing; the policy (`block`, `warn`, `off`) and
 * `scan --fail-on` do.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Finding {
  /** `poisoning.<rule>` or `launcher.<rule>`. */
  ruleId: string;
  severity: Severity;
  /** The server it was found on, when the caller said. */
  server?: string;
  /** The tool (or prompt, or resource template) it was found in. */
  tool?: string;
  /** A JSON path into the definition (`inputSchema.properties.note.description`) or the command (`args[1]`). */
  where: string;
  message: string;
  remediation: string;
  /** A short excerpt of the offending text, invisible characters escaped. */
  excerpt?: string;
}

/** True when `severity` is at least `min` (for `--fail-on` and for a policy's threshold). */
export function atLeast(severity: Severity, min: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
}

/** The highest severity among the findings, or undefined when there are none. */
export function highest(findings: readonly Finding[]): Severity | undefined {
  let best = -1;
  for (const f of findings) best = Math.max(best, SEVERITIES.indexOf(f.severity));
  return best < 0 ? undefined : SEVERITIES[best];
}

/** Counts by severity, every severity present (for summaries and the closing figures). */
export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  for (const f of findings) out[f.severity]++;
  return out;
}
