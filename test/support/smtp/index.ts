export * from './smtp-test-server';
export * from './test-certificates';
