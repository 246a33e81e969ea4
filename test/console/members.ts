import type { Config } from '../../src/config.js';
import type { Database } from '../../src/db/client.js';
import { createPhoneCrypto } from '../../src/supporters/phone.js';

let next = 0;

/** Opted-in members, written directly as texting JOIN would have left them; their ids. */
export async function createSupportersForTest(database: Database, config: Config, count: number) {
  const crypto = createPhoneCrypto(config.phone);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const phone = `+4477009${String(process.pid % 100).padStart(2, '0')}${String(next++).padStart(3, '0')}`;
    const { rows } = await database.pool.query(
      `INSERT INTO supporters (phone_ciphertext, phone_index, opted_in, consent_at, source)
       VALUES ($1, $2, true, now(), 'sms') RETURNING id`,
      [crypto.encrypt(phone), crypto.blindIndex(phone)],
    );
    ids.push(Number(rows[0].id));
  }
  return ids;
}
