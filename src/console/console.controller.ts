import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../tenancy/auth.decorators';
import { ConsoleAssetsService, type ConsoleFile } from './console-assets.service';
import { acceptsGzip, matchesEtag } from './console-http';
import { CONSOLE_SECURITY_HEADERS } from './console.constants';

function notFound(reply: FastifyReply): void {
  void reply
    .status(404)
    .headers(CONSOLE_SECURITY_HEADERS)
    .header('cache-control', 'no-store')
    .type('text/plain; charset=utf-8')
    .send('Not found');
}

/**
 * The admin console: one HTML page and its static assets, public (the page signs in with an API
 * key that only ever travels in the Authorization header of its API calls).
 */
@ApiExcludeController()
@Public()
@Controller('console')
export class ConsoleController {
  constructor(private readonly assets: ConsoleAssetsService) {}

  @Get()
  index(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.send(request, reply, this.assets.indexFile());
  }

  @Get('assets/:build/:name')
  asset(
    @Param('build') build: string,
    @Param('name') name: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): void {
    const file = this.assets.asset(build, name);
    if (file === undefined) {
      notFound(reply);
      return;
    }
    this.send(request, reply, file);
  }

  /** `/console/` redirects to the page's one address; anything else under the prefix is 404. */
  @Get('*')
  other(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const url = request.url.split('?')[0];
    if (url === '/console/') {
      void reply.headers(CONSOLE_SECURITY_HEADERS).redirect('/console', 308);
      return;
    }
    notFound(reply);
  }

  private send(request: FastifyRequest, reply: FastifyReply, file: ConsoleFile): void {
    void reply
      .headers(CONSOLE_SECURITY_HEADERS)
      .header('cache-control', file.cacheControl)
      .header('etag', file.etag)
      .header('vary', 'accept-encoding');
    if (matchesEtag(request.headers['if-none-match'], file.etag)) {
      void reply.status(304).send();
      return;
    }
    void reply.type(file.contentType);
    if (file.gzip !== null && acceptsGzip(request.headers['accept-encoding'])) {
      void reply.header('content-encoding', 'gzip').send(file.gzip);
      return;
    }
    void reply.send(file.body);
  }
}
