import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
  type OpenAPIObject,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../tenancy/auth.decorators';
import { ApiServerError } from '../common/openapi/api-responses.decorators';
import { DocsService } from './docs.service';

/**
 * swagger-ui-dist's folder, what its getAbsoluteFSPath() returns; resolved rather than imported
 * (the package has no types, and its index loads the whole browser bundle into Node).
 */
const ASSETS_DIR = dirname(require.resolve('swagger-ui-dist/package.json'));

/** The swagger-ui-dist files the page loads (a fixed list: the route never reads other paths). */
const ASSETS = new Map<string, string>([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
  ['favicon-32x32.png', 'image/png'],
  ['favicon-16x16.png', 'image/png'],
]);

/** Scripts only from this origin (no inline script); Swagger UI sets inline styles and data: images. */
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

const PAGE = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>mailgate API</title>
    <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
    <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" sizes="32x32" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/assets/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-initializer.js"></script>
  </body>
</html>
`;

const INITIALIZER = `window.ui = SwaggerUIBundle({
  url: '/docs/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
`;

/** Swagger UI served from swagger-ui-dist (no @fastify/static), and the document it shows. */
@Public()
@ApiTags('Operations')
@Controller('docs')
export class DocsController {
  constructor(private readonly docs: DocsService) {}

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('content-security-policy', CSP)
  @Header('x-content-type-options', 'nosniff')
  @ApiOperation({ summary: 'API documentation (Swagger UI)' })
  @ApiProduces('text/html')
  @ApiOkResponse({
    description: 'The Swagger UI page',
    content: { 'text/html': { schema: { type: 'string' } } },
  })
  @ApiServerError()
  page(): string {
    return PAGE;
  }

  @Get('openapi.json')
  @Header('cache-control', 'no-cache')
  @ApiOperation({ summary: 'This OpenAPI document' })
  @ApiOkResponse({ description: 'OpenAPI 3 document', schema: { type: 'object' } })
  @ApiServerError()
  openapi(): OpenAPIObject {
    const document = this.docs.document;
    if (document === undefined) {
      throw new NotFoundException('The OpenAPI document was not built (createApp builds it)');
    }
    return document;
  }

  @Get('swagger-initializer.js')
  @Header('content-type', 'text/javascript; charset=utf-8')
  @Header('x-content-type-options', 'nosniff')
  @ApiOperation({ summary: 'Swagger UI start-up script' })
  @ApiProduces('text/javascript')
  @ApiOkResponse({
    description: 'Script',
    content: { 'text/javascript': { schema: { type: 'string' } } },
  })
  @ApiServerError()
  initializer(): string {
    return INITIALIZER;
  }

  @Get('assets/:file')
  @ApiOperation({ summary: 'Swagger UI assets (from swagger-ui-dist)' })
  @ApiParam({ name: 'file', enum: [...ASSETS.keys()] })
  @ApiOkResponse({ description: 'The file' })
  @ApiNotFoundResponse({ description: 'Not one of the served assets' })
  @ApiServerError()
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const type = ASSETS.get(file);
    if (type === undefined) {
      throw new NotFoundException();
    }
    void reply
      .type(type)
      .header('cache-control', 'public, max-age=3600')
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(join(ASSETS_DIR, file)));
  }
}
