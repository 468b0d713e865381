import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

const PAGE = join(__dirname, 'public');
const UPLOT = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));

/** The files the page may load, and nothing else of the disk. */
const ASSETS: Record<string, string> = {
  'console.js': join(PAGE, 'console.js'),
  'console.css': join(PAGE, 'console.css'),
  'uPlot.iife.min.js': join(UPLOT, 'uPlot.iife.min.js'),
  'uPlot.min.css': join(UPLOT, 'uPlot.min.css'),
};

/**
 * The admin console: a page served at /admin that asks for the admin token and then reads
 * and drives the admin API. The page holds no data of its own, so it needs no token itself.
 */
@ApiExcludeController()
@Controller('admin')
export class ConsoleController {
  @Get()
  @Header(
    'Content-Security-Policy',
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
      "frame-ancestors 'none'",
  )
  page(@Res() reply: FastifyReply): void {
    send(reply, join(PAGE, 'index.html'), 'no-cache');
  }

  @Get('console/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const path = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined;
    if (!path) throw new NotFoundException(`The console has no file ${file}.`);
    send(reply, path, 'public, max-age=3600');
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** The page and its assets are a few kilobytes each, read once. */
const files = new Map<string, Buffer>();

function send(reply: FastifyReply, path: string, cacheControl: string): void {
  let body = files.get(path);
  if (!body) files.set(path, (body = readFileSync(path)));
  void reply.type(TYPES[extname(path)]).header('Cache-Control', cacheControl).send(body);
}
