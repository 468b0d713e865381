import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { loadConfig } from '../src/config/app-config';
import { dataSourceOptions } from '../src/database/data-source-options';

/**
 * typeorm-pglite alone lends one PGlite session to every transaction at once, so a rollback in
 * one undoes another's committed work. The app's embedded data source must keep them apart.
 */
describe('transactions on the embedded database', () => {
  let db: DataSource;

  beforeAll(async () => {
    db = new DataSource(dataSourceOptions(loadConfig({ PGLITE_DATA_DIR: 'memory://' })));
    await db.initialize();
    await db.query(`CREATE TABLE probe (v integer)`);
  });
  afterAll(() => db.destroy());

  it('keeps the work of a transaction that commits while another rolls back', async () => {
    // The sleeps interleave the two: the rollback lands inside the committing one's span.
    const commits = db.transaction(async (manager) => {
      await manager.query(`INSERT INTO probe VALUES (1)`);
      await sleep(50);
    });
    const rollsBack = db
      .transaction(async (manager) => {
        await sleep(10);
        await manager.query(`INSERT INTO probe VALUES (2)`);
        throw new Error('this one rolls back');
      })
      .catch((error: Error) => error.message);

    expect(await Promise.all([commits, rollsBack])).toEqual([undefined, 'this one rolls back']);
    expect(await db.query(`SELECT v FROM probe ORDER BY v`)).toEqual([{ v: 1 }]);
  });
});
