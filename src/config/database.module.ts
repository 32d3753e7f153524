import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Database } from './database';

/** Gives repositories the Database (src/config/database.ts) over the app's connection pool. */
@Module({
  providers: [
    {
      provide: Database,
      useFactory: (dataSource: DataSource) => Database.of(dataSource),
      inject: [DataSource],
    },
  ],
  exports: [Database],
})
export class DatabaseModule {}
