import { spawnSync } from 'node:child_process';

/** Debian's promtool (`apt-get install prometheus`, as .ci/run does). */
export const PROMTOOL = process.env.PROMTOOL_PATH ?? 'promtool';

/** What promtool printed, and its exit status: 0 when it found no problem. */
export interface PromtoolRun {
  status: number | null;
  output: string;
}

/** Runs promtool with `args`, giving it `input` on stdin; fails when promtool is missing. */
export function promtool(args: string[], input?: string): PromtoolRun {
  const run = spawnSync(PROMTOOL, args, { input, encoding: 'utf8', timeout: 60_000 });
  if (run.error) {
    throw new Error(
      `${PROMTOOL} could not run (${run.error.message}): apt-get install prometheus ` +
        '(or set PROMTOOL_PATH).',
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}
