/**
 * A promise that rejects when `promise` has not settled within `ms` (DNS answers for args/url.ts and the sandbox
 * egress proxy). The timer is unref'd, so a pending check never keeps the process alive; the original promise is not
 * cancelled, its late answer is ignored.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
