import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execute = promisify(execFile);

/**
 * PostgreSQL refuses to run as root; as root (CI here), its tools run as the `postgres` user
 * that the server's package creates.
 */
const AS_ROOT = process.getuid?.() === 0;
const SERVER_USER = 'postgres';

function run(command: string, args: string[], timeout: number) {
  return AS_ROOT
    ? execute('runuser', ['-u', SERVER_USER, '--', command, ...args], { timeout })
    : execute(command, args, { timeout });
}

/**
 * A throwaway PostgreSQL cluster of the drill's own, made with `initdb` and run with `pg_ctl`
 * on a loopback port, so the database drill can stop and start it without touching the
 * machine's server.
 */
export class PostgresCluster {
  private constructor(
    private readonly bin: string,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Creates the cluster in a new temporary directory; `start` runs it. */
  static async create(port: number): Promise<PostgresCluster> {
    const bin = postgresBinaries();
    const dir = await mkdtemp(join(tmpdir(), 'peak-drill-pg-'));
    if (AS_ROOT) {
      const owner = await execute('id', ['-u', SERVER_USER]);
      await chown(dir, Number(owner.stdout.trim()), -1);
    }
    await run(
      join(bin, 'initdb'),
      ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
      120_000,
    );
    await writeFile(
      join(dir, 'postgresql.auto.conf'),
      [
        `port = ${port}`,
        `listen_addresses = '127.0.0.1'`,
        `unix_socket_directories = '${dir}'`,
        'max_connections = 200',
        // A drill measures the app, not the disk: the cluster is thrown away afterwards.
        'fsync = off',
        'synchronous_commit = off',
        'full_page_writes = off',
      ].join('\n') + '\n',
    );
    return new PostgresCluster(bin, dir, port);
  }

  get serverUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    await this.pgCtl(['start', '-w', '-t', '60', '-l', join(this.dir, 'server.log')]);
  }

  /** A fast shutdown: open connections are cut, as when a database host goes away. */
  async stop(): Promise<void> {
    await this.pgCtl(['stop', '-m', 'fast', '-w', '-t', '60']);
  }

  /** Stops the server if it runs and removes its files. */
  async destroy(): Promise<void> {
    try {
      await this.pgCtl(['stop', '-m', 'immediate', '-w', '-t', '30']);
    } catch {
      // not running
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The server's process id, while it runs (for the deadline's last resort). */
  pid(): number | null {
    try {
      const firstLine = readFileSync(join(this.dir, 'postmaster.pid'), 'utf8').split('\n')[0];
      return Number(firstLine) || null;
    } catch {
      return null;
    }
  }

  private async pgCtl(args: string[]): Promise<void> {
    await run(join(this.bin, 'pg_ctl'), [...args, '-D', this.dir], 90_000);
  }
}

/**
 * Where `initdb` and `pg_ctl` live: `pg_config --bindir`, else the newest
 * /usr/lib/postgresql/<major>/bin (Debian keeps them there, off the PATH), else the PATH.
 */
export function postgresBinaries(): string {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    // no pg_config on the PATH
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const majors = readdirSync(debian)
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...majors.map((major) => join(debian, major, 'bin')));
  }
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  const found = candidates.find(
    (dir) => existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')),
  );
  if (!found) {
    throw new Error(
      'The database drill needs initdb and pg_ctl (PostgreSQL server binaries); none found ' +
        `in ${candidates.slice(0, 4).join(', ')} or on the PATH.`,
    );
  }
  return found;
}
