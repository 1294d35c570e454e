// The screen for the few free texts that are public on the shared ledger: an auditor's text on a
// decision (a review case, an objection's finding). It is an official statement about a
// department's conduct that the department (any org) must read on the ledger, written under the
// audit office's duty, and it names the citizen only through the entry's ids. The screen refuses
// what a machine can recognise as personal data, as a backstop to that duty; it cannot recognise
// a name, which is why citizens' own texts never reach public state (their objection's text lives
// in the issuer's private collection, see ObjectionContract).

import { ChaincodeError, ErrorCode } from '../errors.js';

const PERSONAL_PATTERNS: readonly [string, RegExp][] = [
    ['a resident registration number', /\d{6}\s*-?\s*\d{7}/],
    ['a date', /\d{2,4}\s*[-./년]\s*\d{1,2}\s*[-./월]\s*\d{1,2}/],
    ['a phone number', /(?:\+\s*82|\b0)\s*\d{1,2}[-\s.)]*\d{3,4}[-\s.]*\d{4}/],
    ['an e-mail address', /[^\s@]+@[^\s@]+\.[^\s@]+/],
    ['a long number', /\d{6,}/],
];

/** What kind of personal data `text` visibly holds, or undefined. */
export function personalDataInText(text: string): string | undefined {
    for (const [kind, pattern] of PERSONAL_PATTERNS) if (pattern.test(text)) return kind;
    return undefined;
}

/** Refuses (TEXT_NOT_ALLOWED) a public text that holds recognisable personal data; names the kind, never the text. */
export function requireOfficialText(text: string | undefined, name: string): void {
    if (text === undefined) return;
    const kind = personalDataInText(text);
    if (kind)
        throw new ChaincodeError(ErrorCode.TEXT_NOT_ALLOWED, `${name}: holds what looks like ${kind}; refer to the entry by its ids only`);
}
