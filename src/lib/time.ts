/** Renders epoch milliseconds as RFC 3339 UTC with milliseconds, or null. */
export function toRfc3339(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

const EXAMPLE = "2027-01-31T12:00:00.000Z";

// RFC 3339 date-time: a full date, `T` (or `t`), a time with optional fraction, and `Z` or an offset.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;
// Shapes that are close to RFC 3339, recognised only to say what is missing.
const WITHOUT_OFFSET = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

// toISOString renders only years 0000 to 9999 as RFC 3339, so instants outside them are rejected.
const MIN_MS = new Date(0).setUTCFullYear(0, 0, 1);
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

function shapeError(text: string): string {
  if (WITHOUT_OFFSET.test(text)) return `has no UTC offset; append Z for UTC or an offset such as +01:00, as in ${EXAMPLE}`;
  if (DATE_ONLY.test(text)) return `is a date without a time; send a date-time such as ${EXAMPLE}`;
  return `must be an RFC 3339 date-time such as ${EXAMPLE} or 2027-01-31T13:00:00+01:00`;
}

/**
 * Parses an RFC 3339 date-time to epoch milliseconds. Returns an error message instead when the text
 * is not a valid instant, is outside the years 0000 to 9999 in UTC, or has precision finer than a
 * millisecond, because storing it would change it. Leap seconds (second 60) are rejected.
 */
export function parseRfc3339(text: string): number | string {
  const match = RFC3339.exec(text);
  if (!match) return shapeError(text);

  const [, yearText, monthText, dayText, hourText, minuteText, secondText, fraction = "", zone = "Z"] = match;
  if (/[1-9]/.test(fraction.slice(3))) return "has precision finer than one millisecond; send at most 3 fractional digits";

  const [year, month, day, hour, minute, second] = [yearText, monthText, dayText, hourText, minuteText, secondText].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12) return `has month ${monthText}; a month is 01 to 12`;
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) return `has day ${dayText}, but ${yearText}-${monthText} has days 01 to ${days}`;
  if (hour > 23) return `has hour ${hourText}; an hour is 00 to 23, so midnight ending a day is 00:00:00 of the next day`;
  if (minute > 59) return `has minute ${minuteText}; a minute is 00 to 59`;
  if (second > 59) return `has second ${secondText}; a second is 00 to 59, and leap seconds are not accepted`;

  let offsetMinutes = 0;
  if (zone !== "Z" && zone !== "z") {
    const offsetHours = Number(zone.slice(1, 3));
    const offsetMins = Number(zone.slice(4, 6));
    if (offsetHours > 23 || offsetMins > 59) return `has UTC offset ${zone}; an offset is -23:59 to +23:59`;
    offsetMinutes = (zone.startsWith("-") ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }

  // setUTCFullYear, unlike Date.UTC, does not read years 0 to 99 as 1900 to 1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.padEnd(3, "0").slice(0, 3)));
  const ms = date.getTime() - offsetMinutes * 60_000;
  if (ms < MIN_MS || ms > MAX_MS) return "is outside the years 0000 to 9999 in UTC";
  return ms;
}
