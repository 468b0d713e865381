import { INestApplication, ValidationPipe } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { MicroserviceOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import cors from 'cors';
import { Logger } from 'nestjs-pino';
import { register } from 'prom-client';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { corsOptions, securityHeaders } from './http/browser-policy';
import { EVERY_ROUTE_503 } from './http/api-errors';
import { applyServerLimits } from './http/server-limits';
import { DatabaseOutage } from './database/database-outage';
import { DatabaseUnavailableFilter } from './http/database-unavailable.filter';
import { DomainErrorFilter } from './http/domain-error.filter';
import { InProcessServer } from './messaging/in-process.server';
import { KafkaTransport } from './messaging/kafka/kafka.transport';
import { ADMIN_AUTH } from './http/admin/admin.guard';
import { HttpDrain } from './http/http-drain';
import { InstanceAddress } from './http/instance-address';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { PropagateHandlerErrors } from './messaging/propagate-handler-errors';
import { nameSpansByRoute, traceRequest } from './http/trace-request';
import { answerJson, Middleware, pathOf } from './http/node-http';
import { answerUnroutable, MAX_PARAM_LENGTH } from './http/unroutable-path';
import { takeBodiesFromJsonBody } from './http/json-body.middleware';
import { ensureTraceIds } from './runtime/tracing/start-tracing';

/** A worker-only instance serves its health, metrics and internal callbacks, not the API. */
const workerOnly: Middleware = (request, response, next) => {
  if (/^\/(health|metrics|internal)(\/|$)/.test(pathOf(request))) return next();
  answerJson(response, 404, {
    statusCode: 404,
    error: 'Not Found',
    message:
      'This instance runs the worker role only (APP_ROLES=worker); send API calls to an api instance.',
  });
};

/**
 * Builds, starts and listens: the one way an instance comes up, used by main.ts and by the
 * end-to-end tests alike.
 */
export async function bootstrap(config: AppConfig): Promise<INestApplication> {
  // prom-client keeps metrics in a process-wide registry; a second app in one process (tests)
  // would otherwise fail with "already registered".
  register.clear();
  ensureTraceIds();
  const adapter = new FastifyAdapter({
    // Open SSE streams never end on their own; without this they would hold shutdown.
    forceCloseConnections: true,
    routerOptions: {
      // As the API has always answered: /orders/ is /orders.
      ignoreTrailingSlash: true,
      // A path parameter of any reasonable length reaches the pipe that says what is wrong
      // with it.
      maxParamLength: MAX_PARAM_LENGTH,
    },
    frameworkErrors: answerUnroutable,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  takeBodiesFromJsonBody(fastify);
  nameSpansByRoute(fastify);
  app.use(traceRequest);
  // Before anything that can refuse a request, so a browser can read the refusal.
  if (config.http.corsOrigins.length > 0) app.use(cors(corsOptions(config.http.corsOrigins)));
  app.use(securityHeaders());
  app.use(app.get(HttpDrain).middleware);
  if (!config.roles.api) app.use(workerOnly);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.useGlobalFilters(
    new DatabaseUnavailableFilter(
      app.get(DatabaseOutage),
      new BaseExceptionFilter(app.get(HttpAdapterHost).httpAdapter),
    ),
    new DomainErrorFilter(),
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('peak-checkout')
      .setDescription(
        'Cart, orders and payments that hold through a flash sale. Shoppers are identified by ' +
          'the X-User-Id header set by the upstream gateway. Bodies are JSON ' +
          '(Content-Type: application/json); every error is JSON {statusCode, error, message, ' +
          'details?}, and 429 and 503 come with Retry-After. A page on another origin calls the ' +
          'API once its origin is listed in CORS_ORIGINS.',
      )
      .setVersion('1')
      .addGlobalResponse(EVERY_ROUTE_503)
      .addBearerAuth(
        {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'an admin token or a JWT',
          description:
            'An admin token (ADMIN_TOKENS, ADMIN_TOKEN) or a JWT from the identity provider.',
        },
        ADMIN_AUTH,
      )
      .build(),
  );
  SwaggerModule.setup('docs', app, document);

  const transports = [app.get(InProcessServer)];
  if (config.kafka && config.roles.worker) transports.push(app.get(KafkaTransport));
  for (const strategy of transports) {
    // Deferred, so its error filter is in place before its handlers are bound...
    const microservice = app.connectMicroservice<MicroserviceOptions>(
      { strategy },
      { deferInitialization: true },
    );
    microservice.useGlobalFilters(new PropagateHandlerErrors());
    // ...but a deferred microservice would run every module's init and bootstrap hooks again
    // (second relays, listeners, timers): the app runs them once, in app.init().
    (microservice as unknown as { setIsInitHookCalled(called: boolean): void }).setIsInitHookCalled(
      true,
    );
  }
  // Modules first (migrations, Kafka topics, the mode in force), then consumers, then HTTP. A
  // worker's consumer joins its group in the background; its readiness says when it consumes.
  await app.init();
  await app.startAllMicroservices();
  const server: Server = app.getHttpServer();
  applyServerLimits(server, config.http);
  // Every interface, IPv4 and IPv6, as Node listens by default (Fastify's default: localhost).
  await app.listen(config.http.port, '::');
  app.get(InstanceAddress).listeningOn(server.address() as AddressInfo);
  return app;
}
