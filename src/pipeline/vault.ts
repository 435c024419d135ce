/**
 * The redaction vault of one call: the input guardrails replace a value with a typed placeholder (`[EMAIL_1]`) so
 * the upstream never sees it, and the restore stage puts the original back in what the client reads. It lives on
 * the CallContext (per-call state, like Envoy's dynamic metadata), so the stages that fill and read it never import
 * each other.
 */
export class RedactionVault {
  /** Made with the first placeholder: most calls redact nothing, and every call makes a vault. */
  private maps:
    { byPlaceholder: Map<string, string>; byValue: Map<string, string>; counters: Map<string, number> } | undefined;

  placeholder(entity: string, original: string): string {
    const m = (this.maps ??= {
      byPlaceholder: new Map<string, string>(),
      byValue: new Map<string, string>(),
      counters: new Map<string, number>(),
    });
    const known = m.byValue.get(`${entity}\u0000${original}`);
    if (known) return known;
    const n = (m.counters.get(entity) ?? 0) + 1;
    m.counters.set(entity, n);
    const p = `[${entity}_${n}]`;
    m.byPlaceholder.set(p, original);
    m.byValue.set(`${entity}\u0000${original}`, p);
    return p;
  }

  get size(): number {
    return this.maps?.byPlaceholder.size ?? 0;
  }

  /** The reverse of restore: each original value back to its placeholder (for a judge that must not see it). */
  conceal(s: string): string {
    if (!this.maps) return s;
    let out = s;
    for (const [p, original] of this.maps.byPlaceholder) if (out.includes(original)) out = out.split(original).join(p);
    return out;
  }

  restore(s: string): string {
    const byPlaceholder = this.maps?.byPlaceholder;
    if (!byPlaceholder || byPlaceholder.size === 0 || !s.includes('[')) return s;
    return s.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (p) => byPlaceholder.get(p) ?? p);
  }
}
