import { Module } from '@nestjs/common';
import { ConsoleAssetsService } from './console-assets.service';
import { ConsoleController } from './console.controller';

/** Serves the admin console (issue 9) from the repository's `console/` folder at /console. */
@Module({
  controllers: [ConsoleController],
  providers: [{ provide: ConsoleAssetsService, useFactory: () => new ConsoleAssetsService() }],
})
export class ConsoleModule {}
