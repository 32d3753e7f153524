import { http, type TestApp } from '../support/test-app';

export interface CreatedEndpoint {
  id: string;
  url: string;
  secret: string;
  events: string[] | null;
  disabled: boolean;
}

/** Creates a webhook endpoint through the API and answers it with its one-time secret. */
export async function createEndpoint(
  t: Pick<TestApp, 'baseUrl'>,
  token: string,
  body: Record<string, unknown>,
): Promise<CreatedEndpoint> {
  const res = await http(t.baseUrl, 'POST', '/v1/webhook-endpoints', { token, body });
  if (res.status !== 201) {
    throw new Error(`creating a webhook endpoint failed: ${res.status} ${res.text}`);
  }
  return res.body.data as CreatedEndpoint;
}
