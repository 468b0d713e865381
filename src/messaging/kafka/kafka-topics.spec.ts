import { PinoLogger } from 'nestjs-pino';
import { loadConfig } from '../../config/app-config';
import { KafkaClients } from './kafka-clients';
import { KafkaTopics } from './kafka-topics';

const unknownTopic = () =>
  Object.assign(new Error('This server does not host this topic-partition'), {
    type: 'UNKNOWN_TOPIC_OR_PARTITION',
  });

/**
 * A new single-node KRaft broker as kafkajs' admin sees it: a topic the controller created is
 * unknown to the broker's metadata for the next few requests, and kafkajs' createTopics then
 * throws while it waits for leaders (it waits out LEADER_NOT_AVAILABLE only).
 */
class NewBroker {
  readonly topics = new Set<string>();
  private unknownFor = 0;

  constructor(private readonly metadataLag: number) {}

  admin() {
    return {
      connect: () => Promise.resolve(),
      disconnect: () => Promise.resolve(),
      listTopics: () => Promise.resolve([...this.topics]),
      createTopics: ({
        topics,
        waitForLeaders = true,
      }: {
        topics: { topic: string }[];
        waitForLeaders?: boolean;
      }) => {
        const added = topics.filter(({ topic }) => !this.topics.has(topic));
        for (const { topic } of added) this.topics.add(topic);
        if (added.length > 0) this.unknownFor = this.metadataLag;
        // kafkajs answers false when every topic already existed (TOPIC_ALREADY_EXISTS).
        if (added.length === 0) return Promise.resolve(false);
        if (waitForLeaders) return this.metadata(added.map(({ topic }) => topic)).then(() => true);
        return Promise.resolve(true);
      },
      fetchTopicMetadata: ({ topics }: { topics: string[] }) => this.metadata(topics),
    };
  }

  private metadata(topics: string[]) {
    if (this.unknownFor > 0 || topics.some((topic) => !this.topics.has(topic))) {
      this.unknownFor -= 1;
      return Promise.reject(unknownTopic());
    }
    return Promise.resolve({
      topics: topics.map((name) => ({ name, partitions: [{ partitionId: 0, leader: 1 }] })),
    });
  }
}

function topicsOn(broker: NewBroker, roles: string): KafkaTopics {
  const config = loadConfig({
    KAFKA_BROKERS: '127.0.0.1:9092',
    APP_ROLES: roles,
    INTERNAL_SECRET: 'shared-internal-secret-for-tests',
    PUBLIC_URL: 'http://127.0.0.1:3000',
  });
  const clients = { kafka: () => ({ admin: () => broker.admin() }) } as unknown as KafkaClients;
  const logger = { setContext: () => undefined, info: () => undefined, warn: () => undefined };
  return new KafkaTopics(config, clients, logger as unknown as PinoLogger);
}

describe('KafkaTopics on a new broker', () => {
  it('creates the topics with an API instance booting at the same moment, and both wait for leaders', async () => {
    const broker = new NewBroker(2);
    await Promise.all([
      topicsOn(broker, 'api').ensure(5_000),
      topicsOn(broker, 'worker').ensure(5_000),
    ]);
    expect([...broker.topics].sort()).toEqual([
      'payment.order',
      'payment.order.dlq',
      'payment.result',
      'payment.result.dlq',
    ]);
  });

  it('fails, naming the topics and the last error, when they are not ready in time', async () => {
    const broker = new NewBroker(Number.MAX_SAFE_INTEGER);
    await expect(topicsOn(broker, 'worker').ensure(500)).rejects.toThrow(
      /payment\.order.*not ready after \d+ attempts in 500 ms.*does not host this topic/,
    );
  });
});
