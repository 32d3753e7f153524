import autocannon from 'autocannon';
import {
  json,
  log,
  message,
  QUICK,
  setupTenant,
  startGateway,
  startSink,
  type BenchDatabaseServer,
} from './support';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? (QUICK ? 3 : 10));
const CONNECTIONS = 64;
/** Plain and template runs alternate, so drift (autovacuum, the sink) hits both alike. */
const ROUNDS = QUICK ? 2 : 3;

/** A customised LOGIN_VERIFY_CODE about as large as the plain bench message. */
const TEMPLATE = {
  type: 'LOGIN_VERIFY_CODE',
  customizeEnabled: true,
  name: 'Bench sign-in code',
  subject: 'Sign-in code for {{email}}',
  sender: 'Bench',
  content: `<p>${'Your verification code is {{code}}. It expires in {{expiresIn}} minutes. '.repeat(12)}</p>`,
  expiresIn: 10,
};

function rps(url: string, body: string, token: string): Promise<number> {
  return new Promise((resolveRps, reject) => {
    autocannon(
      {
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration: DURATION_S,
        body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error instanceof Error ? error : new Error(String(error)));
          return;
        }
        if (result.non2xx > 0) {
          log(`warning: ${result.non2xx} non-2xx answers of ${result.requests.total}`);
        }
        resolveRps(result.requests.average);
      },
    );
  });
}

/**
 * Accept rate of sends by template (rendered at accept time: template row lookup, cached
 * compiled template, Handlebars render, HTML-to-text) against plain sends of the same size, on
 * one gateway. Both non-sensitive, so the difference is the rendering alone.
 */
export async function templateAccept(
  server: BenchDatabaseServer,
): Promise<{ plain: number; template: number; ratio: number }> {
  const sink = await startSink();
  const gw = await startGateway(await server.createDatabase());
  try {
    const token = await setupTenant(gw.url, sink.port);
    await json(`${gw.url}/api/v3/update-email-template`, 'POST', TEMPLATE, {
      authorization: `Bearer ${token}`,
    });
    const plainBody = JSON.stringify(message(1));
    const templateBody = JSON.stringify({
      to: [{ name: 'Bench User', email: 'user1@example.test' }],
      sensitive: false,
      template: { type: 'LOGIN_VERIFY_CODE', data: { code: '482913' } },
    });
    let plain = 0;
    let template = 0;
    for (let round = 0; round < ROUNDS; round += 1) {
      plain += await rps(`${gw.url}/v1/emails`, plainBody, token);
      template += await rps(`${gw.url}/v1/emails`, templateBody, token);
    }
    plain /= ROUNDS;
    template /= ROUNDS;
    log(
      `accept, ${CONNECTIONS} connections: plain ${plain.toFixed(0)} rps, by template ${template.toFixed(0)} rps`,
    );
    return { plain, template, ratio: template / plain };
  } finally {
    await gw.stop();
    await sink.close();
  }
}
