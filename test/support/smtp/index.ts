export * from './smtp-test-server';
export * from './test-certificates';
export * from './recording-proxy';
