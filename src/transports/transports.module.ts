import { Module } from '@nestjs/common';
import { TransportFactory } from './transport.factory';

/**
 * Provides TransportFactory. Needs APP_ENV from the global AppModule, which also provides
 * TRANSPORT_FACTORY_OPTIONS when given (`createApp(env, logger, { transports })`): tests point
 * presets and TLS trust at loopback servers that way. Production leaves it unset.
 */
@Module({
  providers: [TransportFactory],
  exports: [TransportFactory],
})
export class TransportsModule {}
