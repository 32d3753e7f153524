import type { SchemaObject } from '@nestjs/swagger';
import { COMMON_API_SCHEMAS } from '../common/openapi/api-schemas';
import { EMAIL_API_SCHEMAS } from '../emails/emails.api-schemas';
import { EVENT_API_SCHEMAS } from '../events/events.api-schemas';
import { PROVIDER_CONFIG_API_SCHEMAS } from '../provider-config/provider-config.api-schemas';
import { STATS_API_SCHEMAS } from '../stats/stats.api-schemas';
import { SUPPRESSION_API_SCHEMAS } from '../suppressions/suppressions.api-schemas';
import { TEMPLATE_API_SCHEMAS } from '../templates/templates.api-schemas';
import { TENANCY_API_SCHEMAS } from '../tenancy/tenancy.api-schemas';
import { WEBHOOK_API_SCHEMAS } from '../webhooks/webhooks.api-schemas';

/** Every feature's named schemas in one table; a name defined twice stops the build of the document. */
function gather(...tables: Array<Record<string, SchemaObject>>): Record<string, SchemaObject> {
  const all: Record<string, SchemaObject> = {};
  for (const table of tables) {
    for (const [name, schema] of Object.entries(table)) {
      if (name in all) {
        throw new Error(`OpenAPI schema ${name} is defined twice`);
      }
      all[name] = schema;
    }
  }
  return all;
}

/** Schemas the decorators cannot derive: the envelope, the send request and the answers. */
export const API_SCHEMAS: Record<string, SchemaObject> = gather(
  COMMON_API_SCHEMAS,
  EMAIL_API_SCHEMAS,
  EVENT_API_SCHEMAS,
  SUPPRESSION_API_SCHEMAS,
  PROVIDER_CONFIG_API_SCHEMAS,
  TENANCY_API_SCHEMAS,
  STATS_API_SCHEMAS,
  TEMPLATE_API_SCHEMAS,
  WEBHOOK_API_SCHEMAS,
);
