import type { BusinessHours } from '../config.js';

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall clock of `at` in timeZone, with its ISO weekday (1 = Monday). */
function wallClock(at: Date, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(at)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const { year, month, day, hour, minute, second } = parts as Record<string, number>;
  const weekday = ((new Date(Date.UTC(year as number, (month as number) - 1, day)).getUTCDay() + 6) % 7) + 1;
  return { year, month, day, hour, minute, second, weekday } as Record<
    'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'weekday',
    number
  >;
}

/** The instant at which the wall clock in timeZone shows the given local date and minute of the day. */
function zonedInstant(year: number, month: number, day: number, minuteOfDay: number, timeZone: string): Date {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60);
  // The zone's offset is read at the instant itself; the second pass settles a day when it changes.
  let instant = wall;
  for (let pass = 0; pass < 2; pass++) {
    const seen = wallClock(new Date(instant), timeZone);
    const offset =
      Date.UTC(seen.year, seen.month - 1, seen.day, seen.hour, seen.minute, seen.second) - instant;
    instant = wall - offset;
  }
  return new Date(instant);
}

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
