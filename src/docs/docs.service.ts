import { Injectable } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';

/** Holds the document built from the live app at start (createApp), served at /docs/openapi.json. */
@Injectable()
export class DocsService {
  private current?: OpenAPIObject;

  publish(document: OpenAPIObject): void {
    this.current = document;
  }

  get document(): OpenAPIObject | undefined {
    return this.current;
  }
}
