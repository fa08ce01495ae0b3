/**
 * Waits `ms`, or less if `signal` aborts: it resolves either way (never rejects), so a polling
 * loop wakes at once on Ctrl-C, sees the signal and stops the work it polls.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
