/**
 * The fault drills: `npm run drill [-- <drill>…] [--short] [--out <dir>] [--logs <dir>]`, and
 * the soak: `npm run drill -- soak --minutes <n> [--rate <orders/s>]`.
 *
 * Starts a fleet on loopback (two API instances, two workers), with a Kafka broker, a
 * PostgreSQL cluster and a payment gateway simulator of its own, drives steady load through a
 * sale, and runs each fault against it. Prints each drill's figures and writes them with a
 * picture per drill to docs/drills/. Stops everything it started, and stops by itself at its
 * deadline. Do not run it beside `npm test`: both load the same cores.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { KafkaBroker } from '../test/support/kafka-broker';
import { freePort } from '../test/support/app-process';
import { GatewaySimulatorProcess } from '../test/support/gateway-simulator';
import { svgOf } from './chart';
import { allFaults, FaultContext } from './faults';
import { Fleet, runningApps } from './fleet';
import { withDatabase } from './observe';
import { PostgresCluster } from './postgres-cluster';
import { DrillReport, markdownOf, summaryOf } from './report';
import { DrillResult, runDrill } from './run-drill';
import { runSoak } from './soak';

const ROOT = join(__dirname, '..');
const ADMIN_TOKEN = 'drill-admin-token-0123456789';
const INTERNAL_SECRET = 'drill-internal-secret-0123456789';
const GATEWAY = { latencyMs: 200, capacity: 20 };

interface Options {
  drills: string[];
  short: boolean;
  soakMinutes: number;
  rate: number;
  out: string;
  /** Each instance's output, kept once it has stopped: `<name>.log`. */
  logs: string;
}

function optionsOf(args: string[]): Options {
  const options: Options = {
    drills: [],
    short: false,
    soakMinutes: 5,
    rate: 12,
    out: join(ROOT, 'docs', 'drills'),
    logs: join(ROOT, '.drill-logs'),
  };
  const known = new Set([...allFaults().map((fault) => fault.name), 'soak']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--short') options.short = true;
    else if (arg === '--minutes') options.soakMinutes = positive(arg, args[++i]);
    else if (arg === '--rate') options.rate = positive(arg, args[++i]);
    else if (arg === '--out') options.out = args[++i];
    else if (arg === '--logs') options.logs = args[++i];
    else if (known.has(arg)) options.drills.push(arg);
    else {
      throw new Error(
        `Unknown drill or option "${arg}". Drills: ${[...known].join(', ')}; ` +
          'options: --short, --minutes <n> (soak), --rate <orders/s>, --out <dir>, --logs <dir>.',
      );
    }
  }
  return options;
}

function positive(option: string, value: string | undefined): number {
  const number = Number(value);
  if (!(number > 0)) throw new Error(`${option} takes a number above 0, not "${value}"`);
  return number;
}

const log = (line: string) =>
  console.log(`[drill ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(options: Options): Promise<void> {
  const soak = options.drills.includes('soak');
  const faults = allFaults().filter(
    (fault) => options.drills.length === 0 || options.drills.includes(fault.name),
  );
  const deadlineMs = soak ? (options.soakMinutes + 5) * 60_000 : 15 * 60_000;
  const stopAtDeadline = deadline(deadlineMs);

  const kafkaPort = Number(process.env.DRILL_KAFKA_PORT ?? 9492);
  const brokerDir = join(ROOT, '.kafka', `drill-${kafkaPort}`);
  await rm(brokerDir, { recursive: true, force: true });
  await rm(options.logs, { recursive: true, force: true });
  await mkdir(options.logs, { recursive: true });
  const broker = new KafkaBroker(kafkaPort, brokerDir);
  const cluster = await PostgresCluster.create(await freePort());
  let gateway: GatewaySimulatorProcess | null = null;
  let fleet: Fleet | null = null;
  stopAtDeadline.onFire(() => {
    for (const app of runningApps) process.kill(app.pid, 'SIGKILL');
    if (gateway) process.kill(gateway.pid, 'SIGKILL');
    const postgres = cluster.pid();
    if (postgres) process.kill(postgres, 'SIGKILL');
    try {
      process.kill(Number(readFileSync(join(brokerDir, 'broker.pid'), 'utf8')), 'SIGKILL');
    } catch {
      // no broker running
    }
  });
  try {
    log(`starting PostgreSQL on 127.0.0.1:${cluster.port} and Kafka on ${broker.brokers}`);
    await Promise.all([cluster.start(), broker.start()]);
    const databaseUrl = `postgres://postgres@127.0.0.1:${cluster.port}/postgres`;
    execFileSync(process.execPath, [join(ROOT, 'dist', 'database', 'migrate.js')], {
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl },
      stdio: 'ignore',
      timeout: 120_000,
    });
    gateway = await GatewaySimulatorProcess.start({
      GATEWAY_LATENCY_MS: String(GATEWAY.latencyMs),
      GATEWAY_CAPACITY: String(GATEWAY.capacity),
    });
    fleet = new Fleet({
      databaseUrl,
      brokers: broker.brokers,
      topicPrefix: `drill${process.pid}.`,
      gatewayUrl: gateway.url,
      adminToken: ADMIN_TOKEN,
      internalSecret: INTERNAL_SECRET,
      logDir: options.logs,
    });
    log('starting the fleet: api-1, api-2, worker-1, worker-2');
    await fleet.start(2, 2);
    const context = faultContext(fleet, broker, cluster, options.short ? 0.4 : 1);

    if (soak) {
      await runSoak({
        fleet,
        databaseUrl,
        perSecond: options.rate,
        minutes: options.soakMinutes,
        out: options.out,
        adminToken: ADMIN_TOKEN,
        log,
        setMode: context.setMode,
      });
      return;
    }

    const results: DrillResult[] = [];
    for (const [index, fault] of faults.entries()) {
      const result = await runDrill(
        {
          context,
          databaseUrl,
          gateway,
          perSecond: options.rate,
          leadSeconds: options.short ? 3 : 8,
          tailSeconds: options.short ? 3 : 10,
          finalWithinSeconds: 120,
        },
        fault,
        index + 1,
      );
      results.push(result);
      log(summaryOf({ drills: [result] } as DrillReport)[0]);
    }

    const report: DrillReport = {
      ranAt: new Date().toISOString(),
      command: `npm run drill${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
        memoryGiB: Math.round(totalmem() / 2 ** 30),
        node: process.versions.node,
        postgres: await withDatabase(
          databaseUrl,
          async (db) =>
            String(
              (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))
                .rows[0].v,
            ).split(' ')[0],
        ),
      },
      fleet: '2 API instances (APP_ROLES=api), 2 workers (APP_ROLES=worker), 1 broker, 1 database',
      gateway: { ...GATEWAY, ordersPerSecond: (GATEWAY.capacity * 1000) / GATEWAY.latencyMs },
      drills: results,
    };
    await mkdir(options.out, { recursive: true });
    await writeFile(join(options.out, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(options.out, 'results.md'), markdownOf(report));
    for (const result of results) {
      await writeFile(
        join(options.out, `${result.drill}.svg`),
        svgOf({
          title: `${result.drill}: completed payments per second`,
          unit: `${result.mode} mode, ${result.offeredPerSecond} orders/s offered`,
          perSecond: result.paymentsPerSecond,
          window: result.window,
        }),
      );
    }
    console.log(`\n${summaryOf(report).join('\n')}`);
    log(`written to ${options.out}/results.{md,json} and one picture per drill`);
    const missed = results.filter((result) => !result.aim.met).map((result) => result.drill);
    if (missed.length > 0) log(`aims not met: ${missed.join(', ')}`);
    const broken = results.filter((r) => Object.values(r.invariants).some((count) => count !== 0));
    if (broken.length > 0) {
      log(`INVARIANTS BROKEN in ${broken.map((r) => r.drill).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    log('stopping the fleet, the gateway simulator, Kafka and PostgreSQL');
    await fleet?.stopAll().catch((error: unknown) => log(`fleet stop: ${String(error)}`));
    log(`each instance's output is in ${options.logs}`);
    await gateway?.stop();
    await broker.stop().catch((error: unknown) => log(`broker stop: ${String(error)}`));
    await cluster.destroy();
    stopAtDeadline.cancel();
  }
}

function faultContext(
  fleet: Fleet,
  broker: KafkaBroker,
  cluster: PostgresCluster,
  scale: number,
): FaultContext {
  return {
    fleet,
    broker,
    cluster,
    scale,
    log,
    async setMode(mode) {
      const response = await fetch(`${fleet.apis[0].app.url}/admin/mode`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ mode, reason: 'fault drill' }),
      });
      if (!response.ok) throw new Error(`PUT /admin/mode ${mode}: ${response.status}`);
      // Every instance follows within its settings poll (500 ms here).
      await new Promise((resolve) => setTimeout(resolve, 1000));
    },
  };
}

/** Past the deadline nothing is worth waiting for: kill what was started and leave. */
function deadline(ms: number) {
  let fire = () => undefined as void;
  const timer = setTimeout(() => {
    log(`deadline of ${Math.round(ms / 60_000)} minutes passed: stopping`);
    fire();
    process.exit(2);
  }, ms);
  timer.unref();
  return {
    onFire(action: () => void) {
      fire = action;
    },
    cancel() {
      clearTimeout(timer);
    },
  };
}

let options: Options;
try {
  options = optionsOf(process.argv.slice(2));
} catch (error) {
  console.error(String((error as Error).message));
  process.exit(64); // EX_USAGE
}
main(options).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
