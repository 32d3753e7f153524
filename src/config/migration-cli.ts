import { DataSource } from 'typeorm';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';
import { dataSourceOptions, runMigrationsLocked } from './data-source';
import { loadEnv } from './env';

/** `npm run migration:run|revert`: the same data source and lock as the app, no HTTP server. */
async function main(): Promise<void> {
  const command = process.argv[2];
  if (command !== 'run' && command !== 'revert') {
    throw new Error('usage: migration-cli run|revert');
  }
  const env = loadEnv();
  let embedded: EmbeddedDatabase | undefined;
  let url = env.database.url;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres(env.app.dataDir, (m) => console.log(m));
    url = embedded.url;
  }
  const dataSource = new DataSource(dataSourceOptions(url));
  await dataSource.initialize();
  try {
    if (command === 'run') {
      const applied = await runMigrationsLocked(dataSource);
      console.log(applied.length > 0 ? `applied: ${applied.join(', ')}` : 'no pending migrations');
    } else {
      await dataSource.undoLastMigration({ transaction: 'each' });
      console.log('reverted the last migration');
    }
  } finally {
    await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
