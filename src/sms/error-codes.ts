/**
 * What Twilio's error codes on a text mean, in words staff can act on: the common ones of
 * https://www.twilio.com/docs/api/errors for messaging.
 */
const MEANINGS: Record<number, string> = {
  20429: 'Too many requests to Twilio at once; the text was retried until it gave up',
  21211: 'Not a valid phone number',
  21408: 'Texting this country is not enabled on the Twilio account',
  21610: 'The person has texted STOP to our number (they are opted out)',
  21611: 'Our number had too many texts queued at Twilio',
  21612: 'This number cannot be reached by text from our number',
  21614: 'Not a mobile number',
  30001: 'Twilio’s queue for our number overflowed',
  30002: 'The Twilio account is suspended',
  30003: 'Phone switched off or out of coverage',
  30004: 'Blocked: the person or their network blocks our texts',
  30005: 'Unknown number: it no longer exists or is not in service',
  30006: 'A landline, or a network that cannot take texts',
  30007: 'Filtered as spam by the network',
  30008: 'Unknown error from the network',
  30022: 'Over the US A2P 10DLC sending limit',
  30032: 'Toll-free number not verified for texting',
  30034: 'Sent from a US number not registered for A2P 10DLC',
  30410: 'The network took too long to answer',
};

/** A Twilio error code's meaning ("No error code given" without one). */
export function twilioErrorMeaning(code: number | null): string {
  if (code === null) return 'No error code given';
  return MEANINGS[code] ?? 'See Twilio’s list of error codes';
}
