/**
 * The redaction vault of one call: the input guardrails replace a value with a typed placeholder (`[EMAIL_1]`) so
 * the upstream never sees it, and the restore stage puts the original back in what the client reads. It lives on
 * the CallContext (per-call state, like Envoy's dynamic metadata), so the stages that fill and read it never import
 * each other.
 */
export class RedactionVault {
  private readonly byPlaceholder = new Map<string, string>();
  private readonly byValue = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  placeholder(entity: string, original: string): string {
    const known = this.byValue.get(`${entity}\u0000${original}`);
    if (known) return known;
    const n = (this.counters.get(entity) ?? 0) + 1;
    this.counters.set(entity, n);
    const p = `[${entity}_${n}]`;
    this.byPlaceholder.set(p, original);
    this.byValue.set(`${entity}\u0000${original}`, p);
    return p;
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /** The reverse of restore: each original value back to its placeholder (for a judge that must not see it). */
  conceal(s: string): string {
    let out = s;
    for (const [p, original] of this.byPlaceholder) if (out.includes(original)) out = out.split(original).join(p);
    return out;
  }

  restore(s: string): string {
    if (this.byPlaceholder.size === 0 || !s.includes('[')) return s;
    return s.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (p) => this.byPlaceholder.get(p) ?? p);
  }
}
