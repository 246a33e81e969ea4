import { type SimulatedReply, sendSimulatedText } from '../../src/sms/simulator.js';
import type { TestApp } from './app.js';

export const PUBLIC_BASE_URL = 'https://pocketprotest.example.org';

/** A phone texting the app at `serverUrl`, signed by the real twilio package as Twilio would sign. */
export function textsTo(testApp: TestApp, serverUrl: string) {
  return (
    from: string,
    body: string,
    options: { messageSid?: string; extra?: Record<string, string> } = {},
  ) =>
    sendSimulatedText({
      serverUrl,
      publicBaseUrl: testApp.config.publicBaseUrl,
      authToken: testApp.config.twilio.authToken,
      accountSid: testApp.config.twilio.accountSid,
      from,
      body,
      ...options,
    });
}

/** The app listening on a free port, and a phone texting it over real HTTP. */
export async function listenForTexts(testApp: TestApp) {
  return textsTo(testApp, await testApp.app.listen({ port: 0, host: '127.0.0.1' }));
}

export type TextFn = Awaited<ReturnType<typeof listenForTexts>>;

export function replyText(reply: SimulatedReply): string {
  return reply.messages.join('\n');
}
