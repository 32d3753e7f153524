import { Client } from 'pg';
import { parseExposition, sampleValue } from '../operability/prometheus-text';
import { http, waitFor } from './test-app';

/**
 * Starts `accepts` while email_messages is locked, so inserts block: the group commit's slots
 * fill and the rest queue. Once `waiting` accepts are queued (its gauge on /metrics), runs
 * `beforeRelease`, releases the lock and returns the accepts' promise.
 */
export async function acceptWhileInsertsHeld<T>(
  app: { baseUrl: string; databaseUrl: string },
  waiting: number,
  accepts: () => Promise<T>,
  beforeRelease: () => void = () => undefined,
): Promise<T> {
  const lock = new Client({ connectionString: app.databaseUrl });
  await lock.connect();
  let pending: Promise<T>;
  try {
    await lock.query('BEGIN');
    await lock.query('LOCK TABLE email_messages IN EXCLUSIVE MODE');
    pending = accepts();
    await waitFor(
      async () =>
        sampleValue(
          parseExposition((await http<string>(app.baseUrl, 'GET', '/metrics')).text),
          'mailgate_accept_commit_waiting',
        ) === waiting,
      { what: `${waiting} accepts waiting for the group commit` },
    );
    beforeRelease();
  } finally {
    await lock.query('COMMIT');
    await lock.end();
  }
  return pending;
}
