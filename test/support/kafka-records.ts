import { Kafka, logLevel } from 'kafkajs';
import { E2E_KAFKA_ENV } from './database-url';

function kafka(): Kafka {
  const brokers = process.env[E2E_KAFKA_ENV];
  if (!brokers) throw new Error(`${E2E_KAFKA_ENV} is unset: run through jest's global setup.`);
  return new Kafka({
    clientId: 'e2e-test',
    brokers: brokers.split(','),
    logLevel: logLevel.NOTHING,
  });
}

/** Puts records on a topic directly, as a misbehaving producer or a redelivery would. */
export async function produce(
  topic: string,
  records: { key: string; value: string }[],
): Promise<void> {
  const producer = kafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: records });
  } finally {
    await producer.disconnect();
  }
}

/** Reads a topic from the start until `enough` records have arrived (or the time is up). */
export async function readTopic(
  topic: string,
  enough: number,
  timeoutMs = 15_000,
): Promise<{ key: string; value: string; headers: Record<string, string> }[]> {
  const consumer = kafka().consumer({ groupId: `e2e-reader-${Date.now()}-${Math.random()}` });
  const records: { key: string; value: string; headers: Record<string, string> }[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      void consumer.run({
        eachMessage: ({ message }) => {
          records.push({
            key: message.key?.toString() ?? '',
            value: message.value?.toString() ?? '',
            headers: Object.fromEntries(
              Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]),
            ),
          });
          if (records.length >= enough) {
            clearTimeout(timer);
            resolve();
          }
          return Promise.resolve();
        },
      });
    });
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Deletes every record now on a topic: messages lost on their way, as far as consumers know. */
export async function loseRecords(topic: string): Promise<number> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    const lost = offsets.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    await admin.deleteTopicRecords({
      topic,
      partitions: offsets.map(({ partition, high }) => ({ partition, offset: high })),
    });
    return lost;
  } finally {
    await admin.disconnect();
  }
}
