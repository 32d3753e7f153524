import { http, type HttpResult, type TestApp } from '../../support/test-app';
import { anEmail, type TestKey } from '../../factories/emails';

/** Anything with a base URL: the in-process test app or a child process. */
export type Gateway = Pick<TestApp, 'baseUrl'>;

/** Accepts `count` messages through /v1/emails/batch (500 per request); returns their ids. */
export async function acceptBatch(
  g: Gateway,
  key: TestKey,
  count: number,
  label: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let offset = 0; offset < count; offset += 500) {
    const n = Math.min(500, count - offset);
    const res = await http(g.baseUrl, 'POST', '/v1/emails/batch', {
      token: key.token,
      body: {
        messages: Array.from({ length: n }, (_, i) =>
          anEmail({ from: 'sender@example.test', subject: `${label} ${offset + i}` }),
        ),
      },
    });
    if (res.status !== 202 || res.body.data.accepted !== n) {
      throw new Error(`batch not accepted: ${res.status} ${res.text.slice(0, 500)}`);
    }
    ids.push(...res.body.data.results.map((r: { id: string }) => r.id));
  }
  return ids;
}

export interface LoadOutcome {
  /** Ids answered 202: the gateway promised to send these. */
  accepted: string[];
  /** Every other HTTP answer, by status. */
  refused: Map<number, number>;
  /** Requests that got no HTTP answer (connection refused or reset while stopping). */
  networkErrors: number;
}

/**
 * Posts single messages from `clients` parallel loops until `stop()` resolves, and then until
 * each loop has seen the gateway stop answering (or `deadlineMs` passes).
 */
export function streamAccepts(
  g: Gateway,
  key: TestKey,
  options: { clients: number; deadlineMs: number },
): { outcome: LoadOutcome; stop: () => void; done: Promise<LoadOutcome> } {
  const outcome: LoadOutcome = { accepted: [], refused: new Map(), networkErrors: 0 };
  let stopped = false;
  const deadline = Date.now() + options.deadlineMs;
  const loop = async (client: number): Promise<void> => {
    let failuresInARow = 0;
    for (let i = 0; !stopped && failuresInARow < 3 && Date.now() < deadline; i += 1) {
      try {
        const res = await http(g.baseUrl, 'POST', '/v1/emails', {
          token: key.token,
          body: anEmail({ from: 'sender@example.test', subject: `load ${client}/${i}` }),
        });
        failuresInARow = 0;
        if (res.status === 202) {
          outcome.accepted.push(res.body.data.id as string);
        } else {
          outcome.refused.set(res.status, (outcome.refused.get(res.status) ?? 0) + 1);
        }
      } catch {
        outcome.networkErrors += 1;
        failuresInARow += 1;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.clients }, (_, c) => loop(c))).then(
    () => outcome,
  );
  return {
    outcome,
    stop: () => {
      stopped = true;
    },
    done,
  };
}

/** An answer whose JSON the test reads freely. */
export type Answer = HttpResult<any>;
