/** Renders epoch milliseconds as RFC 3339 UTC with milliseconds, or null. */
export function toRfc3339(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

// RFC 3339 date-time: a full date, `T` (or `t`), a time with optional fraction, and `Z` or an offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Parses an RFC 3339 date-time to epoch milliseconds. Returns an error message instead when the text
 * is not a valid instant or has precision finer than a millisecond, because storing it would change it.
 */
export function parseRfc3339(text: string): number | string {
  const match = RFC3339.exec(text);
  if (!match) return "must be an RFC 3339 date-time such as 2027-01-31T12:00:00.000Z";

  const [, year, month, day, hour, minute, second, fraction = "", zone] = match;
  if (/[1-9]/.test(fraction.slice(3))) return "has precision finer than one millisecond; send at most 3 fractional digits";

  const utc = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
  const check = new Date(utc);
  const fieldsValid =
    check.getUTCFullYear() === Number(year) &&
    check.getUTCMonth() === Number(month) - 1 &&
    check.getUTCDate() === Number(day) &&
    Number(hour) < 24 &&
    Number(minute) < 60 &&
    Number(second) < 60;
  if (!fieldsValid) return "is not a valid calendar date and time";

  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z" && zone !== undefined) {
    const sign = zone.startsWith("-") ? -1 : 1;
    const offsetHours = Number(zone.slice(1, 3));
    const offsetMins = Number(zone.slice(4, 6));
    if (offsetHours > 23 || offsetMins > 59) return "has an invalid UTC offset";
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }

  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  return utc + millis - offsetMinutes * 60_000;
}
