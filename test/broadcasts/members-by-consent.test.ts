import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCampaign } from '../helpers/campaigns.js';
import { listenForTexts, replyText, type TextFn } from '../helpers/phone.js';
import {
  type BroadcastWorld,
  createBroadcast,
  recipientsOf,
  startBroadcastWorld,
  waitUntilDone,
} from './harness.js';

/** Consent comes from signing, a join word or an import: asking for help makes no member. */
let world: BroadcastWorld;
let campaignId: number;
let text: TextFn;
const number = (n: number) =>
  `+4477009${String(process.pid % 1000).padStart(3, '0')}${String(n).padStart(2, '0')}`;
const [HELPER, GREETER, ASKER, SIGNER, JOINER, STOPPER] = [1, 2, 3, 4, 5, 6].map(number) as [
  string,
  string,
  string,
  string,
  string,
  string,
];

beforeAll(async () => {
  world = await startBroadcastWorld();
  campaignId = (
    await openCampaign(world.database, {
      keyword: 'KALYAPIN',
      title: 'Lawyer threatened',
      letter: { body: 'Please protect him.' },
      targets: [{ name: 'Igor Krasnov', salutation: 'Dear Prosecutor', faxNumbers: ['+442079460111'] }],
    })
  ).id;
  text = await listenForTexts(world.server);
});
afterAll(() => world.close());

describe('who is a member of the network', () => {
  it('answers HELP, hello and RECEIPT but makes no member; signing and joining do', async () => {
    expect(replyText(await text(HELPER, 'HELP'))).toContain('KALYAPIN');
    expect(replyText(await text(GREETER, 'hello'))).not.toBe('');
    expect(replyText(await text(ASKER, 'RECEIPT'))).not.toBe('');
    expect(replyText(await text(SIGNER, 'KALYAPIN Jane Smith'))).toContain('Jane Smith');
    expect(replyText(await text(JOINER, 'JOIN'))).toContain('Welcome');
    // A number that only stopped and started again was never a member: START does not make one.
    await text(STOPPER, 'STOP');
    expect(replyText(await text(STOPPER, 'START'))).toMatch(/^To join the .* network, text JOIN;/);

    // "The whole network" as the compose page counts it.
    expect((await world.server.app.services.broadcasts.audienceSizes(campaignId)).network).toBe(2);

    const broadcast = await createBroadcast(world, campaignId, 'Urgent: sign KALYAPIN now', 'network');
    expect(broadcast.audienceSize).toBe(2);
    await waitUntilDone(world, broadcast.id);
    expect(recipientsOf(world, 'Urgent: sign KALYAPIN').sort()).toEqual([SIGNER, JOINER].sort());

    const { rows } = await world.database.pool.query<{ members: number }>(
      'SELECT count(*) FILTER (WHERE consent_at IS NOT NULL)::int AS members FROM supporters',
    );
    expect(rows[0]?.members).toBe(2);
  });

  it('records consent when a helper later signs, and START renews a member’s consent', async () => {
    await text(HELPER, 'KALYAPIN Ann Lee');
    const consent = async (phone: string) => {
      const { rows } = await world.database.pool.query<{ consent_message_sid: string | null }>(
        'SELECT consent_message_sid FROM supporters WHERE phone_index = $1',
        [world.server.app.services.phoneCrypto.blindIndex(phone)],
      );
      return rows[0]?.consent_message_sid ?? null;
    };
    expect(await consent(HELPER)).not.toBeNull();
    await text(SIGNER, 'STOP');
    expect(
      replyText(await text(SIGNER, 'START', { messageSid: 'SMrenewed0000000000000000000000001' })),
    ).toContain('Welcome back!');
    expect(await consent(SIGNER)).toBe('SMrenewed0000000000000000000000001');
    expect(await consent(STOPPER)).toBeNull();
  });
});
