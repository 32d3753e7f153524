// Talks to the gateway's API with the signed-in key. The key lives in sessionStorage only (this
// tab, gone when it closes), travels only in the Authorization header, never in a URL.

const SESSION_KEY = 'mailgate.console.session';

/** Values the server wrote into index.html (secret mask, exmail presets). */
export const serverConfig = JSON.parse(
  document.querySelector('meta[name="mailgate:config"]')?.getAttribute('content') ?? '{}',
);

/** @returns {{ token: string, tenant: string } | null} */
export function loadSession() {
  try {
    const raw = sessionStorage.getItem(SESSION_KEY);
    if (raw === null) {
      return null;
    }
    const session = JSON.parse(raw);
    return typeof session.token === 'string' && session.token !== ''
      ? { token: session.token, tenant: typeof session.tenant === 'string' ? session.tenant : '' }
      : null;
  } catch {
    return null;
  }
}

export function saveSession(token, tenant) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ token, tenant }));
}

export function clearSession() {
  sessionStorage.removeItem(SESSION_KEY);
}

/** An answer whose envelope says it failed (or no answer at all: statusCode 0). */
export class ApiError extends Error {
  constructor(statusCode, message, { apiCode, requestId, data } = {}) {
    super(message);
    this.name = 'ApiError';
    this.statusCode = statusCode;
    this.apiCode = apiCode;
    this.requestId = requestId;
    this.data = data ?? null;
  }

  /** Field errors of a validation answer: [{ field, messages }]. */
  get fieldErrors() {
    const errors = this.data?.errors;
    return Array.isArray(errors) ? errors : [];
  }

  /** The message with the request id, which leads operators to the log line. */
  get detail() {
    return this.requestId === undefined
      ? this.message
      : `${this.message} (request id ${this.requestId})`;
  }
}

const listeners = new Set();

/** Called with the ApiError whenever the key is refused (401): the app signs out. */
export function onUnauthenticated(listener) {
  listeners.add(listener);
}

/**
 * One API call. Routes under /api/v3 answer HTTP 200 with the outcome in the envelope's
 * statusCode, /v1 routes with the HTTP status itself; both are read the same way here.
 * Resolves with the envelope's `data`, rejects with an ApiError.
 */
export async function api(method, path, body, { notifyUnauthenticated = true } = {}) {
  const session = loadSession();
  const headers = { accept: 'application/json' };
  if (session !== null) {
    headers.authorization = `Bearer ${session.token}`;
    if (session.tenant !== '') {
      headers['x-authing-userpool-id'] = session.tenant;
    }
  }
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
  }
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'The gateway could not be reached');
  }
  let envelope = null;
  try {
    envelope = await response.json();
  } catch {
    // Not JSON: judged by the HTTP status below.
  }
  const statusCode =
    envelope !== null && typeof envelope.statusCode === 'number'
      ? envelope.statusCode
      : response.status;
  if (statusCode >= 200 && statusCode < 300) {
    return envelope?.data ?? null;
  }
  const error = new ApiError(
    statusCode,
    typeof envelope?.message === 'string' ? envelope.message : `HTTP ${response.status}`,
    {
      apiCode: envelope?.apiCode,
      requestId: envelope?.requestId ?? response.headers.get('x-request-id') ?? undefined,
      data: envelope?.data,
    },
  );
  if (statusCode === 401 && notifyUnauthenticated) {
    for (const listener of listeners) {
      listener(error);
    }
  }
  throw error;
}
