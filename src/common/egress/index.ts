// The egress policy for tenant-controlled targets (SMTP hosts, webhook URLs): ARCHITECTURE.md "Egress policy".
export * from './ip-classification';
export * from './egress-policy';
export * from './egress-connect';
