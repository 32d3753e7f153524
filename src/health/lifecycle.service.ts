import { Injectable } from '@nestjs/common';

/**
 * Process-wide shutdown state: once draining, readiness answers 503 and workers stop claiming
 * new work. Draining starts on SIGTERM, before the HTTP server and pools close.
 */
@Injectable()
export class LifecycleService {
  private drainingSince: Date | undefined;
  private readonly drainHooks: Array<() => Promise<void>> = [];

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }

  /** Workers register what they must finish (bounded) before the app closes. */
  onDrain(hook: () => Promise<void>): void {
    this.drainHooks.push(hook);
  }

  async drain(): Promise<void> {
    if (this.drainingSince !== undefined) {
      return;
    }
    this.drainingSince = new Date();
    await Promise.allSettled(this.drainHooks.map((hook) => hook()));
  }
}
