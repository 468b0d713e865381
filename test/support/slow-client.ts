import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** What a raw client saw: the bytes the server sent, and whether it hung up first. */
export interface RawAnswer {
  answer: string;
  /** The server closed the socket before the client had sent all it meant to. */
  closedByServer: boolean;
}

/**
 * A client over a raw socket that sends `parts` one at a time, `everyMs` apart (a slow or
 * hostile client), and stops as soon as the server closes the connection. It never runs
 * longer than sending all of them takes.
 */
export async function trickle(url: string, parts: string[], everyMs: number): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let answer = '';
  let closed = false;
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
  socket.on('error', () => undefined);
  const gone = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void gone.then(() => (closed = true));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  for (const part of parts) {
    if (closed) break;
    socket.write(part);
    await Promise.race([sleep(everyMs), gone]);
  }
  const closedByServer = closed;
  socket.destroy();
  await gone;
  return { answer, closedByServer };
}

/** Opens a raw connection and resolves once it is established (or refused). */
export function openSocket(url: string): Promise<ReturnType<typeof connect>> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('connect', () => resolve(socket));
    socket.once('close', () => resolve(socket));
  });
}
