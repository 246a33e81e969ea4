import { describe, expect, it } from 'vitest';
import {
  type DeliveryEvent,
  type DeliveryState,
  decide,
  formatLimit,
  type RetryPolicy,
} from '../../src/fax/state.js';

const now = new Date('2026-11-23T08:00:00Z'); // Monday 11:00 in Moscow
const policy: RetryPolicy = {
  delaysMs: [5 * 60_000, 15 * 60_000, 45 * 60_000],
  maxAttemptsPerNumber: 3,
  businessHours: { days: [1, 2, 3, 4, 5], start: 9 * 60, end: 18 * 60 },
  timeZone: 'Europe/Moscow',
  inProgressLimitMs: 2 * 3_600_000,
  blockedRetryMs: 3_600_000,
};
const numbers = ['+74950000001', '+74950000002'];
const at = (numberIndex: number, numberAttempts: number, submittedAt = now): DeliveryState => ({
  numbers,
  numberIndex,
  numberAttempts,
  submittedAt,
});
const failed = (kind: Extract<DeliveryEvent, { type: 'failed' }>['kind'], pagesSent = 0): DeliveryEvent => ({
  type: 'failed',
  kind,
  message: `fax ${kind}`,
  pagesSent,
});

describe('the delivery state machine', () => {
  it('keeps sending while the provider is at it, and delivers when it completes', () => {
    expect(decide(at(0, 1), { type: 'in-progress' }, now, policy)).toEqual({ status: 'sending' });
    expect(decide(at(0, 1), { type: 'completed' }, now, policy)).toEqual({ status: 'delivered' });
  });

  it('gives up a fax still in progress past the limit, and says why without sending it again', () => {
    const submitted = new Date(now.getTime() - 2 * 3_600_000 + 1);
    expect(decide(at(0, 1, submitted), { type: 'in-progress' }, now, policy)).toEqual({ status: 'sending' });
    const late = new Date(now.getTime() - 2 * 3_600_000);
    expect(decide(at(0, 1, late), { type: 'in-progress' }, now, policy)).toEqual({
      status: 'failed',
      lastError: `${numbers[0]}: no final status from the provider after 2 h; check with the recipient before resending`,
    });
  });

  it('writes limits as staff read them', () => {
    expect([7_200_000, 5_400_000, 60_000, 45_000, 1_500].map(formatLimit)).toEqual([
      '2 h',
      '90 min',
      '1 min',
      '45 s',
      '2 s',
    ]);
  });

  it('retries a busy number with growing waits', () => {
    const first = decide(at(0, 1), failed('busy'), now, policy);
    const second = decide(at(0, 2), failed('no-answer'), now, policy);
    expect(first).toMatchObject({ status: 'waiting', numberIndex: 0, faxNumber: numbers[0], resend: false });
    expect(first.status === 'waiting' && first.retryAt).toEqual(new Date('2026-11-23T08:05:00Z'));
    expect(second.status === 'waiting' && second.retryAt).toEqual(new Date('2026-11-23T08:15:00Z'));
  });

  it('waits for the next business morning when the wait ends after hours', () => {
    const evening = new Date('2026-11-27T14:50:00Z'); // Friday 17:50 in Moscow
    const decision = decide(at(0, 2), failed('line'), evening, policy);
    expect(decision.status === 'waiting' && decision.retryAt).toEqual(new Date('2026-11-30T06:00:00Z'));
  });

  it('moves to the next number at once when the number is no fax machine or invalid', () => {
    for (const kind of ['not-a-fax', 'invalid-number'] as const) {
      expect(decide(at(0, 1), failed(kind), now, policy)).toMatchObject({
        status: 'waiting',
        numberIndex: 1,
        faxNumber: numbers[1],
        numberAttempts: 0,
        retryAt: now,
      });
    }
  });

  it('moves to the next number once a busy number has had its attempts', () => {
    expect(decide(at(0, 3), failed('busy'), now, policy)).toMatchObject({ numberIndex: 1 });
  });

  it('fails with the reason after the last number', () => {
    const decision = decide(at(1, 1), failed('not-a-fax'), now, policy);
    expect(decision).toEqual({
      status: 'failed',
      lastError: `Gave up after trying all 2 fax numbers; last: ${numbers[1]}: fax not-a-fax`,
    });
  });

  it('sends a part again whole, marked resent, when pages already went through', () => {
    expect(decide(at(0, 1), failed('line', 3), now, policy)).toMatchObject({
      status: 'waiting',
      resend: true,
    });
  });

  it("blocks on the account's or the document's problem, counting it against no number, even the last", () => {
    for (const state of [at(0, 1), at(1, 3)]) {
      expect(decide(state, failed('blocked'), now, policy)).toEqual({
        status: 'blocked',
        numberAttempts: state.numberAttempts - 1,
        retryAt: new Date(now.getTime() + 3_600_000),
        lastError: 'fax blocked',
      });
    }
  });
});
