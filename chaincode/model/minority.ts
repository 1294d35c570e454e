// A child's minority on the public ledger without the birth date: two hash chains.
//
// Every endorser must decide "is this child still under 14 today?" (the representative's power)
// and "has this child turned 14?" (the child's own key takes over), but the birth date, and so the
// 14th birthday, is personal data that only the issuer's private collection holds. The issuer's
// peer turns the birth date into two sha256 hash-chain anchors (as NOVOMODO or PayWord do), which
// are public and reveal nothing of it:
//
//   H(x) = sha256 of the 32 bytes x;  L = the last day index (from startDate) the child is under 14;
//   C = CHANNEL_POLICY.minorityHorizonDays (past any child's 14th birthday).
//   powerAnchor = H^L(powerSeed)            token of day k <= L: H^(L-k)(powerSeed);  check H^k(token) == powerAnchor
//   ownAnchor   = H^(C-L-1)(ownSeed)         token of day k >  L: H^(k-L-1)(ownSeed);   check H^(C-k)(token) == ownAnchor
//
// A power token for a day after L would be a preimage of powerSeed, an own token for a day up to L
// a preimage of ownSeed: sha256 makes both infeasible, so the chains end and begin exactly at the
// 14th birthday, with no transaction on that day. The representatives' app holds powerSeed, the
// child's app ownSeed (both derived from the issuer's one-time transient chainSeed, never on the
// ledger); a token on the ledger proves only that the act happened on a day it was allowed.

import { createHash, createHmac } from 'node:crypto';
import { birthdayAtAge, daysBetween } from './calendar.js';
import { CHANNEL_POLICY } from './vocabulary.js';

const HORIZON = CHANNEL_POLICY.minorityHorizonDays;

/** One step of a chain: sha256 of the 32 bytes of a hex value, as hex. */
export function chainStep(hex: string): string {
    return createHash('sha256').update(Buffer.from(hex, 'hex')).digest('hex');
}

/** `n` steps of a chain from `hex`. */
export function chainHash(hex: string, n: number): string {
    let x = hex;
    for (let i = 0; i < n; i++) x = chainStep(x);
    return x;
}

export interface MinoritySeeds {
    /** For the representatives' app: in-force tokens. */
    powerSeed: string;
    /** For the child's app: the tokens that end the minority. */
    ownSeed: string;
}

/** The two seeds of a card's chains, from the issuer's transient chainSeed (HMAC-SHA256, as salts are derived). */
export function minoritySeeds(chainSeed: Uint8Array, cardId: string): MinoritySeeds {
    const seed = (label: string) => createHmac('sha256', chainSeed).update(`minority-${label}|${cardId}`).digest('hex');
    return { powerSeed: seed('power'), ownSeed: seed('own') };
}

/** The last day index, counted from `startDate`, on which someone born on `birthDate` is under the minority age (-1: not a minor then). */
export function lastMinorDay(birthDate: string, startDate: string): number {
    return daysBetween(startDate, birthdayAtAge(birthDate, CHANNEL_POLICY.minorityAge)) - 1;
}

export function minorityAnchors(seeds: MinoritySeeds, lastDay: number): { powerAnchor: string; ownAnchor: string } {
    if (!(lastDay >= 0 && lastDay < HORIZON)) throw new RangeError('lastDay is outside the minority horizon');
    return { powerAnchor: chainHash(seeds.powerSeed, lastDay), ownAnchor: chainHash(seeds.ownSeed, HORIZON - lastDay - 1) };
}

/** Steps from `seed` to `anchor`, or undefined if it is not on the seed's chain within the horizon. */
function stepsTo(seed: string, anchor: string): number | undefined {
    let x = seed;
    for (let j = 0; j <= HORIZON; j++) {
        if (x === anchor) return j;
        x = chainStep(x);
    }
    return undefined;
}

/** The representative's app: the in-force token of day `day`, or undefined once the child has turned 14. */
export function powerToken(powerSeed: string, powerAnchor: string, day: number): string | undefined {
    const last = stepsTo(powerSeed, powerAnchor);
    if (last === undefined || day < 0 || day > last) return undefined;
    return chainHash(powerSeed, last - day);
}

/** The child's app: the token that proves on day `day` that the minority has ended, or undefined before the 14th birthday. */
export function ownToken(ownSeed: string, ownAnchor: string, day: number): string | undefined {
    const steps = stepsTo(ownSeed, ownAnchor);
    if (steps === undefined) return undefined;
    const last = HORIZON - steps - 1;
    if (day <= last || day > HORIZON) return undefined;
    return chainHash(ownSeed, day - last - 1);
}

/** Every endorser: is `token` the representative's token of day `day`? */
export function verifyPowerToken(powerAnchor: string, day: number, token: string): boolean {
    return day >= 0 && day <= HORIZON && chainHash(token, day) === powerAnchor;
}

/** Every endorser: does `token` prove on day `day` that the minority has ended? */
export function verifyOwnToken(ownAnchor: string, day: number, token: string): boolean {
    return day >= 0 && day <= HORIZON && chainHash(token, HORIZON - day) === ownAnchor;
}
