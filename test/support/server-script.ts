import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Runs `scripts/<script> <command>` (kafka.sh, zipkin.sh) with `env`; fails with what it printed. */
export async function serverScript(
  script: string,
  command: 'start' | 'stop',
  env: Record<string, string>,
): Promise<void> {
  try {
    await run('bash', [join(__dirname, '..', '..', 'scripts', script), command], {
      env: { ...process.env, ...env },
      timeout: 180_000,
    });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`scripts/${script} ${command} failed:\n${stdout ?? ''}${stderr ?? ''}`);
  }
}
