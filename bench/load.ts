import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';

/** An open-loop offer: shoppers arrive on a fixed schedule whether or not earlier ones got in. */
export interface Offer {
  url: string;
  shoppers: readonly string[];
  perSecond: number;
  timeoutMs: number;
}

/** `refused`: a 503 with Retry-After, the sync path's capacity spent or its circuit open. */
export type Outcome = 'accepted' | 'sold out' | 'refused' | 'error' | 'timeout';

export interface Answer {
  shopper: string;
  outcome: Outcome;
  /** HTTP status, or 0 for a timeout or a connection failure. */
  status: number;
  /** From the moment the shopper was due, so a slow server cannot hide queueing delay. */
  latencyMs: number;
  orderId: string | null;
  orderStatus: string | null;
}

export interface OfferResult {
  answers: Answer[];
  /** From the first arrival to the last answer. */
  seconds: number;
}

/** The connections an offer holds to the instance, at most: its shoppers in flight at once. */
const CONNECTIONS = 256;

/**
 * Sends one POST /orders per shopper at `perSecond`, each shopper once, over connections opened
 * before the first one is due, and waits for every answer (or its timeout). Latency counts from
 * when the shopper was due to arrive, not from when the request left: the coordinated-omission
 * trap of closed-loop load generators.
 */
export async function offerLoad(offer: Offer): Promise<OfferResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const pending: Promise<Answer>[] = [];
  try {
    await openConnections(offer.url, agent, CONNECTIONS);
    const started = performance.now();
    for (const [index, shopper] of offer.shoppers.entries()) {
      const due = started + (index * 1000) / offer.perSecond;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      pending.push(placeOrder(offer, agent, shopper, due));
    }
    const answers = await Promise.all(pending);
    return { answers, seconds: (performance.now() - started) / 1000 };
  } finally {
    agent.destroy();
  }
}

/**
 * Opens `count` connections on `agent` and leaves them idle in its pool, as the load balancer
 * in front of an instance keeps its connections open. Node's libuv accepts one connection per
 * turn of the event loop (libuv/libuv#3696), and a busy instance's turns take up to tens of
 * milliseconds: connections opened by the first shoppers of an offer would be accepted one by one
 * over seconds, and the offer would measure that queue rather than the accepting of orders.
 */
async function openConnections(url: string, agent: Agent, count: number): Promise<void> {
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request(`${url}/health/live`, { agent }, (res) => {
            res.resume();
            res.on('end', resolve);
          });
          req.on('error', reject);
          req.end();
        }),
    ),
  );
}

/** Where and how long to wait: an API instance's URL and a timeout per order. */
export type Target = Pick<Offer, 'url' | 'timeoutMs'>;

/** One shopper's POST /orders, answered (or timed out) with its latency from `due`. */
export function placeOrder(
  offer: Target,
  agent: Agent,
  shopper: string,
  due: number,
): Promise<Answer> {
  const body = JSON.stringify({ paymentToken: 'tok_visa' });
  return new Promise((resolve) => {
    const answer = (status: number, text: string | null): void => {
      const latencyMs = performance.now() - due;
      const order = parseOrder(text);
      resolve({
        shopper,
        outcome: outcomeOf(status),
        status,
        latencyMs,
        orderId: order?.id ?? null,
        orderStatus: order?.status ?? null,
      });
    };
    const req = request(
      `${offer.url}/orders`,
      {
        method: 'POST',
        agent,
        timeout: offer.timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-user-id': shopper,
          'idempotency-key': `sale-${shopper}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => answer(res.statusCode ?? 0, Buffer.concat(chunks).toString()));
        res.on('error', () => answer(0, null));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      const latencyMs = performance.now() - due;
      const outcome = error.message === 'timeout' ? 'timeout' : 'error';
      resolve({ shopper, outcome, status: 0, latencyMs, orderId: null, orderStatus: null });
    });
    req.end(body);
  });
}

function outcomeOf(status: number): Outcome {
  if (status === 201 || status === 202) return 'accepted';
  if (status === 409) return 'sold out';
  if (status === 503) return 'refused';
  return 'error';
}

function parseOrder(text: string | null): { id: string; status: string } | null {
  if (!text) return null;
  try {
    const parsed = JSON.parse(text) as { id?: unknown; status?: unknown };
    return typeof parsed.id === 'string' && typeof parsed.status === 'string'
      ? { id: parsed.id, status: parsed.status }
      : null;
  } catch {
    return null;
  }
}

/** The value below which `fraction` of `values` lie (nearest rank); null when there are none. */
export function percentile(values: readonly number[], fraction: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}
