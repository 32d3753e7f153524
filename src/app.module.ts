import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { LOGGER } from './common/logger.constants';
import { SecretCipher } from './common/secret-cipher';
import { SecretKeyCheck, STORED_SECRETS, type StoredSecrets } from './common/secret-key-check';
import { createValidationPipe } from './common/validation';
import { APP_ENV } from './config/app-env.constants';
import { Database } from './config/database';
import { DatabaseModule } from './config/database.module';
import { dataSourceOptions, runMigrationsLocked } from './config/data-source';
import type { ReadyEnv } from './config/env';
import { ConsoleModule } from './console/console.module';
import { DocsModule } from './docs/docs.module';
import { EmailsModule } from './emails/emails.module';
import { SEALED_CONTENT_STORED_SECRETS } from './emails/sealed-content.stored-secrets';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import type { TransportFactoryOptions } from './transports/transport.factory';
import { TRANSPORT_FACTORY_OPTIONS } from './transports/transports.constants';
import { MetricsModule } from './metrics/metrics.module';
import { ProviderConfigModule } from './provider-config/provider-config.module';
import { PROVIDER_CONFIG_STORED_SECRETS } from './provider-config/provider-config.stored-secrets';
import { RetentionModule } from './retention/retention.module';
import { StatsModule } from './stats/stats.module';
import { SuppressionsModule } from './suppressions/suppressions.module';
import { TemplatesModule } from './templates/templates.module';
import { API_KEY_STORED_SECRETS } from './tenancy/api-key.stored-secrets';
import { TenancyModule } from './tenancy/tenancy.module';
import { WebhooksModule } from './webhooks/webhooks.module';

/** Wiring that is not configuration: tests trust their own CA and point presets at loopback. */
export interface AppOverrides {
  transports?: TransportFactoryOptions;
}

/** The features, each one folder of src/. */
const FEATURE_MODULES: DynamicModule['imports'] = [
  HealthModule,
  TenancyModule,
  ProviderConfigModule,
  TemplatesModule,
  EmailsModule,
  EventsModule,
  SuppressionsModule,
  WebhooksModule,
  RetentionModule,
  StatsModule,
  ConsoleModule,
  MetricsModule,
  DocsModule,
];

@Global()
@Module({})
export class AppModule {
  static register(env: ReadyEnv, logger: Logger, overrides: AppOverrides = {}): DynamicModule {
    const core: Provider[] = [
      { provide: APP_ENV, useValue: env },
      { provide: LOGGER, useValue: logger },
      { provide: TRANSPORT_FACTORY_OPTIONS, useValue: overrides.transports ?? null },
      { provide: SecretCipher, useValue: new SecretCipher(env.app.secretKeys) },
      {
        // Every place a feature keeps what MAILGATE_SECRET_KEY encrypted, checked once at start.
        provide: STORED_SECRETS,
        useValue: [
          ...API_KEY_STORED_SECRETS,
          PROVIDER_CONFIG_STORED_SECRETS,
          SEALED_CONTENT_STORED_SECRETS,
        ],
      },
      {
        provide: SecretKeyCheck,
        useFactory: (db: Database, cipher: SecretCipher, log: Logger, places: StoredSecrets[]) =>
          new SecretKeyCheck(db, cipher, log, places),
        inject: [Database, SecretCipher, LOGGER, STORED_SECRETS],
      },
      { provide: APP_PIPE, useFactory: createValidationPipe },
      {
        provide: APP_FILTER,
        useFactory: (log: Logger) => new AllExceptionsFilter(log.child({ module: 'http' })),
        inject: [LOGGER],
      },
    ];
    return {
      module: AppModule,
      imports: [
        // The environment is parsed and validated once, before Nest starts (src/config/env.ts).
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          skipProcessEnv: true,
          load: [() => env],
        }),
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(env.database.url), autoLoadEntities: true }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (env.database.migrateOnStart) {
              const applied = await runMigrationsLocked(dataSource);
              if (applied.length > 0) {
                logger.info({ migrations: applied }, 'applied migrations');
              }
            }
            return dataSource;
          },
        }),
        DatabaseModule,
        ...(FEATURE_MODULES ?? []),
      ],
      providers: core,
      exports: [APP_ENV, LOGGER, SecretCipher, TRANSPORT_FACTORY_OPTIONS],
    };
  }
}
