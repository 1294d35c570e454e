// Documents a citizen's device key signs, and how. The signed bytes are the UTF-8 canonical JSON
// (canonical.ts) of `document`; the signature is ECDSA P-256 with SHA-256, DER-encoded, base64.
// The device public key is a base64 DER SubjectPublicKeyInfo of a P-256 (prime256v1) key.

import 'reflect-metadata';
import { createPrivateKey, createPublicKey, createHash, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Type } from 'class-transformer';
import {
    ArrayMaxSize,
    ArrayUnique,
    Equals,
    IsIn,
    IsInt,
    IsObject,
    IsOptional,
    IsString,
    Length,
    Matches,
    Max,
    Min,
    ValidateNested,
} from 'class-validator';
import { canonicalBytes } from './canonical.js';
import { IsInstant, TextLength } from './formats.js';
import { DATA_ITEMS, PREDICATES, REASON_CODES, type DataItem, type PredicateName, type ReasonCode } from './vocabulary.js';

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/;
const MSP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** 16 to 128 URL-safe characters; each (card, nonce) is accepted once (replay protection). */
export const NONCE_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const SignedType = {
    CONSENT_RECEIPT: 'ConsentReceipt',
    CONSENT_WITHDRAWAL: 'ConsentWithdrawal',
    CARD_SUSPENSION: 'CardSuspension',
    KEY_ROTATION: 'KeyRotation',
    ACCESS_LOG_LIST_REQUEST: 'AccessLogListRequest',
    AUTH_CHALLENGE: 'AuthChallenge',
    // issue 24: legal representatives (signed by the representative's own device key)
    REPRESENTATIVE_CONSENT_RECEIPT: 'RepresentativeConsentReceipt',
    REPRESENTATIVE_CONSENT_WITHDRAWAL: 'RepresentativeConsentWithdrawal',
    REPRESENTATIVE_ACCESS_LOG_LIST_REQUEST: 'RepresentativeAccessLogListRequest',
    REPRESENTATION_LIST_REQUEST: 'RepresentationListRequest',
    /** Signed by the child's own key with the token that proves the 14th birthday has come. */
    MINORITY_END: 'MinorityEnd',
    /** A citizen's (or a representative's) objection to an access entry. */
    OBJECTION: 'Objection',
} as const;
export type SignedType = (typeof SignedType)[keyof typeof SignedType];

/** Members common to every signed document. */
abstract class SignedDocBase {
    @IsString() @Matches(ID) cardId!: string;
    @IsString() @Matches(NONCE_PATTERN) nonce!: string;
    /** The signer's clock; must be within SIGNED_REQUEST_MAX_AGE_SECONDS of the tx time. */
    @IsInstant() issuedAt!: string;
}

/** Consent: card, service, recipient org, purpose, items, predicates, retention, nonce, time. */
export class ConsentReceiptDoc extends SignedDocBase {
    @Equals(SignedType.CONSENT_RECEIPT) type!: typeof SignedType.CONSENT_RECEIPT;
    @IsString() @Matches(ID) serviceId!: string;
    @IsString() @Matches(MSP_ID) recipientMspId!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
    @IsInt() @Min(1) @Max(3650) retentionDays!: number;
}

export class ConsentWithdrawalDoc extends SignedDocBase {
    @Equals(SignedType.CONSENT_WITHDRAWAL) type!: typeof SignedType.CONSENT_WITHDRAWAL;
    @IsString() @Matches(ID) consentId!: string;
}

/** Lost or stolen device: the citizen suspends the card with the (still held or backed-up) key. */
export class CardSuspensionDoc extends SignedDocBase {
    @Equals(SignedType.CARD_SUSPENSION) type!: typeof SignedType.CARD_SUSPENSION;
    @IsIn(REASON_CODES) reason!: ReasonCode;
}

/** Signed by the OLD device key. */
export class KeyRotationDoc extends SignedDocBase {
    @Equals(SignedType.KEY_ROTATION) type!: typeof SignedType.KEY_ROTATION;
    @IsString() @Length(40, 400) @Matches(B64) newDevicePublicKey!: string;
}

export class AccessLogListRequestDoc extends SignedDocBase {
    @Equals(SignedType.ACCESS_LOG_LIST_REQUEST) type!: typeof SignedType.ACCESS_LOG_LIST_REQUEST;
}

/** A verifier's challenge: `nonce` is the verifier's random challenge. */
export class AuthChallengeDoc extends SignedDocBase {
    @Equals(SignedType.AUTH_CHALLENGE) type!: typeof SignedType.AUTH_CHALLENGE;
    @IsString() @Matches(MSP_ID) verifierMspId!: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

/**
 * A representative's document: `cardId` is the REPRESENTATIVE's own card (its device key signs,
 * and the nonce is recorded under it), acting for `representedCardId` under `representationId`.
 * For a MINOR_UNDER_14 representation `minorityToken` is today's in-force token (model/minority.ts).
 */
abstract class RepresentativeDocBase extends SignedDocBase {
    @IsString() @Matches(ID) representationId!: string;
    @IsString() @Matches(ID) representedCardId!: string;
    @IsOptional() @IsString() @Matches(HEX64) minorityToken?: string;
}

/** A consent a representative gives for the represented citizen: the members of a ConsentReceipt. */
export class RepresentativeConsentReceiptDoc extends RepresentativeDocBase {
    @Equals(SignedType.REPRESENTATIVE_CONSENT_RECEIPT) type!: typeof SignedType.REPRESENTATIVE_CONSENT_RECEIPT;
    @IsString() @Matches(ID) serviceId!: string;
    @IsString() @Matches(MSP_ID) recipientMspId!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
    @IsInt() @Min(1) @Max(3650) retentionDays!: number;
}

export class RepresentativeConsentWithdrawalDoc extends RepresentativeDocBase {
    @Equals(SignedType.REPRESENTATIVE_CONSENT_WITHDRAWAL) type!: typeof SignedType.REPRESENTATIVE_CONSENT_WITHDRAWAL;
    @IsString() @Matches(ID) consentId!: string;
}

export class RepresentativeAccessLogListRequestDoc extends RepresentativeDocBase {
    @Equals(SignedType.REPRESENTATIVE_ACCESS_LOG_LIST_REQUEST) type!: typeof SignedType.REPRESENTATIVE_ACCESS_LOG_LIST_REQUEST;
}

/** A person lists the representations they hold (or that are held for them): `cardId` is their own card. */
export class RepresentationListRequestDoc extends SignedDocBase {
    @Equals(SignedType.REPRESENTATION_LIST_REQUEST) type!: typeof SignedType.REPRESENTATION_LIST_REQUEST;
}

export class MinorityEndDoc extends SignedDocBase {
    @Equals(SignedType.MINORITY_END) type!: typeof SignedType.MINORITY_END;
    /** The child's own-chain token of today (model/minority.ts ownToken). */
    @IsString() @Matches(HEX64) ownToken!: string;
}

/**
 * An objection to an entry of the card's log. The text is not in it: `textHash` =
 * textCommitment(text, salt) (model/commitments.ts); the text and salt travel as transient data to
 * the issuer's peer (PrepareObjection). Signed by the card's own key, or by a representative's
 * (then `cardId` is the representative's card and the representation members are given).
 */
export class ObjectionDoc extends SignedDocBase {
    @Equals(SignedType.OBJECTION) type!: typeof SignedType.OBJECTION;
    @IsString() @Matches(HEX64) accessId!: string;
    @IsString() @Matches(HEX64) textHash!: string;
    @IsOptional() @IsString() @Matches(ID) representationId?: string;
    @IsOptional() @IsString() @Matches(ID) representedCardId?: string;
    @IsOptional() @IsString() @Matches(HEX64) minorityToken?: string;
}

const SIG = { min: 8, max: 200 };

export class SignedConsentReceipt {
    @IsObject() @ValidateNested() @Type(() => ConsentReceiptDoc) document!: ConsentReceiptDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedConsentWithdrawal {
    @IsObject() @ValidateNested() @Type(() => ConsentWithdrawalDoc) document!: ConsentWithdrawalDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedCardSuspension {
    @IsObject() @ValidateNested() @Type(() => CardSuspensionDoc) document!: CardSuspensionDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedKeyRotation {
    @IsObject() @ValidateNested() @Type(() => KeyRotationDoc) document!: KeyRotationDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedAccessLogListRequest {
    @IsObject() @ValidateNested() @Type(() => AccessLogListRequestDoc) document!: AccessLogListRequestDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedAuthChallenge {
    @IsObject() @ValidateNested() @Type(() => AuthChallengeDoc) document!: AuthChallengeDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}

export class SignedRepresentativeConsentReceipt {
    @IsObject() @ValidateNested() @Type(() => RepresentativeConsentReceiptDoc) document!: RepresentativeConsentReceiptDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedRepresentativeConsentWithdrawal {
    @IsObject() @ValidateNested() @Type(() => RepresentativeConsentWithdrawalDoc) document!: RepresentativeConsentWithdrawalDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedRepresentativeAccessLogListRequest {
    @IsObject() @ValidateNested() @Type(() => RepresentativeAccessLogListRequestDoc) document!: RepresentativeAccessLogListRequestDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedRepresentationListRequest {
    @IsObject() @ValidateNested() @Type(() => RepresentationListRequestDoc) document!: RepresentationListRequestDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}
export class SignedMinorityEnd {
    @IsObject() @ValidateNested() @Type(() => MinorityEndDoc) document!: MinorityEndDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}

export class SignedObjection {
    @IsObject() @ValidateNested() @Type(() => ObjectionDoc) document!: ObjectionDoc;
    @IsString() @Length(SIG.min, SIG.max) @Matches(B64) signature!: string;
}

/** What every representative document has, for the power check. */
export type RepresentativeDoc = RepresentativeDocBase;

/** The exact bytes the device key signs. */
export function signedBytes(document: object): Buffer {
    return canonicalBytes(document);
}

/** sha256 hex of the signed bytes (a consent's receiptHash). */
export function documentHash(document: object): string {
    return createHash('sha256').update(signedBytes(document)).digest('hex');
}

/** Parses a device public key; undefined unless it is a P-256 SubjectPublicKeyInfo. */
export function parseDevicePublicKey(spkiBase64: string): KeyObject | undefined {
    try {
        const key = createPublicKey({ key: Buffer.from(spkiBase64, 'base64'), format: 'der', type: 'spki' });
        if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return undefined;
        return key;
    } catch {
        return undefined;
    }
}

/** Verifies a DER/base64 ECDSA-SHA256 signature over signedBytes(document). */
export function verifyDeviceSignature(spkiBase64: string, document: object, signatureBase64: string): boolean {
    const key = parseDevicePublicKey(spkiBase64);
    if (!key) return false;
    try {
        return nodeVerify('sha256', signedBytes(document), { key, dsaEncoding: 'der' }, Buffer.from(signatureBase64, 'base64'));
    } catch {
        return false;
    }
}

/** What the citizen app does (and the tests): sign a document with the device's private key. */
export function signDocument<T extends object>(document: T, privateKey: KeyObject | string): { document: T; signature: string } {
    const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
    const signature = nodeSign('sha256', signedBytes(document), { key, dsaEncoding: 'der' });
    return { document, signature: signature.toString('base64') };
}

/** base64 DER SPKI of a public key (the format of CitizenCard.devicePublicKey). */
export function exportDevicePublicKey(publicKey: KeyObject): string {
    return publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
}
