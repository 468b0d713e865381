import { HttpException, RequestMethod, Type } from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  GUARDS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  ROUTE_ARGS_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import { AdminGuard } from '../src/http/admin/admin.guard';
import { EventStream } from './support/event-stream';
import { Shopper } from './support/shopper';
import { newProduct, newShopper, startApp, switchMode, TestApp } from './support/test-app';

interface Schema {
  type?: string;
  $ref?: string;
  allOf?: Schema[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  discriminator?: { propertyName: string; mapping?: Record<string, string> };
}
interface Operation {
  parameters?: { name: string; in: string; schema?: Schema }[];
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

/** Served, and left out of the document on purpose: no frontend calls them. */
const UNDOCUMENTED = [
  // One instance calls it on another, behind INTERNAL_SECRET.
  'post /internal/order-updates',
  // The admin console's page and its files.
  'get /admin',
  'get /admin/console/{file}',
];

/**
 * What the services behind a route refuse with (their DomainErrors, src/**\/*.errors.ts), which
 * no route metadata tells.
 */
const DOMAIN_REFUSALS: Record<string, number[]> = {
  'post /cart/items': [404, 409],
  'patch /cart/items/{sku}': [404, 409],
  'delete /cart/items/{sku}': [404, 409],
  'post /orders': [409, 422, 503],
  'post /orders/{id}/payment-retries': [404, 409, 422, 503],
  'get /orders/{id}': [404],
  'get /orders/{id}/timeline': [404],
  'get /orders/{id}/events': [404, 429],
  'post /admin/orders/{id}/redrive': [404, 409],
  'put /admin/mode': [409],
  'post /admin/dead-letters/{id}/replay': [404, 409, 422],
};

const ERROR_BODY = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };

describe('the OpenAPI document a frontend generates its client from', () => {
  let app: TestApp;
  let document: OpenApiDocument;

  beforeAll(async () => {
    app = await startApp({ GATEWAY_LATENCY_MS: '1500', SSE_HEARTBEAT_MS: '200' });
    document = (await app.http().get('/docs-json').expect(200)).body as OpenApiDocument;
  });
  afterAll(() => app.close());

  it('is valid OpenAPI', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(document as unknown as Record<string, unknown>);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
  });

  it('describes every route the app serves, and no other', () => {
    const documented = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method} ${path}`),
    );
    const served = servedRoutes(app).filter(
      (route) => !UNDOCUMENTED.includes(route) && !/^\w+ \/docs\b/.test(route),
    );
    expect(served.length).toBeGreaterThan(20);
    expect(documented.sort()).toEqual(served.sort());
  });

  it('declares on each route the refusals of its guards, headers, parameters and body', () => {
    const missing = controllerRoutes(app).flatMap(({ route, answers }) => {
      const declared = Object.keys(operationOf(document, route)?.responses ?? {});
      return answers
        .filter((status) => !declared.includes(String(status)))
        .map((status) => `${route} ${status}`);
    });
    expect(missing).toEqual([]);
  });

  it('declares on each route the refusals of the services behind it', () => {
    const missing = Object.entries(DOMAIN_REFUSALS).flatMap(([route, answers]) => {
      const declared = Object.keys(operationOf(document, route)?.responses ?? {});
      return answers
        .filter((status) => !declared.includes(String(status)))
        .map((status) => `${route} ${status}`);
    });
    expect(missing).toEqual([]);
  });

  it('answers every refusal with the error body, as JSON', () => {
    const others = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, { responses }]) =>
        Object.entries(responses)
          .filter(([status]) => Number(status) >= 400)
          // A failed health check answers its report, as readiness probes expect.
          .filter(([status]) => !(path.startsWith('/health/') && status === '503'))
          .filter(([, response]) => JSON.stringify(response.content) !== JSON.stringify(ERROR_BODY))
          .map(
            ([status, response]) =>
              `${method} ${path} ${status}: ${JSON.stringify(response.content)}`,
          ),
      ),
    );
    expect(others).toEqual([]);
    expect(document.components.schemas.ErrorBody.required).toEqual(
      expect.arrayContaining(['statusCode', 'error', 'message']),
    );
  });

  it('gives every parameter a type', () => {
    const untyped = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, { parameters = [] }]) =>
        parameters
          .filter(({ schema }) => typeof schema?.type !== 'string')
          .map(({ name, schema }) => `${method} ${path} ${name}: ${JSON.stringify(schema)}`),
      ),
    );
    expect(untyped).toEqual([]);
    expect(document.paths['/admin/dead-letters'].get.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'state',
          schema: expect.objectContaining({ enum: ['waiting', 'replayed', 'all'] }),
        }),
        expect.objectContaining({
          name: 'limit',
          schema: expect.objectContaining({ type: 'integer', minimum: 1, maximum: 1000 }),
        }),
      ]),
    );
  });

  it('declares the order stream as text/event-stream with the events it sends', async () => {
    const { responses } = document.paths['/orders/{id}/events'].get;
    expect(Object.keys(responses['200'].content ?? {})).toEqual(['text/event-stream']);
    const { discriminator } = responses['200'].content!['text/event-stream'].schema;
    const events = Object.fromEntries(
      Object.entries(discriminator?.mapping ?? {}).map(([name, ref]) => [
        name,
        schemaAt(document, ref),
      ]),
    );
    expect(Object.keys(events).sort()).toEqual(['heartbeat', 'result', 'status']);
    for (const [name, schema] of Object.entries(events)) {
      expect([name, schema.properties?.event.enum]).toEqual([name, [name]]);
    }
    expect(events.status.properties?.retry.type).toBe('integer');

    await switchMode(app, 'async');
    try {
      const shopper = new Shopper(app, newShopper());
      await shopper.addToCart(await newProduct(app.db, { stock: 1 }), 1);
      const order = (await shopper.placeOrder()).body as { id: string };
      const stream = await EventStream.open(`${app.url}/orders/${order.id}/events`, {
        'X-User-Id': shopper.id,
      });
      try {
        for (const name of ['status', 'heartbeat', 'result']) {
          const { data } = await stream.next(name, 10_000);
          const documented = dataSchemaOf(document, events[name]);
          expect([name, Object.keys(data as object).sort()]).toEqual([
            name,
            Object.keys(documented.properties ?? {}).sort(),
          ]);
        }
        expect(stream.retryMs).toEqual(expect.any(Number));
      } finally {
        stream.close();
      }
    } finally {
      await switchMode(app, 'sync');
    }
  });
});

/** The routes Fastify serves, as `method /path/{param}`, read off its printed route tree. */
function servedRoutes({ app }: TestApp): string[] {
  const fastify = app.getHttpAdapter().getInstance() as {
    printRoutes(options: { commonPrefix: boolean }): string;
  };
  const paths: string[] = [];
  const routes: string[] = [];
  for (const line of fastify.printRoutes({ commonPrefix: false }).split('\n')) {
    // '│   └── /:id (GET, HEAD)': four columns of the tree per level, then the path's next part.
    const node = /^([│ ]*)[├└]── (\S+)(?: \(([^)]+)\))?$/.exec(line);
    if (!node) continue;
    const depth = node[1].length / 4;
    paths[depth] = (depth > 0 ? paths[depth - 1] : '') + node[2];
    for (const method of node[3]?.split(', ') ?? []) {
      // Fastify answers HEAD for every GET route, as Express did.
      if (method !== 'HEAD') routes.push(`${method.toLowerCase()} ${openApiPath(paths[depth])}`);
    }
  }
  return [...new Set(routes)];
}

/**
 * Each route of every controller, with the statuses its metadata says it answers: those of its
 * guards, of its parameter decorators (asked with the headers they read missing, then
 * malformed), 400 for a path parameter a pipe parses or a validated query, 400, 413 and 415 for
 * a body, and 503 everywhere, as an instance shutting down answers every request so.
 */
function controllerRoutes({ app }: TestApp): { route: string; answers: number[] }[] {
  const routes: { route: string; answers: number[] }[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      const controller = metatype as Type;
      const prefix = Reflect.getMetadata(PATH_METADATA, controller) as string;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (path === undefined || name === 'constructor') continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const route = `${method.toLowerCase()} ${openApiPath(`/${prefix}/${path}`)}`;
        if (UNDOCUMENTED.includes(route)) continue;
        const guards = [
          ...((Reflect.getMetadata(GUARDS_METADATA, controller) as unknown[]) ?? []),
          ...((Reflect.getMetadata(GUARDS_METADATA, handler) as unknown[]) ?? []),
        ];
        const args = Object.entries(
          (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) as Record<
            string,
            { pipes?: unknown[]; factory?: (data: unknown, context: unknown) => unknown }
          >) ?? {},
        );
        const answers = new Set([503]);
        if (guards.includes(AdminGuard)) [401, 503].forEach((status) => answers.add(status));
        for (const [key, { pipes = [], factory }] of args) {
          if (key.startsWith(CUSTOM_ROUTE_ARGS_METADATA) && factory) {
            refusalsOf(factory).forEach((status) => answers.add(status));
            continue;
          }
          const type = Number(key.split(':')[0]) as RouteParamtypes;
          if (type === RouteParamtypes.BODY)
            [400, 413, 415].forEach((status) => answers.add(status));
          if (type === RouteParamtypes.QUERY) answers.add(400);
          if (type === RouteParamtypes.PARAM && pipes.length > 0) answers.add(400);
        }
        routes.push({ route, answers: [...answers].sort() });
      }
    }
  }
  return routes;
}

/** The statuses a parameter decorator refuses a request with: its headers missing, then malformed. */
function refusalsOf(factory: (data: unknown, context: unknown) => unknown): number[] {
  const statuses: number[] = [];
  for (const value of [undefined, ' \u0007 ']) {
    const request = { headers: {}, header: () => value };
    try {
      factory(undefined, { switchToHttp: () => ({ getRequest: () => request }) });
    } catch (error) {
      if (error instanceof HttpException) statuses.push(error.getStatus());
    }
  }
  return statuses;
}

function openApiPath(path: string): string {
  const joined = path.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:(\w+)/g, '{$1}');
}

function operationOf(document: OpenApiDocument, route: string): Operation | undefined {
  const [method, path] = route.split(' ');
  return document.paths[path]?.[method];
}

function schemaAt(document: OpenApiDocument, ref: string): Schema {
  return document.components.schemas[ref.replace('#/components/schemas/', '')];
}

/** The schema of an event's `data`, followed through its references. */
function dataSchemaOf(document: OpenApiDocument, event: Schema): Schema {
  let schema = event.properties!.data;
  while (schema.$ref || schema.allOf) {
    schema = schema.$ref ? schemaAt(document, schema.$ref) : schema.allOf![0];
  }
  return schema;
}
