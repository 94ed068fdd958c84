// SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
/** Once-per-process caching of kernel feature probes (the answer cannot change while we run). */

/** A cached probe: returns the first answer, or rethrows the first failure, on every call. */
export type FeatureProbe = (() => boolean) & {
  /** @internal Forgets the answer (tests). */
  reset(): void;
};

type Outcome = { ok: true; value: boolean } | { ok: false; error: unknown };

/** Wraps `run` so that it runs at most once per process (until `reset()`). */
export function cachedProbe(run: () => boolean): FeatureProbe {
  let outcome: Outcome | undefined;
  const probe = (): boolean => {
    if (outcome === undefined) {
      try {
        outcome = { ok: true, value: run() };
      } catch (error) {
        outcome = { ok: false, error };
      }
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  };
  return Object.assign(probe, { reset: () => { outcome = undefined; } });
}
