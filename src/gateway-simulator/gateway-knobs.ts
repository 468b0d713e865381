import { z } from 'zod';

/** The simulated gateway's traits, as its operator (or a test playing one) may change them live. */
export interface GatewayKnobs {
  /** Time one authorization takes, at or under capacity. */
  latencyMs: number;
  /** Concurrent authorizations it bears; past it each call slows in proportion. */
  capacity: number;
  /** Share of calls (0–1) that fail transiently, charging nothing. */
  transientFailureRate: number;
  /** Amounts above this are declined. */
  declineAboveCents: number;
  /** Share of answers (0–1) lost on their way back, after the gateway decided (and charged). */
  lostResponseRate: number;
}

const integer = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const ratio = (fallback: number) => z.coerce.number().min(0).max(1).default(fallback);

/**
 * The knobs as environment variables, with their laptop defaults. The simulator service reads
 * them, and so does the app for the simulator it runs in-process when it has no GATEWAY_URL:
 * one definition for both.
 */
export const gatewayKnobVariables = {
  GATEWAY_LATENCY_MS: integer(80).describe('simulator: time one authorization takes'),
  GATEWAY_CAPACITY: integer(50, 1).describe(
    'simulator: concurrent authorizations it bears; past it each call slows in proportion, ' +
      'past twice it calls are refused as overloaded (`429`)',
  ),
  GATEWAY_TRANSIENT_FAILURE_RATE: ratio(0).describe(
    'simulator: share of calls (0–1) that fail transiently, charging nothing',
  ),
  GATEWAY_DECLINE_ABOVE_CENTS: integer(1_000_000, 1).describe(
    'simulator: amounts above this are declined',
  ),
  GATEWAY_LOST_RESPONSE_RATE: ratio(0).describe(
    'simulator: share of answers (0–1) lost after the gateway decided (and charged): the ' +
      'caller times out',
  ),
};

type KnobVariables = z.infer<z.ZodObject<typeof gatewayKnobVariables>>;

export function knobsOf(variables: KnobVariables): GatewayKnobs {
  return {
    latencyMs: variables.GATEWAY_LATENCY_MS,
    capacity: variables.GATEWAY_CAPACITY,
    transientFailureRate: variables.GATEWAY_TRANSIENT_FAILURE_RATE,
    declineAboveCents: variables.GATEWAY_DECLINE_ABOVE_CENTS,
    lostResponseRate: variables.GATEWAY_LOST_RESPONSE_RATE,
  };
}

/** A change of some knobs, as `PATCH /knobs` takes it. */
export const knobsChange = z
  .object({
    latencyMs: z.number().int().min(0),
    capacity: z.number().int().min(1),
    transientFailureRate: z.number().min(0).max(1),
    declineAboveCents: z.number().int().min(1),
    lostResponseRate: z.number().min(0).max(1),
  })
  .partial()
  .strict();

/** How the simulator service is started: where it listens, and its knobs. */
export interface SimulatorSettings {
  host: string;
  port: number;
  knobs: GatewayKnobs;
}

/** Where the simulator service listens; it reads the knobs above too. */
export const simulatorServiceVariables = {
  GATEWAY_SIMULATOR_HOST: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('the address the simulator service listens on'),
  GATEWAY_SIMULATOR_PORT: integer(3100)
    .pipe(z.number().max(65_535))
    .describe('the port the simulator service listens on; `0`: any free port'),
};

const simulatorEnvironment = z.object({ ...gatewayKnobVariables, ...simulatorServiceVariables });

/** Reads the service's settings from its environment; throws naming each bad variable. */
export function readSimulatorSettings(
  env: Record<string, string | undefined> = process.env,
): SimulatorSettings {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = simulatorEnvironment.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) =>
        `  - ${issue.path.join('.')}=${JSON.stringify(present[String(issue.path[0])])}: ${issue.message}`,
    );
    throw new Error(`Invalid gateway simulator settings:\n${problems.join('\n')}`);
  }
  const e = parsed.data;
  return { host: e.GATEWAY_SIMULATOR_HOST, port: e.GATEWAY_SIMULATOR_PORT, knobs: knobsOf(e) };
}
