import Fastify from 'fastify';
import { Pool } from 'pg';

/**
 * The floor of a durable accept: Fastify parses the JSON body and one INSERT ... RETURNING id
 * stores it through pg. No auth, no validation, no envelope.
 */
async function main(): Promise<void> {
  const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bare_messages (id bigserial PRIMARY KEY, body jsonb NOT NULL)',
  );
  const app = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });
  app.post('/v1/emails', async (request, reply) => {
    const result = await pool.query<{ id: string }>(
      'INSERT INTO bare_messages (body) VALUES ($1) RETURNING id',
      [request.body],
    );
    return reply.status(202).send({ id: result.rows[0].id });
  });
  await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0));
  });
}

void main();
