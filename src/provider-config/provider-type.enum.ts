// GenAuth's `type` values are the transports' provider types: one list, owned by transports/.
export {
  isProviderType,
  PROVIDER_TYPES,
  type ProviderType,
} from '../transports/provider-type.enum';
