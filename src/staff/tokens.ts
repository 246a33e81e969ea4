import { createHash, randomBytes } from 'node:crypto';

/** API tokens are 32 random bytes; the prefix makes a leaked one easy to recognise in a scan. */
export function generateApiToken(): string {
  return `pp_${randomBytes(32).toString('base64url')}`;
}

/** A fast hash is right here: a token has 256 bits of entropy, unlike a password. */
export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
