import { DEFAULT_RETRY_SCHEDULE, parseDurationMs, parseWebhookEnv } from '../config/webhook-env';
import { jittered, nextRetryAt } from './webhook-worker.service';

describe('webhook retry schedule', () => {
  it('defaults to about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then every 10 h for ~3 days', () => {
    const problems: string[] = [];
    const env = parseWebhookEnv(() => undefined, problems);
    expect(problems).toEqual([]);
    expect(env.retryScheduleMs.slice(0, 6)).toEqual([
      5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000,
    ]);
    const totalHours = env.retryScheduleMs.reduce((a, b) => a + b, 0) / 3_600_000;
    expect(totalHours).toBeGreaterThan(72);
    expect(totalHours).toBeLessThan(80);
    expect(env.disableAfterMs).toBe(3 * 86_400_000);
    expect(env).toMatchObject({ concurrency: 32, endpointConcurrency: 4, timeoutMs: 10_000 });
    expect(DEFAULT_RETRY_SCHEDULE.split(',')).toHaveLength(12);
  });

  it('names every bad variable', () => {
    const problems: string[] = [];
    const values: Record<string, string> = {
      WEBHOOK_RETRY_SCHEDULE: '5s,soon',
      WEBHOOK_DISABLE_AFTER: 'forever',
      WEBHOOK_CONCURRENCY: '0',
    };
    parseWebhookEnv((name) => values[name], problems);
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual([
      'WEBHOOK_CONCURRENCY',
      'WEBHOOK_DISABLE_AFTER',
      'WEBHOOK_RETRY_SCHEDULE',
    ]);
  });

  it('parses durations', () => {
    expect(['250ms', '5s', '5m', '2h', '3d', '5', 'x1s'].map(parseDurationMs)).toEqual([
      250,
      5_000,
      300_000,
      7_200_000,
      259_200_000,
      undefined,
      undefined,
    ]);
  });

  it('the next attempt follows the schedule with ±10 % jitter; none after its last step', () => {
    const schedule = [1_000, 60_000];
    expect(nextRetryAt(1, schedule, 0, () => 0.5)).toEqual(new Date(1_000));
    expect(nextRetryAt(2, schedule, 0, () => 0)).toEqual(new Date(54_000));
    expect(nextRetryAt(3, schedule, 0)).toBeNull();
    expect(jittered(1_000, () => 1)).toBe(1_100);
  });
});
