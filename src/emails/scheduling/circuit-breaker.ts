import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from '../../common/logger.constants';
import { APP_ENV } from '../../config/app-env.constants';
import type { AppEnv } from '../../config/env';
import { MetricsService } from '../../metrics/metrics.service';
import type { DeliveryError } from '../../transports/delivery-error';
import type { ClaimedMessage } from '../email-dispatch.repository';
import type { FallbackReason } from '../fallback-reason';
import type { Route } from '../transport-resolver';
import {
  CircuitBreakerRepository,
  type CircuitKey,
  type CircuitTransition,
} from './circuit-breaker.repository';

/**
 * The tenant's circuit as the claim statement read it (same snapshot as the config version):
 * `closed` (nothing to reset), `counting` (closed with failures counted: a success resets them),
 * `probe` (cool-down over: one message may try), `open` (cooling down or probed elsewhere),
 * `auth` (open after an auth failure, until the config changes or a verify succeeds).
 */
export const CLAIM_CIRCUITS = ['closed', 'counting', 'probe', 'open', 'auth'] as const;
export type ClaimCircuit = (typeof CLAIM_CIRCUITS)[number];

/** A send through the provider that the breaker let go; its outcome is reported back. */
export interface CircuitTicket {
  key: CircuitKey;
  messageId: string;
  probe: boolean;
  /** Something may need resetting on success (failures counted, or this is the probe). */
  dirty: boolean;
}

export type Admission =
  /** Send (ticket null: not through a tenant provider, e.g. the built-in mailer). */
  | { kind: 'send'; ticket: CircuitTicket | null }
  /** Give the message back without spending its attempt; due again at `notBefore`. */
  | { kind: 'hold'; notBefore: Date }
  /** Open after an auth failure and the tenant chose fallbackOnFailure: the built-in mailer sends. */
  | { kind: 'fallback'; reason: FallbackReason };

/** The fallback reason of a message sent by the built-in mailer while the circuit is open (auth). */
export const CIRCUIT_AUTH_FALLBACK: FallbackReason = {
  kind: 'provider_auth_failed',
  detail: 'circuit open',
};

/**
 * Circuit breaker per tenant provider, its state in PostgreSQL (provider_health) so every replica
 * shares it. The claim statement already skips tenants whose circuit is open and takes one row of
 * a tenant due for its probe; this gate decides for each claimed message (the probe is won by one
 * replica only, through a conditional update) and records outcomes. Its own failures never stop
 * a message's bookkeeping: the circuit is advice, the outbox is the record.
 */
@Injectable()
export class CircuitBreaker {
  private readonly log: Logger;
  /** Tenants whose circuit had failures recorded by this replica since its last reset (version). */
  private readonly dirty = new Map<string, number>();
  /** Circuits this replica opened: when, and until when (ms; Infinity for auth). */
  private readonly opened = new Map<string, { configVersion: number; at: number; until: number }>();

  constructor(
    private readonly repo: CircuitBreakerRepository,
    private readonly metrics: MetricsService,
    @Inject(APP_ENV) private readonly env: Pick<AppEnv, 'circuit' | 'dispatch'>,
    @Inject(LOGGER) logger: Logger,
  ) {
    this.log = logger.child({ module: 'circuit-breaker' });
  }

  /** Decides whether `message` may go through `route` now. */
  async admit(message: ClaimedMessage, route: Route): Promise<Admission> {
    if (route.fallbackReason !== null || route.providerType === null) {
      return { kind: 'send', ticket: null };
    }
    const key: CircuitKey = {
      tenantId: message.tenantId,
      configVersion: route.configVersion ?? 0,
      providerType: route.providerType,
    };
    // The claim read the circuit of the config it saw; a newer config starts closed.
    const circuit: ClaimCircuit =
      route.configVersion === message.configVersion ? message.circuit : 'closed';
    const ticket = (probe: boolean): Admission => ({
      kind: 'send',
      ticket: {
        key,
        messageId: message.id,
        probe,
        dirty: probe || circuit !== 'closed' || this.dirty.get(key.tenantId) === key.configVersion,
      },
    });
    switch (circuit) {
      case 'closed':
      case 'counting':
        return ticket(false);
      case 'auth':
        return route.fallbackOnFailure
          ? { kind: 'fallback', reason: CIRCUIT_AUTH_FALLBACK }
          : { kind: 'hold', notBefore: new Date() };
      case 'open':
        // A lease that expired while the circuit opened: back to the queue, due after the cool-down.
        return { kind: 'hold', notBefore: message.circuitRetryAt ?? new Date() };
      case 'probe': {
        const won = await this.repo
          .takeProbe(key, message.id, this.env.dispatch.leaseMs)
          .catch((error: unknown) => {
            this.log.warn({ err: error, tenantId: key.tenantId }, 'could not take the probe');
            return false;
          });
        if (!won) {
          // Another replica probes; the claim skips the tenant until that probe is decided.
          return { kind: 'hold', notBefore: new Date() };
        }
        this.transitioned(key, { from: 'open', to: 'half_open', reason: 'failures' });
        return ticket(true);
      }
    }
  }

  /**
   * Checked once a send has its connection slot: a message claimed while the circuit was still
   * counting must not reach a provider that this replica has seen open since (a claim after that
   * read the circuit itself). Answers when the message is due again, or null to go ahead (probes
   * always go).
   */
  heldBack(ticket: CircuitTicket | null, claimedAt: number): Date | null {
    if (ticket === null || ticket.probe) {
      return null;
    }
    const open = this.opened.get(ticket.key.tenantId);
    if (
      open === undefined ||
      open.configVersion !== ticket.key.configVersion ||
      open.at < claimedAt
    ) {
      return null;
    }
    if (Date.now() >= open.until) {
      this.opened.delete(ticket.key.tenantId);
      return null;
    }
    return new Date(Number.isFinite(open.until) ? open.until : Date.now());
  }

  /** The provider took the message: the circuit closes (a write only when something is counted). */
  async succeeded(ticket: CircuitTicket | null): Promise<void> {
    if (ticket === null || !ticket.dirty) {
      return;
    }
    try {
      const before = await this.repo.succeeded(ticket.key);
      if (this.dirty.get(ticket.key.tenantId) === ticket.key.configVersion) {
        this.dirty.delete(ticket.key.tenantId);
      }
      if (this.opened.get(ticket.key.tenantId)?.configVersion === ticket.key.configVersion) {
        this.opened.delete(ticket.key.tenantId);
      }
      if (before !== null) {
        this.transitioned(ticket.key, { from: before, to: 'closed', reason: null });
      }
    } catch (error) {
      this.log.warn({ err: error, tenantId: ticket.key.tenantId }, 'could not record a success');
    }
  }

  /**
   * The provider failed the message. transient/rate_limited/auth count toward opening; `rejected`
   * (the provider answered, about this message) resets like a success; `config` decides nothing.
   */
  async failed(ticket: CircuitTicket | null, error: DeliveryError): Promise<void> {
    if (ticket === null) {
      return;
    }
    switch (error.errorClass) {
      case 'rejected':
        return this.succeeded(ticket);
      case 'config':
        return this.released(ticket);
      case 'transient':
      case 'rate_limited':
      case 'auth':
        break;
    }
    this.dirty.set(ticket.key.tenantId, ticket.key.configVersion);
    try {
      const transition = await this.repo.failed(
        ticket.key,
        {
          auth: error.errorClass === 'auth',
          messageId: ticket.messageId,
          error: {
            class: error.errorClass,
            code: error.code,
            status: error.status,
            message: error.message,
          },
        },
        this.env.circuit,
      );
      if (transition !== null) {
        this.transitioned(ticket.key, transition);
        if (transition.to === 'open') {
          this.opened.set(ticket.key.tenantId, {
            configVersion: ticket.key.configVersion,
            at: Date.now(),
            until: transition.retryAt?.getTime() ?? Number.POSITIVE_INFINITY,
          });
        }
      }
    } catch (failure) {
      this.log.warn({ err: failure, tenantId: ticket.key.tenantId }, 'could not record a failure');
    }
  }

  /** The send never reached the provider (withdrawn): a probe gives its turn to the next message. */
  async released(ticket: CircuitTicket | null): Promise<void> {
    if (ticket === null || !ticket.probe) {
      return;
    }
    await this.repo.releaseProbe(ticket.key, ticket.messageId).catch((error: unknown) => {
      this.log.warn({ err: error, tenantId: ticket.key.tenantId }, 'could not release the probe');
    });
  }

  private transitioned(
    key: CircuitKey,
    change: Pick<CircuitTransition, 'from' | 'to' | 'reason'> & Partial<CircuitTransition>,
  ): void {
    this.metrics.circuitTransition(key.providerType, change.to);
    // Tenant ids are fine in logs (not in metric labels): the operator needs to know whose provider.
    this.log[change.to === 'open' ? 'warn' : 'info'](
      {
        tenantId: key.tenantId,
        configVersion: key.configVersion,
        providerType: key.providerType,
        from: change.from,
        to: change.to,
        reason: change.reason,
        consecutiveFailures: change.consecutiveFailures,
        retryAt: change.retryAt,
      },
      `provider circuit ${change.to === 'half_open' ? 'half open' : change.to}`,
    );
  }
}
