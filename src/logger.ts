import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * A safety net under the rule that no phone number or supporter name is ever logged: code never
 * passes them to the logger, and these paths are censored if one ever slips into a logged object.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-twilio-signature"]',
  '*.From',
  '*.from',
  '*.Body',
  '*.body',
  '*.phone',
  '*.phoneNumber',
  '*.name',
  '*.password',
  '*.token',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = { level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
