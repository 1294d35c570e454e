// Value formats checked the same way by the chaincode and the gateways, and stated exactly in the
// gateways' OpenAPI documents (gateway/http/openapi.ts maps each constraint name below to its
// JSON Schema). class-validator's own checks do not fit a schema: IsISO8601 accepts week and
// ordinal dates, a space separator and, depending on the process time zone, refuses years below
// 1000; Length counts a character followed by U+FE0E/U+FE0F as one. Patterns use [0-9], not \d:
// a schema's pattern is also read by other regex engines, where \d matches every script's digits.

import { registerDecorator, type ValidationOptions } from 'class-validator';

const YEAR_0001_TO_9998 = '(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])';

/**
 * An instant as RFC 3339 writes it (OpenAPI's `date-time`): upper-case T and Z, 1 to 9 fractional
 * digits, an offset up to ±23:59, no leap second. Years 0001-9998 only, so that every offset keeps
 * the instant inside 0000-9999 once it is normalized to UTC, the fixed-width form keys are compared in.
 */
export const INSTANT_PATTERN = new RegExp(
    `^${YEAR_0001_TO_9998}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])$`,
);

/** A calendar date YYYY-MM-DD (OpenAPI's `date`), years 0000-9999. */
export const CALENDAR_DATE_PATTERN = /^[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])$/;

/** Names of the constraints below, as class-validator records them (the gateway's schema converters key on them). */
export const FORMAT_CONSTRAINT = {
    instant: 'isInstant',
    calendarDate: 'isCalendarDate',
    textLength: 'textLength',
} as const;

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** True if `ymd` (already matching YYYY-MM-DD) names a day of the proleptic Gregorian calendar (no 30 February). */
function isRealDay(ymd: string): boolean {
    const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
    return d <= (m === 2 && isLeap(y) ? 29 : (DAYS_IN_MONTH[m - 1] as number));
}

export function isInstant(value: unknown): value is string {
    return typeof value === 'string' && INSTANT_PATTERN.test(value) && isRealDay(value.slice(0, 10));
}

export function isCalendarDate(value: unknown): value is string {
    return typeof value === 'string' && CALENDAR_DATE_PATTERN.test(value) && isRealDay(value);
}

/** Characters as JSON Schema's minLength and maxLength count them: Unicode code points. */
export const codePoints = (s: string): number => [...s].length;

function constraint(name: string, message: string, check: (value: unknown, args: unknown[]) => boolean, constraints: unknown[] = []) {
    return (options?: ValidationOptions): PropertyDecorator =>
        (target, propertyName) =>
            registerDecorator({
                name,
                target: target.constructor,
                propertyName: propertyName as string,
                constraints,
                options: { message, ...options },
                validator: { validate: (value: unknown) => check(value, constraints) },
            });
}

/** An RFC 3339 instant (INSTANT_PATTERN) on a real calendar day. */
export const IsInstant = constraint(FORMAT_CONSTRAINT.instant, '$property must be an RFC 3339 date-time (years 0001-9998)', isInstant);

/** A YYYY-MM-DD date of the calendar. */
export const IsCalendarDate = constraint(FORMAT_CONSTRAINT.calendarDate, '$property must be a calendar date YYYY-MM-DD', isCalendarDate);

/** A string of min to max code points. */
export function TextLength(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
    return constraint(
        FORMAT_CONSTRAINT.textLength,
        `$property must be ${min} to ${max} characters`,
        (value) => typeof value === 'string' && codePoints(value) >= min && codePoints(value) <= max,
        [min, max],
    )(options);
}
