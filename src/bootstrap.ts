import { INestApplication, ValidationPipe } from '@nestjs/common';
import { HttpAdapterHost, NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { MicroserviceOptions } from '@nestjs/microservices';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { NextFunction, Request, Response } from 'express';
import { Logger } from 'nestjs-pino';
import { register } from 'prom-client';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { BodyErrorFilter } from './http/body-error.filter';
import { DomainErrorFilter } from './http/domain-error.filter';
import { traceIdOf } from './ops/logging';
import { InProcessServer } from './messaging/in-process.server';
import { PropagateHandlerErrors } from './messaging/propagate-handler-errors.filter';
import { runWithTrace } from './messaging/trace-context';

/**
 * Builds, starts and listens: the one way an instance comes up, used by main.ts and by the
 * end-to-end tests alike.
 */
export async function bootstrap(config: AppConfig): Promise<INestApplication> {
  // prom-client keeps metrics in a process-wide registry; a second app in one process (tests)
  // would otherwise fail with "already registered".
  register.clear();
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: config.http.bodyLimit });
  app.use((request: Request, response: Response, next: NextFunction) => {
    const traceId = traceIdOf(request);
    request.id = traceId;
    response.setHeader('X-Trace-Id', traceId);
    runWithTrace(traceId, next);
  });
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }),
  );
  app.useGlobalFilters(
    new BodyErrorFilter(app.get(HttpAdapterHost).httpAdapter),
    new DomainErrorFilter(),
  );
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('peak-checkout')
      .setDescription(
        'Cart, orders and payments that hold through a flash sale. Shoppers are identified by ' +
          'the X-User-Id header set by the upstream gateway.',
      )
      .setVersion('1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);

  const inProcess = app.connectMicroservice<MicroserviceOptions>(
    { strategy: app.get(InProcessServer) },
    { deferInitialization: true },
  );
  inProcess.useGlobalFilters(new PropagateHandlerErrors());
  await app.startAllMicroservices();
  await app.listen(config.http.port);
  return app;
}
