import type { BusinessHours } from '../config.js';
import { wallClock, zonedInstant } from '../time.js';

/**
 * The first instant at or after `at` when a fax may be sent to a recipient in timeZone: `at` itself
 * inside the window (or when there are no business hours), else the start of the next window.
 */
export function nextBusinessInstant(at: Date, hours: BusinessHours | null, timeZone: string): Date {
  if (hours === null) return at;
  const local = wallClock(at, timeZone);
  const minute = local.hour * 60 + local.minute;
  // A window past midnight (start after end) belongs to the day it starts on.
  const inWindow =
    hours.start < hours.end
      ? minute >= hours.start && minute < hours.end
      : minute >= hours.start || minute < hours.end;
  if (hours.days.includes(local.weekday) && inWindow) return at;
  for (let ahead = 0; ahead <= 7; ahead++) {
    const weekday = ((local.weekday - 1 + ahead) % 7) + 1;
    if (!hours.days.includes(weekday)) continue;
    if (ahead === 0 && minute >= hours.start) continue;
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + ahead));
    return zonedInstant(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      hours.start,
      timeZone,
    );
  }
  throw new Error('business hours name no day of the week');
}
