import type { INestApplication } from '@nestjs/common';
import { DocsService } from './docs.service';
import { buildOpenApiDocument } from './openapi.document';

/** Builds the document from the app's own controllers and hands it to /docs/openapi.json. */
export function setupOpenApi(app: INestApplication): void {
  app.get(DocsService).publish(buildOpenApiDocument(app));
}
