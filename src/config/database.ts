import type { Pool, PoolClient, QueryConfig, QueryResult } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';

/**
 * The one way repositories reach PostgreSQL: plain SQL over node-postgres, on the pool TypeORM
 * opened for the app (TypeORM keeps migrations, entities and closing the pool on shutdown).
 * Not DataSource.query: a QueryRunner per statement costs more than the statement itself on the
 * accept and dispatch paths, and cannot name prepared statements (bench/README.md).
 */

/** What a pool or one of its connections answers to. */
interface PgTarget {
  query(config: QueryConfig): Promise<QueryResult>;
}

/** Statements on the pool (each its own transaction) or on one connection. */
export class Sql {
  constructor(protected readonly target: PgTarget) {}

  /** The rows of one statement. Without parameters, `text` may hold several statements. */
  async query<T>(text: string, params?: unknown[]): Promise<T[]> {
    return (await this.target.query({ text, values: params })).rows as T[];
  }

  /** How many rows one statement changed. */
  async execute(text: string, params?: unknown[]): Promise<number> {
    return (await this.target.query({ text, values: params })).rowCount ?? 0;
  }

  /**
   * A named prepared statement for hot paths: each pooled connection parses and plans it once
   * instead of on every call (bench/README.md: about a fifth of PostgreSQL's work per accept).
   * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-EXT-QUERY
   *
   * Not for a statement that joins a list of keys (unnest) to a table that grows, such as the
   * outbox: its generic plan is kept until the table's statistics change, and one made while the
   * table was small scans all of it once it has grown wherever autovacuum is slow or off (seen:
   * 10 ms and 6,000 buffers per markSent at 20,000 rows against 0.8 ms; bench/README.md). Such a
   * statement goes through `query`, planned per call (~0.2 ms).
   */
  async prepared<T>(name: string, text: string, params: unknown[]): Promise<T[]> {
    return (await this.target.query({ name, text, values: params })).rows as T[];
  }
}

/** A pooled connection of one's own, held across statements and transactions. */
export class Connection extends Sql {
  constructor(private readonly client: PoolClient) {
    super(client);
  }

  /** Back to the pool; with an error, the connection is broken and gets closed instead. */
  release(error?: Error): void {
    this.client.release(error);
  }
}

export class Database extends Sql {
  constructor(private readonly pool: Pool) {
    super(pool);
  }

  /** The app's pool: TypeORM's postgres driver keeps it as `master`, read here and nowhere else. */
  static of(dataSource: DataSource): Database {
    return new Database((dataSource.driver as PostgresDriver).master as Pool);
  }

  /** `fn`'s statements in one transaction on one connection, rolled back when it throws. */
  async transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new Sql(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  /** A connection held across statements (a session-level lock); the caller releases it. */
  async connect(): Promise<Connection> {
    return new Connection(await this.pool.connect());
  }
}
