// Calendar dates of the Seoul calendar (UTC+9), from instants: the day a seal, a minority or a
// month of counting is evaluated on. Pure functions of their arguments (the chaincode passes the
// transaction time), shared with the gateway and the citizen app.

import { isCalendarDate } from './formats.js';
import { SEOUL_UTC_OFFSET_HOURS } from './vocabulary.js';

const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of the Seoul calendar at an instant. */
export function seoulDate(at: Date): string {
    return new Date(at.getTime() + SEOUL_UTC_OFFSET_HOURS * 3_600_000).toISOString().slice(0, 10);
}

/** `YYYY-MM` of the Seoul calendar at an instant. */
export function seoulMonth(at: Date): string {
    return seoulDate(at).slice(0, 7);
}

/** Whole days from date `from` to date `to` (both `YYYY-MM-DD`); negative when `to` is earlier. */
export function daysBetween(from: string, to: string): number {
    return Math.round((Date.parse(`${to}T00:00:00.000Z`) - Date.parse(`${from}T00:00:00.000Z`)) / DAY_MS);
}

/**
 * The date a person born on `birthDate` reaches `years` of age, counted as the chaincode counts
 * ages (AccessContract ageOn): the anniversary, or 1 March when the birth date is 29 February and
 * that year has none.
 */
export function birthdayAtAge(birthDate: string, years: number): string {
    const [y, m, d] = birthDate.split('-') as [string, string, string];
    const candidate = `${String(Number(y) + years).padStart(4, '0')}-${m}-${d}`;
    return isCalendarDate(candidate) ? candidate : `${String(Number(y) + years).padStart(4, '0')}-03-01`;
}
