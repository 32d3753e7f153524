import { isFQDN, isIP, registerDecorator, type ValidationOptions } from 'class-validator';

/** A DNS host name (single labels like `localhost` included) or a literal IPv4/IPv6 address. */
export function isHostnameOrIp(value: unknown): boolean {
  if (typeof value !== 'string' || value.length === 0 || value.length > 253) {
    return false;
  }
  return (
    isIP(value) ||
    isFQDN(value, { require_tld: false, allow_underscores: false, allow_trailing_dot: false })
  );
}

export function IsHostnameOrIp(options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) => {
    registerDecorator({
      name: 'isHostnameOrIp',
      target: target.constructor,
      propertyName: String(propertyName),
      options: { message: '$property must be a host name or an IP address', ...options },
      validator: { validate: (value: unknown) => isHostnameOrIp(value) },
    });
  };
}
