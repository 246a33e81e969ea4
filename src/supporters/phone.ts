/**
 * Supporters' phone numbers: normalisation to E.164, encryption at rest, a blind index for look-ups and
 * masking for display. Error messages never include a number, a ciphertext or a key.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';

export interface PhoneKeys {
  encryptionKey: Buffer;
  oldEncryptionKeys: readonly Buffer[];
  indexKey: Buffer;
}

export interface PhoneCrypto {
  encrypt(e164: string): string;
  decrypt(stored: string): string;
  blindIndex(e164: string): string;
  needsReencryption(stored: string): boolean;
  /** Any text sealed with the phone key (a spooled inbound text: its number and body together). */
  sealText(text: string): string;
  openText(stored: string): string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const E164 = /^\+[1-9][0-9]{1,14}$/;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const KEY_ID = /^[0-9a-f]{8}$/;
// Only what people type in a phone number; anything else (words, extensions) means it is not one,
// rather than letting libphonenumber fish a number out of free text.
const PHONE_CHARACTERS = /^[0-9+\-().\s]+$/;

const UK_PLAIN = /^(?:\+44|0)([1-9][0-9]{9})$/;

/** First 8 hex characters of SHA-256 of the key: names the key in ciphertexts without revealing it. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function checkKey(key: Buffer, name: string): Buffer {
  if (!Buffer.isBuffer(key) || key.length !== KEY_BYTES) {
    throw new Error(`${name} must be ${KEY_BYTES} bytes`);
  }
  // Copy so a caller reusing or zeroing its buffer cannot change our key.
  return Buffer.from(key);
}

function checkE164(e164: string): void {
  // An unnormalised number would get a different blind index and silently never be found again.
  if (!E164.test(e164)) throw new Error('Phone number must be in E.164 form (use normalisePhone first)');
}

function decodePart(part: string | undefined, bytes?: number): Buffer {
  if (part === undefined || !BASE64URL.test(part)) throw new Error('Stored phone ciphertext is malformed');
  const buffer = Buffer.from(part, 'base64url');
  if (bytes !== undefined && buffer.length !== bytes) throw new Error('Stored phone ciphertext is malformed');
  return buffer;
}

export function createPhoneCrypto(keys: PhoneKeys): PhoneCrypto {
  const current = checkKey(keys.encryptionKey, 'encryptionKey');
  const indexKey = checkKey(keys.indexKey, 'indexKey');
  const currentId = keyId(current);
  const byId = new Map<string, Buffer>([[currentId, current]]);
  keys.oldEncryptionKeys.forEach((old, i) => {
    const key = checkKey(old, `oldEncryptionKeys[${i}]`);
    const id = keyId(key);
    const known = byId.get(id);
    // A 32-bit id clash between different keys would make decryption ambiguous; refuse to start.
    if (known && !known.equals(key)) {
      throw new Error(`oldEncryptionKeys[${i}] has the same key id as another key`);
    }
    if (!known) byId.set(id, key);
  });

  // The version and key id are authenticated too, so the header cannot be edited undetected.
  const aad = (id: string) => Buffer.from(`${VERSION}.${id}`, 'utf8');
  // Key objects made once: an import encrypts and indexes a million numbers, and a raw key is
  // imported into OpenSSL again at every call.
  const currentKey = createSecretKey(current);
  const currentAad = aad(currentId);
  const indexKeyObject: KeyObject = createSecretKey(indexKey);
  // Random IVs drawn a thousand at a time (one call to the CSPRNG, not one per number); each is
  // used once, and a slice is consumed before the pool is refilled, as sealing is synchronous.
  const ivPool = Buffer.alloc(IV_BYTES * 1024);
  let ivNext = ivPool.length;
  const nextIv = (): Buffer => {
    if (ivNext === ivPool.length) {
      randomFillSync(ivPool);
      ivNext = 0;
    }
    ivNext += IV_BYTES;
    return ivPool.subarray(ivNext - IV_BYTES, ivNext);
  };

  function seal(text: string): string {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', currentKey, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(currentAad);
    const ciphertext = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    const encoded = [iv, ciphertext, tag].map((part) => part.toString('base64url'));
    return [VERSION, currentId, ...encoded].join('.');
  }

  function open(stored: string): string {
    const parts = stored.split('.');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new Error('Stored phone ciphertext is malformed');
    const id = parts[1] ?? '';
    if (!KEY_ID.test(id)) throw new Error('Stored phone ciphertext is malformed');
    const key = byId.get(id);
    if (!key) throw new Error(`Stored phone ciphertext uses unknown key id ${id}`);
    const iv = decodePart(parts[2], IV_BYTES);
    const ciphertext = decodePart(parts[3]);
    // Fixing the tag length stops a truncated tag from weakening authentication.
    const tag = decodePart(parts[4], TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(id));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('Stored phone ciphertext failed authentication (tampered or wrong key)');
    }
  }

  return {
    encrypt(e164) {
      checkE164(e164);
      return seal(e164);
    },

    decrypt: open,
    sealText: seal,
    openText: open,

    blindIndex(e164) {
      checkE164(e164);
      return createHmac('sha256', indexKeyObject).update(e164, 'utf8').digest('hex');
    },

    needsReencryption(stored) {
      // Anything not a v1 ciphertext under the current key, including garbage, needs rewriting.
      return !stored.startsWith(`${VERSION}.${currentId}.`);
    },
  };
}

/**
 * Normalises a number as typed or as sent by the SMS provider to E.164, or null when it is not a possible
 * number (length check only: validity data lags behind newly allocated ranges).
 *
 * Accepted: national format of the default country ("07700 900123"), international format ("+44 7700
 * 900123", "0044 7700 900123") and the default country's calling code without "+" ("447700900123", which
 * libphonenumber strips when the rest is a possible national number). Other countries' numbers without
 * "+" or an international prefix are read as national numbers of the default country, so "79123456789"
 * with default GB is null rather than a guessed Russian number.
 */
export function normalisePhone(raw: string, defaultCountry: CountryCode = 'GB'): string | null {
  // Most UK numbers are written +44 or 0 and ten digits: read here in well under a microsecond, where
  // libphonenumber takes tens (a members import reads a million). Its answer is the same (a property
  // test compares the two).
  const plain = UK_PLAIN.exec(raw.includes(' ') ? raw.replaceAll(' ', '') : raw);
  if (plain && (raw.startsWith('+') || defaultCountry === 'GB')) return `+44${plain[1]}`;
  if (!PHONE_CHARACTERS.test(raw)) return null;
  const phone = parsePhoneNumberFromString(raw, defaultCountry);
  if (!phone?.isPossible()) return null;
  // A kept trunk 0 ("07700 90" read as +44 0770090) is a typo, unless the number is valid as it is
  // (Italian landlines keep their 0).
  return phone.nationalNumber.startsWith('0') && !phone.isValid() ? null : phone.number;
}

/**
 * Masks an E.164 number for logs and screens: "+447700900123" → "+44 77** ***123" (country code, first 2
 * and last 3 national digits). National numbers shorter than 8 digits show only their last 2 digits (none
 * below 4), so that most of the number stays hidden. Input that is not a parseable E.164 number gives "***".
 */
export function maskPhone(e164: string): string {
  const phone = E164.test(e164) ? parsePhoneNumberFromString(e164) : undefined;
  if (!phone) return '***';
  const national = phone.nationalNumber;
  if (national.length < 8) {
    const tail = national.length >= 4 ? 2 : 0;
    const masked = '*'.repeat(national.length - tail) + national.slice(national.length - tail);
    return `+${phone.countryCallingCode} ${masked}`;
  }
  const masked = `${national.slice(0, 2)}${'*'.repeat(national.length - 5)}${national.slice(-3)}`;
  return `+${phone.countryCallingCode} ${masked.slice(0, 4)} ${masked.slice(4)}`;
}
