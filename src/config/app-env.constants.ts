/** Injection token of the parsed, validated `AppEnv` (also available through ConfigService). */
export const APP_ENV = Symbol('APP_ENV');
