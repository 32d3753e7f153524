export default async function globalTeardown(): Promise<void> {
  await globalThis.__MAILGATE_EMBEDDED_PG__?.stop();
}
