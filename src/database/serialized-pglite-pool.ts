import { Mutex } from 'async-mutex';
import { PGliteDriver } from 'typeorm-pglite';
import { PGlitePool } from 'typeorm-pglite/dist/pglite-pool';

type ConnectCallback = (error: unknown, client: PGlitePool | null, release: () => void) => void;

/**
 * typeorm-pglite hands every TypeORM "connection" the same PGlite session, so two transactions
 * running at once interleave their BEGIN/COMMIT on one session and a rollback in one undoes the
 * other. This pool lends its single session to one holder at a time, as a real pool of size one
 * would: a transaction owns the session from connect to release.
 */
export class SerializedPGlitePool extends PGlitePool {
  private static readonly session = new Mutex();

  override connect(callback: ConnectCallback): Promise<void> {
    return SerializedPGlitePool.session.acquire().then(async (releaseSession) => {
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          releaseSession();
        }
      };
      try {
        await super.connect((error: unknown, client: PGlitePool | null) =>
          callback(error, client, release),
        );
      } catch (error) {
        release();
        throw error;
      }
    });
  }
}

/** A TypeORM `driver` option for PGlite: data kept in `dataDir`, or in memory for `memory://`. */
export function serializedPGliteDriver(dataDir: string): object {
  new PGliteDriver(dataDir === 'memory://' ? {} : { dataDir });
  return { Pool: SerializedPGlitePool };
}
