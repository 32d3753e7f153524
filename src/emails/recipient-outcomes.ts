import type {
  NewEmailEvent,
  RecipientRecord,
  RecipientState,
} from '../events/email-event-type.enum';
import { suppressionKey } from '../suppressions/suppression-address';
import type { DeliveryError } from '../transports/delivery-error';
import type { SendResult } from '../transports/mail-transport.interface';
import type { EmailPayload } from './email-request.validator';

/** What one attempt (or the decision not to attempt) changes: recipients' states, events, suppressions. */
export interface Outcome {
  recipients: Record<string, RecipientRecord>;
  events: NewEmailEvent[];
  suppress: Array<{ address: string; reason: 'hard_bounce'; detail: Record<string, unknown> }>;
}

export function emptyOutcome(): Outcome {
  return { recipients: {}, events: [], suppress: [] };
}

/** Every envelope recipient once (to, cc, bcc order), compared as the suppression list compares them. */
export function recipientsOf(payload: Pick<EmailPayload, 'to' | 'cc' | 'bcc'>): string[] {
  const seen = new Set<string>();
  const all: string[] = [];
  for (const entry of [...payload.to, ...(payload.cc ?? []), ...(payload.bcc ?? [])]) {
    const key = suppressionKey(entry.email);
    if (!seen.has(key)) {
      seen.add(key);
      all.push(entry.email);
    }
  }
  return all;
}

/** States that still need an attempt: none yet, or a retry was scheduled. */
function open(state: RecipientState | undefined): boolean {
  return state === undefined || state === 'pending' || state === 'deferred';
}

/**
 * Who this attempt sends to: recipients with no final state yet, minus the suppressed ones,
 * which are recorded as `suppressed` and never attempted.
 */
export function planAttempt(
  all: string[],
  states: Record<string, RecipientRecord> | null,
  suppressedKeys: ReadonlySet<string>,
  now = new Date(),
): { attempt: string[]; outcome: Outcome } {
  const outcome = emptyOutcome();
  const attempt: string[] = [];
  for (const address of all) {
    if (!open(states?.[address]?.state)) {
      continue;
    }
    if (suppressedKeys.has(suppressionKey(address))) {
      outcome.recipients[address] = { state: 'suppressed', at: now.toISOString() };
      outcome.events.push({
        type: 'suppressed',
        recipient: address,
        data: { reason: 'on the suppression list' },
      });
    } else {
      attempt.push(address);
    }
  }
  return { attempt, outcome };
}

/** A reply's text kept printable and short: RCPT replies carry no credentials (AUTH is over). */
function replyText(reply: string): string {
  return reply.replace(/[^\x20-\x7e]/g, ' ').slice(0, 300);
}

/**
 * After the provider took the message: accepted recipients `sent`; each refused one `bounced`
 * (5xx: hard, suppressed) or `deferred` (4xx: retried alone, or `failed` once `retrying` is false).
 */
export function sentOutcome(
  attempted: string[],
  result: SendResult,
  info: { transport: string; providerMessageId: string | null; retrying: boolean },
  now = new Date(),
): Outcome {
  const at = now.toISOString();
  const outcome = emptyOutcome();
  const refusals = new Map((result.refused ?? []).map((r) => [suppressionKey(r.recipient), r]));
  const sent: string[] = [];
  for (const address of attempted) {
    const refusal = refusals.get(suppressionKey(address));
    if (refusal === undefined) {
      sent.push(address);
      outcome.recipients[address] = { state: 'sent', at };
      continue;
    }
    const reply = { code: String(refusal.status), reason: replyText(refusal.reply) };
    if (refusal.status >= 500) {
      outcome.recipients[address] = { state: 'bounced', at, bounceType: 'hard', ...reply };
      outcome.events.push({
        type: 'bounced',
        recipient: address,
        data: {
          bounceType: 'hard',
          phase: 'RCPT TO',
          smtpCode: refusal.status,
          reply: reply.reason,
        },
      });
      outcome.suppress.push({
        address: suppressionKey(address),
        reason: 'hard_bounce',
        detail: { smtpCode: refusal.status, reply: reply.reason },
      });
    } else if (info.retrying) {
      outcome.recipients[address] = { state: 'deferred', at, ...reply };
      outcome.events.push({
        type: 'deferred',
        recipient: address,
        data: { phase: 'RCPT TO', smtpCode: refusal.status, reply: reply.reason },
      });
    } else {
      outcome.recipients[address] = { state: 'failed', at, ...reply };
      outcome.events.push({
        type: 'failed',
        recipient: address,
        data: { phase: 'RCPT TO', smtpCode: refusal.status, reply: reply.reason },
      });
    }
  }
  if (sent.length > 0) {
    outcome.events.unshift({
      type: 'sent',
      recipient: null,
      data: {
        transport: info.transport,
        providerMessageId: info.providerMessageId,
        recipients: sent,
      },
    });
  }
  return outcome;
}

/** Whether any refused recipient waits for a retry. */
export function hasDeferred(outcome: Outcome): boolean {
  return Object.values(outcome.recipients).some((r) => r.state === 'deferred');
}

/**
 * A failed attempt of the whole message: every attempted recipient `deferred` (a retry was
 * scheduled), `bounced` (5xx after DATA: the content was refused, so no address is suppressed)
 * or `failed`.
 */
export function failureOutcome(
  attempted: string[],
  error: DeliveryError,
  transport: string | null,
  retryAt: Date | null,
  now = new Date(),
): Outcome {
  const at = now.toISOString();
  const outcome = emptyOutcome();
  const detail = {
    transport,
    errorClass: error.errorClass,
    code: error.code,
    ...(error.status === undefined ? {} : { status: error.status }),
    message: error.message,
  };
  if (retryAt !== null) {
    for (const address of attempted) {
      outcome.recipients[address] = { state: 'deferred', at, code: error.code };
    }
    outcome.events.push({
      type: 'deferred',
      recipient: null,
      data: { ...detail, retryAt: retryAt.toISOString() },
    });
    return outcome;
  }
  if (error.bounce) {
    for (const address of attempted) {
      outcome.recipients[address] = {
        state: 'bounced',
        at,
        bounceType: 'hard',
        code: error.code,
        reason: error.message,
      };
      outcome.events.push({
        type: 'bounced',
        recipient: address,
        data: { bounceType: 'hard', phase: 'DATA', ...detail },
      });
    }
    return outcome;
  }
  for (const address of attempted) {
    outcome.recipients[address] = { state: 'failed', at, code: error.code };
  }
  outcome.events.push({ type: 'failed', recipient: null, data: detail });
  return outcome;
}

/** Two outcomes of one attempt together (the suppressed recipients and the send). */
export function mergeOutcomes(a: Outcome, b: Outcome): Outcome {
  return {
    recipients: { ...a.recipients, ...b.recipients },
    events: [...a.events, ...b.events],
    suppress: [...a.suppress, ...b.suppress],
  };
}
