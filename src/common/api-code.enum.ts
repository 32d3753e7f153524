/**
 * Stable numeric codes for every error kind, returned as the envelope's `apiCode`.
 * The first three digits are the HTTP status the kind maps to. Never renumber a landed code.
 */
export enum ApiCode {
  ValidationFailed = 400_00,
  MalformedBody = 400_01,
  SecretRequired = 400_02,
  Unauthenticated = 401_00,
  BadSignature = 401_01,
  SignatureExpired = 401_02,
  NonceReplayed = 401_03,
  MissingScope = 403_00,
  NotFound = 404_00,
  RouteNotFound = 404_01,
  ProviderConfigNotFound = 404_02,
  MethodNotAllowed = 405_00,
  Conflict = 409_00,
  IdempotencyKeyReused = 409_01,
  ProviderConfigChanged = 409_02,
  PayloadTooLarge = 413_00,
  UnsupportedMediaType = 415_00,
  RateLimited = 429_00,
  Internal = 500_00,
  Unavailable = 503_00,
}

export function httpStatusOf(code: ApiCode): number {
  return Math.floor(code / 100);
}
