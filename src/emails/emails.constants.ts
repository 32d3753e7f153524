/** Channel the accept path notifies after commit, so idle dispatchers wake at once. */
export const OUTBOX_CHANNEL = 'mailgate_outbox';
/** Rows and bytes of one group commit's statement (EmailAcceptRepository, markSent). */
export const GROUP_COMMIT_MAX_ROWS = 200;
export const GROUP_COMMIT_MAX_BYTES = 4 * 1024 * 1024;
