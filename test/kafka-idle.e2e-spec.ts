import { Kafka, logLevel } from 'kafkajs';
import { setTimeout as sleep } from 'node:timers/promises';
import { E2E_KAFKA_ENV } from './support/database-url';

/**
 * kafkajs 2.2.4 (its last release) checks each connection's request queue every millisecond
 * once the connection has answered, forever, idle or not (tulios/kafkajs#1556): a few percent of
 * a core per process for nothing, and a wake-up of the event loop every millisecond.
 * patches/kafkajs+2.2.4.patch, applied by patch-package at install, schedules a check only for
 * a request that waits.
 */
describe('an idle Kafka connection', () => {
  it('schedules no timers while nothing is asked of it', async () => {
    const kafka = new Kafka({
      clientId: 'idle-connection-test',
      brokers: process.env[E2E_KAFKA_ENV]!.split(','),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Connecting asks for the broker's versions and metadata: answered requests.
      await sleep(200);
      // node:timers/promises' sleep does not go through the global setTimeout that kafkajs calls.
      const timers = jest.spyOn(global, 'setTimeout');
      await sleep(1000);
      const scheduled = timers.mock.calls.length;
      timers.mockRestore();
      expect(scheduled).toBeLessThan(20);
    } finally {
      await producer.disconnect();
    }
  });
});
