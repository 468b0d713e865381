import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { CryptoKey, JWTPayload } from 'jose';
import { ADMIN_TOKEN, adminAuth, adminToken, startApp, TestApp } from './support/test-app';

const ISSUER = 'https://id.shop.test';
const AUDIENCE = 'peak-checkout-admin';

interface ModeBody {
  setBy: string;
  history: { to: string; changedBy: string }[];
}

/** The identity provider's key set, served as a provider serves it. */
async function serveKeySet(keys: object[]): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.setHeader('Content-Type', 'application/json');
    response.end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/.well-known/jwks.json` };
}

describe('admin credentials', () => {
  let app: TestApp;
  let provider: { server: Server; url: string };
  let providerKey: CryptoKey;
  let strangerKey: CryptoKey;

  const jwt = async (
    claims: JWTPayload,
    {
      key = providerKey,
      issuer = ISSUER,
      audience = AUDIENCE,
      expires,
    }: { key?: CryptoKey; issuer?: string; audience?: string; expires?: string | number } = {},
  ): Promise<string> => {
    const { SignJWT } = await import('jose');
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'provider-1' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setExpirationTime(expires ?? '5m')
      .sign(key);
  };

  const nameOf = (authorization: string) =>
    app.http().get('/admin/me').set('Authorization', authorization);

  beforeAll(async () => {
    const { exportJWK, generateKeyPair } = await import('jose');
    const pair = await generateKeyPair('ES256');
    providerKey = pair.privateKey;
    strangerKey = (await generateKeyPair('ES256')).privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'provider-1', alg: 'ES256' };
    provider = await serveKeySet([publicJwk]);
    app = await startApp({
      ADMIN_JWKS_URL: provider.url,
      ADMIN_JWT_ISSUER: ISSUER,
      ADMIN_JWT_AUDIENCE: AUDIENCE,
      ADMIN_JWT_NAME_CLAIM: 'email',
    });
  });

  afterAll(async () => {
    await app?.close();
    provider?.server.close();
  });

  it('takes the bearer scheme name in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const answer = await nameOf(`${scheme} ${adminToken('ops-alice')}`);
      expect([scheme, answer.status, answer.body.name]).toEqual([scheme, 200, 'ops-alice']);
    }
    expect((await nameOf(`Basic ${adminToken('ops-alice')}`)).status).toBe(401);
    expect((await nameOf('Bearer not-an-admin-token-at-all')).status).toBe(401);
    expect((await app.http().get('/admin/me')).status).toBe(401);
  });

  it('records each admin under the name of their token, whatever X-Admin-User claims', async () => {
    await app
      .http()
      .put('/admin/mode')
      .set(adminAuth('ops-alice'))
      .set('X-Admin-User', 'mallory')
      .send({ mode: 'async' })
      .expect(200);
    await app
      .http()
      .put('/admin/mode')
      .set(adminAuth('ops-bob'))
      .set('X-Admin-User', 'ops-alice')
      .send({ mode: 'auto' })
      .expect(200);
    const shared = await app
      .http()
      .put('/admin/mode')
      .set('Authorization', `Bearer ${ADMIN_TOKEN}`)
      .set('X-Admin-User', 'ops-bob')
      .send({ mode: 'sync' })
      .expect(200);

    const body = shared.body as ModeBody;
    expect(body.setBy).toBe('admin');
    expect(body.history.slice(0, 3).map(({ to, changedBy }) => [to, changedBy])).toEqual([
      ['sync', 'admin'],
      ['auto', 'ops-bob'],
      ['async', 'ops-alice'],
    ]);
  });

  it('takes a JWT the identity provider signed, under its name claim', async () => {
    const token = await jwt({ email: 'carol@shop.test', sub: 'u-1729' });
    expect((await nameOf(`Bearer ${token}`)).body).toEqual({ name: 'carol@shop.test' });

    const switched = await app
      .http()
      .put('/admin/backpressure')
      .set('Authorization', `bearer ${token}`)
      .set('X-Admin-User', 'ops-alice')
      .send({ maxInFlight: 31 })
      .expect(200);
    expect(switched.body).toMatchObject({ maxInFlight: 31, setBy: 'carol@shop.test' });
  });

  it('refuses a JWT of another issuer or audience, past its expiry, or signed by another key', async () => {
    const refused = {
      'another issuer': await jwt({ email: 'carol@shop.test' }, { issuer: 'https://evil.test' }),
      'another audience': await jwt({ email: 'carol@shop.test' }, { audience: 'another-app' }),
      expired: await jwt(
        { email: 'carol@shop.test' },
        { expires: Math.floor(Date.now() / 1000) - 60 },
      ),
      'another key': await jwt({ email: 'carol@shop.test' }, { key: strangerKey }),
      'no name claim': await jwt({ sub: 'u-1729' }),
    };
    for (const [why, token] of Object.entries(refused)) {
      const answer = await nameOf(`Bearer ${token}`);
      expect([why, answer.status]).toEqual([why, 401]);
    }
  });

  it('declares in /docs the bearer scheme every admin operation asks for', async () => {
    const document = (await app.http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
      components: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
    };
    const declared = document.components.securitySchemes ?? {};
    const adminOperations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/admin/'))
      .flatMap(([path, operations]) =>
        Object.entries(operations).map(([method, operation]) => ({ path, method, operation })),
      );
    expect(adminOperations.length).toBeGreaterThan(5);
    for (const { path, method, operation } of adminOperations) {
      const schemes = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
      expect([method, path, schemes.length > 0]).toEqual([method, path, true]);
      for (const scheme of schemes) {
        expect({ [scheme]: declared[scheme] }).toMatchObject({
          [scheme]: { type: 'http', scheme: 'bearer' },
        });
      }
    }
  });
});
