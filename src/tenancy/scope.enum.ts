export const SCOPES = [
  'provider:write',
  'provider:read',
  'email:send',
  'email:read',
  'webhooks:write',
] as const;
export type Scope = (typeof SCOPES)[number];
