import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { describe, expect, it } from 'vitest';
import {
  createPhoneCrypto,
  keyId,
  maskPhone,
  normalisePhone,
  type PhoneKeys,
} from '../../src/supporters/phone.js';

const NUMBER = '+447700900123';
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const indexKey = randomBytes(32);

const keys = (overrides: Partial<PhoneKeys> = {}): PhoneKeys => ({
  encryptionKey: keyA,
  oldEncryptionKeys: [],
  indexKey,
  ...overrides,
});

/** Replaces one character of a base64url part so the bytes change but the format stays valid. */
function flipPart(stored: string, index: number): string {
  const parts = stored.split('.');
  const part = parts[index] ?? '';
  parts[index] = (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
  return parts.join('.');
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

describe('keyId', () => {
  it('is the first 8 hex characters of SHA-256 of the key', () => {
    expect(keyId(keyA)).toBe(createHash('sha256').update(keyA).digest('hex').slice(0, 8));
    expect(keyId(keyA)).toMatch(/^[0-9a-f]{8}$/);
    expect(keyId(keyA)).not.toBe(keyId(keyB));
  });
});

describe('createPhoneCrypto', () => {
  it('round-trips a number in the documented format', () => {
    const crypto = createPhoneCrypto(keys());
    const stored = crypto.encrypt(NUMBER);
    expect(stored).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(stored.split('.')[1]).toBe(keyId(keyA));
    expect(stored).not.toContain('7700900123');
    expect(crypto.decrypt(stored)).toBe(NUMBER);
  });

  it('uses a fresh IV, so two encryptions of the same number differ', () => {
    const crypto = createPhoneCrypto(keys());
    const first = crypto.encrypt(NUMBER);
    const second = crypto.encrypt(NUMBER);
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(crypto.decrypt(first)).toBe(crypto.decrypt(second));
  });

  it('decrypts with an old key after rotation and flags it for re-encryption', () => {
    const before = createPhoneCrypto(keys());
    const stored = before.encrypt(NUMBER);
    const after = createPhoneCrypto(keys({ encryptionKey: keyB, oldEncryptionKeys: [keyA] }));
    expect(after.decrypt(stored)).toBe(NUMBER);
    expect(after.needsReencryption(stored)).toBe(true);
    const rewritten = after.encrypt(after.decrypt(stored));
    expect(after.needsReencryption(rewritten)).toBe(false);
    expect(rewritten.split('.')[1]).toBe(keyId(keyB));
  });

  it('does not need re-encryption under the current key, but does for garbage', () => {
    const crypto = createPhoneCrypto(keys());
    expect(crypto.needsReencryption(crypto.encrypt(NUMBER))).toBe(false);
    expect(crypto.needsReencryption('not a ciphertext')).toBe(true);
  });

  it('refuses a ciphertext under a key it no longer has, naming only the key id', () => {
    const stored = createPhoneCrypto(keys()).encrypt(NUMBER);
    const error = errorOf(() => createPhoneCrypto(keys({ encryptionKey: keyB })).decrypt(stored));
    expect(error.message).toContain(keyId(keyA));
    expect(error.message).toMatch(/unknown key id/);
  });

  it.each([
    [2, 'IV'],
    [3, 'ciphertext'],
    [4, 'tag'],
  ])('throws without revealing the number when the %s (%s) is tampered with', (index) => {
    const crypto = createPhoneCrypto(keys());
    const error = errorOf(() => crypto.decrypt(flipPart(crypto.encrypt(NUMBER), index)));
    expect(error.message).toMatch(/tampered/);
    expect(error.message).not.toContain('7700');
    expect(error.message).not.toContain('900123');
  });

  it('authenticates the header: relabelling with another known key id fails', () => {
    const crypto = createPhoneCrypto(keys({ oldEncryptionKeys: [keyB] }));
    const parts = crypto.encrypt(NUMBER).split('.');
    parts[1] = keyId(keyB);
    expect(() => crypto.decrypt(parts.join('.'))).toThrow(/tampered/);
  });

  it('rejects a truncated tag and malformed ciphertexts', () => {
    const crypto = createPhoneCrypto(keys());
    const parts = crypto.encrypt(NUMBER).split('.');
    const truncated = [...parts.slice(0, 4), (parts[4] ?? '').slice(0, 6)].join('.');
    for (const bad of [
      truncated,
      '',
      NUMBER,
      'v2.a.b.c.d',
      parts.slice(0, 4).join('.'),
      `${parts.join('.')}.x`,
    ]) {
      const error = errorOf(() => crypto.decrypt(bad));
      expect(error.message).toMatch(/malformed/);
      expect(error.message).not.toContain('900123');
    }
  });

  it('blind index is a deterministic HMAC that depends on the index key', () => {
    const crypto = createPhoneCrypto(keys());
    const index = crypto.blindIndex(NUMBER);
    expect(index).toMatch(/^[0-9a-f]{64}$/);
    expect(crypto.blindIndex(NUMBER)).toBe(index);
    expect(createPhoneCrypto(keys({ encryptionKey: keyB })).blindIndex(NUMBER)).toBe(index);
    expect(createPhoneCrypto(keys({ indexKey: randomBytes(32) })).blindIndex(NUMBER)).not.toBe(index);
    expect(crypto.blindIndex('+79123456789')).not.toBe(index);
  });

  it('refuses numbers that are not E.164, without echoing them', () => {
    const crypto = createPhoneCrypto(keys());
    for (const call of [() => crypto.blindIndex('07700 900123'), () => crypto.encrypt('07700900123')]) {
      const error = errorOf(call);
      expect(error.message).toMatch(/E\.164/);
      expect(error.message).not.toContain('900123');
    }
  });

  it('throws when a key is not 32 bytes', () => {
    expect(() => createPhoneCrypto(keys({ encryptionKey: randomBytes(16) }))).toThrow(/encryptionKey/);
    expect(() => createPhoneCrypto(keys({ indexKey: randomBytes(33) }))).toThrow(/indexKey/);
    expect(() => createPhoneCrypto(keys({ oldEncryptionKeys: [keyB, Buffer.alloc(0)] }))).toThrow(
      /oldEncryptionKeys\[1\]/,
    );
  });

  it('accepts the current key repeated among the old keys', () => {
    const crypto = createPhoneCrypto(keys({ oldEncryptionKeys: [keyA] }));
    expect(crypto.decrypt(crypto.encrypt(NUMBER))).toBe(NUMBER);
  });

  it('is not affected by the caller later overwriting its key buffer', () => {
    const key = Buffer.from(keyA);
    const crypto = createPhoneCrypto(keys({ encryptionKey: key }));
    const stored = crypto.encrypt(NUMBER);
    key.fill(0);
    expect(crypto.decrypt(stored)).toBe(NUMBER);
  });
});

describe('normalisePhone', () => {
  it.each([
    ['07700 900123'],
    ['07700900123'],
    ['+44 7700 900123'],
    ['+44 (0)7700 900123'],
    ['0044 7700 900123'],
    ['447700900123'],
    [' 07700-900-123 '],
  ])('reads the UK number %j', (raw) => {
    expect(normalisePhone(raw)).toBe('+447700900123');
  });

  it('reads a Russian number in national and international format', () => {
    expect(normalisePhone('8 (912) 345-67-89', 'RU')).toBe('+79123456789');
    expect(normalisePhone('+7 912 345-67-89')).toBe('+79123456789');
  });

  it('keeps the 0 of a valid Italian landline', () => {
    expect(normalisePhone('+39 06 6982 1234')).toBe('+390669821234');
  });

  it('does not guess a foreign country for a number without + or international prefix', () => {
    expect(normalisePhone('79123456789')).toBeNull();
  });

  it.each([
    '',
    'hello',
    '12',
    '+44 12',
    'call me on 07700 900123',
    '07700 900123 ext 5',
    '+999 1234567',
    '++',
    '07700 90',
    '07700 9001',
  ])('returns null for %j', (raw) => {
    expect(normalisePhone(raw)).toBeNull();
  });
});

describe('maskPhone', () => {
  it('shows the country code, first 2 and last 3 national digits', () => {
    expect(maskPhone('+447700900123')).toBe('+44 77** ***123');
    expect(maskPhone('+79123456789')).toBe('+7 91** ***789');
  });

  it('hides most of a short national number', () => {
    // Saint Helena numbers have 5 national digits.
    expect(maskPhone('+29022158')).toBe('+290 ***58');
  });

  it('never echoes input that is not E.164', () => {
    expect(maskPhone('07700 900123')).toBe('***');
    expect(maskPhone('+999123456789')).toBe('***');
  });
});

describe('normalisePhone on plain UK numbers', () => {
  /** What libphonenumber alone says, as normalisePhone read every number before its shortcut. */
  function byLibphonenumber(raw: string): string | null {
    const phone = parsePhoneNumberFromString(raw, 'GB');
    if (!phone?.isPossible()) return null;
    return phone.nationalNumber.startsWith('0') && !phone.isValid() ? null : phone.number;
  }

  it('reads +44 and 0 followed by ten digits, spaced anyhow, as libphonenumber does', () => {
    const written = fc
      .tuple(
        fc.constantFrom('+44', '0'),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 10, maxLength: 10 }),
        fc.array(fc.boolean(), { minLength: 11, maxLength: 11 }),
      )
      .map(([prefix, digits, spaces]) =>
        [prefix, ...digits].map((part, i) => `${part}${spaces[i] ? ' ' : ''}`).join(''),
      );
    fc.assert(
      fc.property(written, (raw) => {
        expect(normalisePhone(raw)).toBe(byLibphonenumber(raw));
      }),
      { numRuns: 3_000 },
    );
  });
});
