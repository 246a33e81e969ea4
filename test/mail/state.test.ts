import { describe, expect, it } from 'vitest';
import { stuckDelivery } from '../../src/fax/stuck.js';
import { decideEmail } from '../../src/mail/state.js';

const now = new Date('2026-11-23T10:00:00Z');
const policy = { delaysMs: [60_000, 300_000], maxAttemptsPerAddress: 3, blockedRetryMs: 3_600_000 };
const addresses = ['first@example.org', 'second@example.org'];

describe('the e-mail state machine', () => {
  it('waits longer after each deferral at one address, saying what the server replied', () => {
    const deferred = { status: 'deferred', reply: '451 4.7.1 Greylisted' } as const;
    expect(decideEmail({ addresses, index: 0, addressAttempts: 1 }, deferred, now, policy)).toEqual({
      status: 'waiting',
      index: 0,
      address: 'first@example.org',
      addressAttempts: 1,
      retryAt: new Date(now.getTime() + 60_000),
      reply: '451 4.7.1 Greylisted',
      lastError: 'first@example.org: 451 4.7.1 Greylisted',
    });
    expect(decideEmail({ addresses, index: 0, addressAttempts: 2 }, deferred, now, policy)).toMatchObject({
      retryAt: new Date(now.getTime() + 300_000),
    });
    // Past the limit the next address is tried at once.
    expect(decideEmail({ addresses, index: 0, addressAttempts: 3 }, deferred, now, policy)).toMatchObject({
      status: 'waiting',
      index: 1,
      address: 'second@example.org',
      addressAttempts: 0,
      retryAt: now,
    });
  });

  it('moves on at a refusal, and fails past the last address with the reply', () => {
    const refused = { status: 'refused', reply: '550 5.1.1 No such user' } as const;
    expect(decideEmail({ addresses, index: 0, addressAttempts: 1 }, refused, now, policy)).toMatchObject({
      status: 'waiting',
      index: 1,
      retryAt: now,
    });
    expect(decideEmail({ addresses, index: 1, addressAttempts: 1 }, refused, now, policy)).toEqual({
      status: 'failed',
      reply: '550 5.1.1 No such user',
      lastError:
        'Gave up after trying all 2 e-mail addresses; last: second@example.org: 550 5.1.1 No such user',
    });
  });

  it('never sends again by itself what may have arrived', () => {
    const cut = { status: 'uncertain', reply: 'Connection closed unexpectedly' } as const;
    expect(decideEmail({ addresses, index: 0, addressAttempts: 1 }, cut, now, policy)).toMatchObject({
      status: 'uncertain',
      lastError: expect.stringMatching(/^first@example\.org: .*The server may have it/u),
    });
  });

  it('blocks, keeping the address and counting nothing against it, when our login or sender is refused', () => {
    const refused = { status: 'blocked', reply: '535 5.7.8 Authentication credentials invalid' } as const;
    expect(decideEmail({ addresses, index: 1, addressAttempts: 3 }, refused, now, policy)).toEqual({
      status: 'blocked',
      addressAttempts: 2,
      retryAt: new Date(now.getTime() + 3_600_000),
      reply: refused.reply,
      lastError: expect.stringMatching(
        /^The mail server refused our sender, not the recipient .*535 5\.7\.8/u,
      ),
    });
  });
});

describe('stuck e-mail', () => {
  const row = {
    channel: 'email' as const,
    providerFaxId: null,
    nextAttemptAt: null,
    submittedAt: new Date(now.getTime() - 20 * 60_000),
    polledAt: null,
    updatedAt: new Date(now.getTime() - 20 * 60_000),
  };
  const timing = { stuckAfterMs: 15 * 60_000, pollEveryMs: 120_000 };

  it('is an overdue send, an interrupted send, or an uncertain one waiting for staff at once', () => {
    expect(stuckDelivery({ ...row, status: 'waiting' }, now, timing)?.kind).toBe('email-send-overdue');
    expect(stuckDelivery({ ...row, status: 'sending' }, now, timing)?.kind).toBe('email-send-interrupted');
    expect(stuckDelivery({ ...row, status: 'sending', updatedAt: now }, now, timing)).toBeNull();
    expect(stuckDelivery({ ...row, status: 'uncertain', updatedAt: now }, now, timing)?.kind).toBe(
      'email-uncertain',
    );
    expect(stuckDelivery({ ...row, status: 'written' }, now, timing)).toBeNull();
    expect(stuckDelivery({ ...row, status: 'blocked', updatedAt: now }, now, timing)?.kind).toBe(
      'email-blocked',
    );
  });
});
