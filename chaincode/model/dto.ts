// class-validator DTOs of every transaction's single JSON argument (and of the transient personal
// data). Shared with the REST gateway: parse with parseArgs(), which refuses unknown members.

import 'reflect-metadata';
import { Type } from 'class-transformer';
import {
    ArrayMaxSize,
    ArrayNotEmpty,
    ArrayUnique,
    IsBoolean,
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
import {
    DATA_ITEMS,
    DEFAULT_PAGE_SIZE,
    Decision,
    MAX_PAGE_SIZE,
    BREAK_GLASS_REASONS,
    FINDING_CODES,
    OFFICIAL_TEXT_MAX,
    PREDICATES,
    REASON_CODES,
    REPRESENTATION_ACTS,
    REPRESENTATION_BASES,
    REPRESENTATION_END_REASONS,
    OBJECTION_STATUSES,
    OBJECTION_TEXT_MAX,
    ObjectionStatus,
    REVIEW_STATUSES,
    ReviewStatus,
    SERVICE_BASES,
    type BreakGlassReason,
    type DataItem,
    type FindingCode,
    type PredicateName,
    type ReasonCode,
    type RepresentationAct,
    type RepresentationBasis,
    type RepresentationEndReason,
    type ServiceBasis,
} from './vocabulary.js';
import { SignedAccessLogListRequest, SignedRepresentationListRequest, SignedRepresentativeAccessLogListRequest } from './signed.js';
import { IsCalendarDate, IsInstant, TextLength } from './formats.js';

export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{2,63}$/;
export const MSP_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const DEPT_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const HEX64_PATTERN = /^[0-9a-f]{64}$/;
/** A reference into an org's own records (an incident or decision number): a code, never free text. */
export const REF_PATTERN = /^[A-Z0-9][A-Z0-9-]{2,39}$/;
/** base64 of a DER SubjectPublicKeyInfo (checked further to be P-256 by parseDevicePublicKey). */
export const BASE64_PATTERN = /^[A-Za-z0-9+/]+={0,2}$/;
const BOOKMARK_MAX = 4096;

const idMsg = { message: '$property must match ' + ID_PATTERN.source };

export class PageArgs {
    @IsOptional() @IsInt() @Min(1) @Max(MAX_PAGE_SIZE) pageSize?: number = DEFAULT_PAGE_SIZE;
    @IsOptional() @IsString() @TextLength(0, BOOKMARK_MAX) bookmark?: string = '';
}

// ---- cards ----
export class IssuePersonalRecordArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsString() @Matches(ID_PATTERN, idMsg) subjectId!: string;
}

/** Transient `personal` of IssuePersonalRecord (never a transaction argument). */
export class PersonalDataDto {
    @IsString() @TextLength(1, 200) name!: string;
    @IsString() @IsCalendarDate() birthDate!: string;
    @IsString() @TextLength(1, 500) address!: string;
    @IsString() @TextLength(1, 100) district!: string;
    @IsString() @Matches(/^[0-9]{6}-[0-9]{7}$/) residentNumber!: string;
    @IsBoolean() disability!: boolean;
    @IsBoolean() lowIncome!: boolean;
    @IsBoolean() multiChildFamily!: boolean;
    @IsBoolean() seoulResident!: boolean;
}

export class CommitmentsDto {
    @Matches(HEX64_PATTERN) name!: string;
    @Matches(HEX64_PATTERN) birthDate!: string;
    @Matches(HEX64_PATTERN) address!: string;
    @Matches(HEX64_PATTERN) district!: string;
    @Matches(HEX64_PATTERN) residentNumber!: string;
    @Matches(HEX64_PATTERN) disability!: string;
    @Matches(HEX64_PATTERN) lowIncome!: string;
    @Matches(HEX64_PATTERN) multiChildFamily!: string;
    @Matches(HEX64_PATTERN) seoulResident!: string;
}

export class CreateCardArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsString() @Matches(ID_PATTERN, idMsg) subjectId!: string;
    @IsString() @Length(40, 400) @Matches(BASE64_PATTERN) devicePublicKey!: string;
    @IsInt() @Min(1) @Max(10) validityYears!: number;
    @IsObject() @ValidateNested() @Type(() => CommitmentsDto) commitments!: CommitmentsDto;
}

export class CardIdArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
}

export class CardStatusArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsIn(REASON_CODES) reason!: ReasonCode;
}

export class RenewCardArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsInt() @Min(1) @Max(10) validityYears!: number;
}

export class RotateKeyByIssuerArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsString() @Length(40, 400) @Matches(BASE64_PATTERN) newDevicePublicKey!: string;
    @IsIn(REASON_CODES) reason!: ReasonCode;
}

// ---- services ----
export class RegisterServiceArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) serviceId!: string;
    @IsString() @Matches(MSP_ID_PATTERN) ownerMspId!: string;
    @IsString() @Matches(DEPT_PATTERN) dept!: string;
    @IsString() @TextLength(1, 200) name!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @IsOptional() @IsString() @TextLength(1, 500) legalBasis?: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
    /** investigation or emergency (needs legalBasis and a national service admin); absent for an ordinary service. */
    @IsOptional() @IsIn(SERVICE_BASES) basis?: ServiceBasis;
}

export class UpdateServiceArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) serviceId!: string;
    @IsString() @TextLength(1, 200) name!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @IsOptional() @IsString() @TextLength(1, 500) legalBasis?: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
}

export class ServiceIdArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) serviceId!: string;
}

export class ListServicesArgs extends PageArgs {
    @IsOptional() @IsString() @Matches(MSP_ID_PATTERN) ownerMspId?: string;
}

// ---- consents ----
export class ConsentIdArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) consentId!: string;
}

export class ListConsentsByCardArgs extends PageArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
}

export class ListConsentsByRecipientArgs extends PageArgs {
    @IsString() @Matches(MSP_ID_PATTERN) recipientMspId!: string;
}

// ---- access ----
export class PredicateRequestDto {
    @IsIn(PREDICATES) name!: PredicateName;
    /** Only for ageAtLeast: the age in years. */
    @IsOptional() @IsInt() @Min(0) @Max(150) value?: number;
}

/**
 * What tells two asked predicates apart (name, and value for ageAtLeast): one asked twice is
 * refused. Called before the elements are validated, so it must take any JSON value.
 */
export const predicateId = (p: unknown): string => {
    if (p === null || typeof p !== 'object') return `${typeof p}:${String(p)}`;
    const { name, value } = p as { name?: unknown; value?: unknown };
    return value === undefined ? String(name) : `${String(name)}:${String(value)}`;
};

/** What every access request asks: a card, through a service, for a purpose, items and predicates. */
export abstract class AccessAskArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsString() @Matches(ID_PATTERN, idMsg) serviceId!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayMaxSize(PREDICATES.length)
    @ArrayUnique(predicateId)
    @ValidateNested({ each: true })
    @Type(() => PredicateRequestDto)
    predicates!: PredicateRequestDto[];
}

export class RequestAccessArgs extends AccessAskArgs {
    @IsOptional() @IsString() @Matches(ID_PATTERN, idMsg) consentId?: string;
}

/** An investigation service's access whose entry is hidden from the citizen until `sealedUntil`. */
export class RequestSealedAccessArgs extends AccessAskArgs {
    /** After the transaction time, and at most CHANNEL_POLICY.sealMaxDays after it (SEAL_TOO_LONG). */
    @IsInstant() sealedUntil!: string;
}

export class AccessIdArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) accessId!: string;
}

export class ListAccessByCardArgs extends PageArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
}

/** A citizen's own listing: the device-signed request plus (unsigned) paging. */
export class ListMyAccessArgs extends PageArgs {
    @IsObject() @ValidateNested() @Type(() => SignedAccessLogListRequest) request!: SignedAccessLogListRequest;
}

export class ListAccessByCallerArgs extends PageArgs {
    @IsString() @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsOptional() @IsString() @Matches(DEPT_PATTERN) dept?: string;
    @IsInstant() from!: string;
    @IsInstant() to!: string;
    @IsOptional() @IsIn([Decision.GRANTED, Decision.DENIED]) decision?: Decision;
}

/**
 * An emergency service's access without consent. Without `reasonCode` and `incidentRef` it is a
 * committed DENIED entry (BREAK_GLASS_REASON_REQUIRED), not a malformed request: the attempt is logged.
 */
export class RequestEmergencyAccessArgs extends AccessAskArgs {
    @IsOptional() @IsIn(BREAK_GLASS_REASONS) reasonCode?: BreakGlassReason;
    /** The department's own incident record (its details stay there, off the shared ledger). */
    @IsOptional() @IsString() @Matches(REF_PATTERN) incidentRef?: string;
}

/** A representative lists the represented citizen's log (scope viewLog), signed by the representative's key. */
export class ListAccessAsRepresentativeArgs extends PageArgs {
    @IsObject() @ValidateNested() @Type(() => SignedRepresentativeAccessLogListRequest) request!: SignedRepresentativeAccessLogListRequest;
}

// ---- legal representatives (issue 24) ----
export class RecordMinorityArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsString() @IsCalendarDate() startDate!: string;
    @IsString() @Matches(HEX64_PATTERN) powerAnchor!: string;
    @IsString() @Matches(HEX64_PATTERN) ownAnchor!: string;
}

export class RecordRepresentationArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) representationId!: string;
    @IsString() @Matches(ID_PATTERN, idMsg) representedCardId!: string;
    @IsString() @Matches(ID_PATTERN, idMsg) representativeCardId!: string;
    @IsIn(REPRESENTATION_BASES) basis!: RepresentationBasis;
    @ArrayNotEmpty()
    @ArrayUnique()
    @ArrayMaxSize(REPRESENTATION_ACTS.length)
    @IsIn(REPRESENTATION_ACTS, { each: true })
    scope!: RepresentationAct[];
    /** GUARDIANSHIP only (required): the instant the court's guardianship ends. */
    @IsOptional() @IsInstant() endsAt?: string;
}

export class RepresentationIdArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) representationId!: string;
}

export class RevokeRepresentationArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) representationId!: string;
    @IsIn(REPRESENTATION_END_REASONS) reason!: RepresentationEndReason;
}

export const REPRESENTATION_SIDES = ['representative', 'represented'] as const;
export type RepresentationSide = (typeof REPRESENTATION_SIDES)[number];

export class ListRepresentationsByCardArgs extends PageArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
    @IsIn(REPRESENTATION_SIDES) side!: RepresentationSide;
}

/** The signer's own representations: those they hold (default) or those held for them. */
export class ListMyRepresentationsArgs extends PageArgs {
    @IsObject() @ValidateNested() @Type(() => SignedRepresentationListRequest) request!: SignedRepresentationListRequest;
    @IsOptional() @IsIn(REPRESENTATION_SIDES) side?: RepresentationSide;
}

// ---- objections (issue 24) ----
/** Transient `objectionText` of PrepareObjection (never a transaction argument). */
export class ObjectionTextDto {
    @IsString() @TextLength(1, OBJECTION_TEXT_MAX) text!: string;
    /** >= 16 random bytes, base64url: the hash of a short text must not be guessable. */
    @IsString() @Matches(/^[A-Za-z0-9_-]{22,128}$/) salt!: string;
}

export class ObjectionIdArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) objectionId!: string;
}

export class RecordFindingArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) objectionId!: string;
    @IsIn([ObjectionStatus.UPHELD, ObjectionStatus.REJECTED]) outcome!: typeof ObjectionStatus.UPHELD | typeof ObjectionStatus.REJECTED;
    @IsIn(FINDING_CODES) findingCode!: FindingCode;
    /** The audit office's answer: public, screened (model/text.ts). */
    @IsString() @TextLength(1, OFFICIAL_TEXT_MAX) text!: string;
}

export class ListObjectionsByStatusArgs extends PageArgs {
    @IsIn(OBJECTION_STATUSES) status!: ObjectionStatus;
}

export class ListObjectionsByCardArgs extends PageArgs {
    @IsString() @Matches(ID_PATTERN, idMsg) cardId!: string;
}

export class ListObjectionsByCallerArgs extends PageArgs {
    @IsString() @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsOptional() @IsString() @Matches(DEPT_PATTERN) dept?: string;
}

// ---- oversight (issue 24) ----
export class ReviewIdArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) reviewId!: string;
}

export class ListReviewsArgs extends PageArgs {
    @IsIn(REVIEW_STATUSES) status!: ReviewStatus;
}

export class DecideReviewArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) reviewId!: string;
    @IsIn([ReviewStatus.CLEARED, ReviewStatus.UPHELD]) outcome!: typeof ReviewStatus.CLEARED | typeof ReviewStatus.UPHELD;
    @IsIn(FINDING_CODES) findingCode!: FindingCode;
    @IsOptional() @IsString() @TextLength(1, OFFICIAL_TEXT_MAX) text?: string;
}

export class DeptArgs {
    @IsString() @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsString() @Matches(DEPT_PATTERN) dept!: string;
}

export class ClearBreakGlassArgs extends DeptArgs {
    @IsString() @Matches(REF_PATTERN) decisionRef!: string;
}

export class ExtendSealArgs {
    @IsString() @Matches(/^[0-9a-f]{64}$/) accessId!: string;
    /** Later than the current seal date, and at most CHANNEL_POLICY.sealMaxDays after the transaction time. */
    @IsInstant() sealedUntil!: string;
    /** The reference of the audit office's decision to extend. */
    @IsString() @Matches(REF_PATTERN) decisionRef!: string;
}

// ---- transparency report (issue 24) ----
export class ReportMonthArgs {
    /** A Seoul calendar month, `YYYY-MM`. */
    @IsString() @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/) month!: string;
}

// ---- audit ----
export const HISTORY_KINDS = ['card', 'service', 'consent', 'access', 'seal', 'review', 'minority', 'representation', 'objection'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

export class HistoryArgs {
    @IsIn(HISTORY_KINDS) kind!: HistoryKind;
    @IsString() @Matches(ID_PATTERN, idMsg) id!: string;
}

export class CountAccessArgs {
    @IsString() @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsOptional() @IsString() @Matches(DEPT_PATTERN) dept?: string;
    @IsInstant() from!: string;
    @IsInstant() to!: string;
}
