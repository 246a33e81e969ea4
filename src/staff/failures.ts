/**
 * Failed sign-ins (API tokens, console passwords) counted per address over a sliding window: an address
 * with `max` failures in the last `windowMs` is refused, even with the right credentials, until the
 * oldest of them is that old. Kept in memory, per process.
 */
export function createFailureLimiter({
  max,
  windowMs,
  clock,
}: {
  max: number;
  windowMs: number;
  clock: () => Date;
}) {
  /** Failure times per key, the keys in the order of their latest failure so stale ones leave from the front. */
  const failures = new Map<string, number[]>();
  const recent = (key: string, now: number) => (failures.get(key) ?? []).filter((at) => at > now - windowMs);

  return {
    /** Checked before any credential is looked at, so that guessing is slowed whatever is guessed. */
    isBlocked(key: string): boolean {
      return recent(key, clock().getTime()).length >= max;
    },

    recordFailure(key: string): void {
      const now = clock().getTime();
      const times = [...recent(key, now), now];
      failures.delete(key);
      failures.set(key, times);
      for (const [stale, at] of failures) {
        if ((at.at(-1) ?? 0) > now - windowMs) break;
        failures.delete(stale);
      }
    },
  };
}
