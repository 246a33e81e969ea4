import { type SimulatedReply, sendSimulatedText } from '../../src/sms/simulator.js';
import type { TestApp } from './app.js';

export const PUBLIC_BASE_URL = 'https://pocketprotest.example.org';

/** A phone texting the app over real HTTP, signed by the real twilio package as Twilio would sign. */
export async function listenForTexts(testApp: TestApp) {
  const address = await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  return (
    from: string,
    body: string,
    options: { messageSid?: string; extra?: Record<string, string> } = {},
  ) =>
    sendSimulatedText({
      serverUrl: address,
      publicBaseUrl: testApp.config.publicBaseUrl,
      authToken: testApp.config.twilio.authToken,
      accountSid: testApp.config.twilio.accountSid,
      from,
      body,
      ...options,
    });
}

export type TextFn = Awaited<ReturnType<typeof listenForTexts>>;

export function replyText(reply: SimulatedReply): string {
  return reply.messages.join('\n');
}
