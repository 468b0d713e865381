import { Server } from 'node:http';

export interface ServerLimits {
  requestTimeoutMs: number;
  headersTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * Node checks the request and headers timeouts on a timer (connectionsCheckingInterval, 30 s
 * by default), so a shorter timeout would fire up to 30 s late. Node reads it from the server
 * when it starts listening (lib/_http_server.js, setupConnectionsTracking); only createServer's
 * options declare it.
 */
const TIMEOUT_CHECK_MS = 1000;

/**
 * Bounds what one client can hold: a connection that takes too long to send its headers or its
 * request is answered 408 and closed; an idle keep-alive connection is closed; connections past
 * the cap are refused. Set before listening: the timeout checker starts on 'listening'.
 * The request timeout bounds receiving a request only, so SSE streams live on.
 */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.requestTimeout = limits.requestTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(TIMEOUT_CHECK_MS, limits.headersTimeoutMs);
}
