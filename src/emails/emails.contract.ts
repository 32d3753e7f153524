/** Messages one `POST /v1/emails/batch` may carry. */
export const MAX_BATCH = 500;

/** Longest `Prefer: wait=N` honoured, in seconds. */
export const MAX_WAIT_SECONDS = 30;
