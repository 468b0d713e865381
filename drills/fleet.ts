import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppProcess, freePort } from '../test/support/app-process';

/** One instance of the fleet, by the name the drills give it (api-1, worker-2…). */
export interface Member {
  name: string;
  role: 'api' | 'worker';
  port: number;
  app: AppProcess;
}

/** What every instance of the fleet shares: its database, brokers, gateway and secrets. */
export interface FleetSettings {
  databaseUrl: string;
  brokers: string;
  topicPrefix: string;
  gatewayUrl: string;
  adminToken: string;
  internalSecret: string;
  /** Extra environment for every instance (timeouts a drill wants shorter, say). */
  env?: Record<string, string>;
  /** Where each instance's output goes, `<name>.log`, once a life of it has ended. */
  logDir: string;
}

/** Every app process any fleet has started and not yet seen end, for the drill's deadline. */
export const runningApps = new Set<AppProcess>();

/**
 * The production shape on loopback: API instances that accept orders and hold shoppers'
 * streams, and workers that take payments off Kafka, all sharing one database, one broker
 * and one payment gateway. A member can be killed, stopped and started again by name.
 */
export class Fleet {
  private readonly members = new Map<string, Member>();

  constructor(private readonly settings: FleetSettings) {}

  /** Starts `apis` API instances and `workers` workers side by side, and waits for them all. */
  async start(apis: number, workers: number): Promise<void> {
    const names = [
      ...Array.from({ length: apis }, (_, n) => [`api-${n + 1}`, 'api'] as const),
      ...Array.from({ length: workers }, (_, n) => [`worker-${n + 1}`, 'worker'] as const),
    ];
    for (const [name, role] of names) this.launch(name, role, await freePort());
    await Promise.all(names.map(([name]) => this.ready(name)));
  }

  get apis(): Member[] {
    return [...this.members.values()].filter((member) => member.role === 'api');
  }

  get workers(): Member[] {
    return [...this.members.values()].filter((member) => member.role === 'worker');
  }

  get all(): Member[] {
    return [...this.members.values()];
  }

  member(name: string): Member {
    const member = this.members.get(name);
    if (!member) throw new Error(`No fleet member named ${name}`);
    return member;
  }

  /** `kill -9`: no drain, no goodbye to the consumer group. */
  async kill(name: string): Promise<void> {
    const { app } = this.member(name);
    process.kill(app.pid, 'SIGKILL');
    await app.exitCode();
    runningApps.delete(app);
    await this.keepLog(name, app, 'killed (SIGKILL)');
  }

  /** SIGTERM and wait for the graceful shutdown; false when it had to be killed. */
  async stop(name: string, killAfterMs = 30_000): Promise<boolean> {
    const { app } = this.member(name);
    const graceful = await app.stop(killAfterMs);
    runningApps.delete(app);
    await this.keepLog(name, app, graceful ? 'stopped (SIGTERM)' : 'killed after SIGTERM');
    return graceful;
  }

  /** Starts a stopped or killed member again, on the same port, and waits until it is ready. */
  async restart(name: string, readyWithinMs = 90_000): Promise<void> {
    const { role, port } = this.member(name);
    this.launch(name, role, port);
    await this.ready(name, readyWithinMs);
  }

  async stopAll(): Promise<void> {
    await Promise.all(this.all.map(({ name }) => this.stop(name)));
  }

  private launch(name: string, role: 'api' | 'worker', port: number): void {
    const { settings } = this;
    const app = AppProcess.start(
      {
        DATABASE_URL: settings.databaseUrl,
        KAFKA_BROKERS: settings.brokers,
        KAFKA_TOPIC_PREFIX: settings.topicPrefix,
        KAFKA_PARTITIONS: '6',
        GATEWAY_URL: settings.gatewayUrl,
        ADMIN_TOKENS: `drill:${settings.adminToken}`,
        INTERNAL_SECRET: settings.internalSecret,
        APP_ROLES: role,
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        SEED_DEMO_CATALOGUE: 'false',
        LOG_LEVEL: 'warn',
        SETTINGS_POLL_MS: '500',
        ...settings.env,
      },
      port,
    );
    runningApps.add(app);
    this.members.set(name, { name, role, port, app });
  }

  /**
   * Appends what one life of the instance printed to its log, so that what a drill saw go wrong
   * can be read afterwards; a restarted instance's log holds each life in turn.
   */
  private async keepLog(name: string, app: AppProcess, ended: string): Promise<void> {
    const header = `# ${name}, pid ${app.pid}, ${ended} at ${new Date().toISOString()}`;
    await appendFile(
      join(this.settings.logDir, `${name}.log`),
      [header, ...app.output, ''].join('\n'),
    );
  }

  private async ready(name: string, withinMs = 90_000): Promise<void> {
    const { app } = this.member(name);
    try {
      await app.ready(withinMs);
    } catch (error) {
      throw new Error(`${name} did not become ready: ${String(error).slice(0, 4000)}`);
    }
  }
}
