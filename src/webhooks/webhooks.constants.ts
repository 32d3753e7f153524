/** After a rotation the old secret keeps signing (a second `v1,` signature) this long. */
export const ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

export const ENDPOINT_ID_RE = /^ep_[0-9a-f]{24}$/;
export const DELIVERY_ID_RE = /^msg_[0-9a-f]{32}$/;
export const MAX_URL_LENGTH = 2048;

/** Binds an endpoint's secret ciphertexts to it: they cannot be copied to another row. */
export function endpointSecretAad(tenantId: string, endpointId: string): string {
  return `webhook-endpoint:${tenantId}:${endpointId}`;
}
