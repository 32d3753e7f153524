import type { Scope } from './scope.enum';

/** Who is calling, resolved by the auth guard from the API key on every non-public route. */
export interface Principal {
  /** The tenant every read and write of this request is confined to. */
  tenantId: string;
  /** Access key id (the root key's id for the root key). Recorded in audit rows. */
  keyId: string;
  scopes: readonly Scope[];
  /** The root key: every scope, any tenant (named by `x-authing-userpool-id`). */
  root: boolean;
}
