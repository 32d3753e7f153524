import type { AppEnv } from '../config/env';

/**
 * Why `value` cannot be a webhook URL, or null when it can. In production only https: (tenants'
 * events may carry personal data); credentials in the URL are refused (they would show in reads).
 */
export async function checkWebhookUrl(
  value: string,
  env: Pick<AppEnv, 'app'>,
): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return 'must be an http(s) URL';
  }
  if (url.protocol === 'http:' && env.app.production) {
    return 'must use https: in production';
  }
  if (url.username !== '' || url.password !== '') {
    return 'must not carry credentials';
  }
  if (url.hash !== '') {
    return 'must not have a #fragment';
  }
  return Promise.resolve(null);
}
