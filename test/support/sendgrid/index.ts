export * from './mail-send-validation';
export * from './sendgrid-test-server';
