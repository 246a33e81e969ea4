import type { DailyWindow } from '../config.js';
import { wallClock } from '../time.js';

export const UK_TIME_ZONE = 'Europe/London';

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1_440;

/** Minutes and milliseconds since local midnight of `now` in `timeZone`. */
function localTime(now: Date, timeZone: string): { minute: number; msIntoMinute: number } {
  const { hour, minute } = wallClock(now, timeZone);
  return { minute: hour * 60 + minute, msIntoMinute: now.getTime() % MINUTE_MS };
}

export function inWindow(minute: number, window: DailyWindow): boolean {
  if (window.start === window.end) return false;
  return window.start < window.end
    ? minute >= window.start && minute < window.end
    : minute >= window.start || minute < window.end;
}

/**
 * How long until texts may go again: 0 outside quiet hours, else the milliseconds to the window's end
 * (UK time). On the night the clocks change the wait can be an hour off; whoever waited checks again
 * when it wakes, so an early wake-up waits once more and a late one only sends later.
 */
export function quietHoursWait(now: Date, quietHours: DailyWindow | null, timeZone = UK_TIME_ZONE): number {
  if (!quietHours) return 0;
  const { minute, msIntoMinute } = localTime(now, timeZone);
  if (!inWindow(minute, quietHours)) return 0;
  const minutesLeft = (quietHours.end - minute + DAY_MINUTES) % DAY_MINUTES;
  return minutesLeft * MINUTE_MS - msIntoMinute;
}

/** What staff chose for one broadcast: "send now anyway", or a later time. */
export interface BroadcastTiming {
  ignoresQuietHours: boolean;
  sendAfter: Date | null;
}

/** Why a broadcast waits, and until when. */
export interface Hold {
  reason: 'quiet-hours' | 'scheduled';
  until: Date;
}

/**
 * Whether a broadcast waits at `now`, why and until when: a time staff rescheduled it to (quiet hours
 * then may hold it longer), or quiet hours unless staff chose to send it anyway. Null: it goes now.
 */
export function broadcastHold(
  now: Date,
  quietHours: DailyWindow | null,
  timing: BroadcastTiming,
  timeZone = UK_TIME_ZONE,
): Hold | null {
  if (timing.sendAfter && timing.sendAfter > now) {
    const later = timing.ignoresQuietHours ? 0 : quietHoursWait(timing.sendAfter, quietHours, timeZone);
    return { reason: 'scheduled', until: new Date(timing.sendAfter.getTime() + later) };
  }
  if (timing.ignoresQuietHours) return null;
  const wait = quietHoursWait(now, quietHours, timeZone);
  return wait > 0 ? { reason: 'quiet-hours', until: new Date(now.getTime() + wait) } : null;
}

/** "08:00", or "08:00 on 7 Dec" when not the same day as `now`, in `timeZone`. */
function clockTime(at: Date, now: Date, timeZone: string): string {
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit' }).format(at);
  const day = (d: Date) =>
    new Intl.DateTimeFormat('en-GB', { timeZone, day: 'numeric', month: 'short' }).format(d);
  return day(at) === day(now) ? time : `${time} on ${day(at)}`;
}

/** The hold in words: "quiet hours until 08:00: goes out at 08:00 (Europe/London time)". */
export function describeHold(hold: Hold, now: Date, timeZone: string): string {
  const at = clockTime(hold.until, now, timeZone);
  return hold.reason === 'quiet-hours'
    ? `quiet hours until ${at}: goes out at ${at} (${timeZone} time)`
    : `rescheduled: goes out at ${at} (${timeZone} time)`;
}
