/**
 * What every provider does around one scan, remote or local: answer from the verdict cache when it can, and turn a
 * provider failure into the configured failure mode — thrown (the stage then blocks: fail closed) unless the
 * provider says `failOpen`, in which case it is reported and the text passes. Errors that are not provider failures
 * (bugs) always propagate; an aborted scan throws the abort.
 */
import type { LRUCache } from 'lru-cache';
import type { Detection } from '../types.js';

export interface CachedScanOptions<F extends Error> {
  cache: LRUCache<string, readonly Detection[]> | undefined;
  /** The cache key of this scan (computed only when there is a cache). */
  key: () => string;
  failOpen: boolean;
  /** Which errors are the provider failing (a timeout, a bad answer, a missing model), as opposed to a bug. */
  isFailure: (error: unknown) => error is F;
  /** The error to throw (or report) for a failure. */
  fail: (error: F) => Error;
  onFailure?: (message: string) => void;
}

export async function cachedScan<F extends Error>(
  signal: AbortSignal,
  opts: CachedScanOptions<F>,
  run: () => Promise<Detection[]>,
): Promise<Detection[]> {
  signal.throwIfAborted();
  const key = opts.cache ? opts.key() : '';
  const hit = opts.cache?.get(key);
  if (hit) return hit.map((d) => ({ ...d }));
  let detections: Detection[];
  try {
    detections = await run();
  } catch (error) {
    if (signal.aborted) signal.throwIfAborted();
    if (!opts.isFailure(error)) throw error;
    const failure = opts.fail(error);
    if (!opts.failOpen) throw failure;
    opts.onFailure?.(failure.message);
    return [];
  }
  opts.cache?.set(
    key,
    detections.map((d) => ({ ...d })),
  );
  return detections;
}
