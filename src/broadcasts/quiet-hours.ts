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
