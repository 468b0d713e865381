import type { CorsOptions } from 'cors';
import helmet from 'helmet';

/**
 * Helmet's headers on every answer (nosniff, Referrer-Policy, frame and cross-origin
 * policies, a CSP that Swagger UI at /docs works under; the admin console's page sets a
 * stricter one of its own), and without X-Powered-By.
 */
export function securityHeaders(): ReturnType<typeof helmet> {
  return helmet({
    contentSecurityPolicy: {
      directives: {
        frameAncestors: ["'none'"],
        // An instance reached over plain HTTP (a laptop, a private network) would break its own
        // pages by asking for their scripts over HTTPS.
        upgradeInsecureRequests: null,
      },
    },
    frameguard: { action: 'deny' },
    // HSTS pins a whole host to HTTPS for a year: the TLS terminator in front decides that.
    strictTransportSecurity: false,
  });
}

/**
 * CORS for a frontend served from another origin (the `cors` middleware, answering a preflight
 * before any route): only the listed origins, no cookies (shoppers
 * are named by header), and the headers a shop needs to read from answers.
 */
export function corsOptions(origins: string[]): CorsOptions {
  return {
    origin: origins,
    methods: ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'],
    allowedHeaders: ['Content-Type', 'X-User-Id', 'Idempotency-Key', 'traceparent', 'tracestate'],
    exposedHeaders: ['X-Trace-Id', 'Idempotent-Replayed', 'Location', 'Retry-After'],
    credentials: false,
    // Browsers cap it (Chromium at 2 hours); ten minutes spares a preflight per call.
    maxAge: 600,
  };
}
