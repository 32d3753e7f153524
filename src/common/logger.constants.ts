/** Injection token of the root pino logger; use `logger.child({ module })` in services. */
export const LOGGER = Symbol('LOGGER');
