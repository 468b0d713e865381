/** A task repeated on a timer; `stop` ends it and waits for the run under way. */
export interface Repeating {
  stop(): Promise<void>;
}

/**
 * Runs `task` every `ms`, one run at a time: a tick that finds the last run still going is
 * skipped rather than piled up. A failing run goes to `onError`; the next tick tries again.
 * The timer does not keep the process alive.
 */
export function every(
  ms: number,
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): Repeating {
  let running: Promise<void> | null = null;
  const timer = setInterval(() => {
    running ??= task()
      .catch(onError)
      .finally(() => (running = null));
  }, ms);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
