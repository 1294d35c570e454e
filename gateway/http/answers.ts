// What the gateway answers, as classes: the OpenAPI document's success and problem schemas are
// generated from them (schemas.ts), and the tests validate every real answer against them, strictly
// (no member they do not name). The ledger's assets follow chaincode/model/assets.ts and the Fabric
// views gateway/fabric/types.ts member for member: `sameMembers` below fails the build when a class
// and its interface name different members, or disagree on which are optional.
import 'reflect-metadata';
import { plainToInstance, Type, type ClassConstructor } from 'class-transformer';
import {
    ArrayMaxSize,
    ArrayUnique,
    Allow,
    Equals,
    getMetadataStorage,
    IsArray,
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
    registerDecorator,
    ValidateNested,
} from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import {
    BASE64_PATTERN,
    BREAK_GLASS_REASONS,
    CardStatus,
    CommitmentsDto,
    ConsentStatus,
    DATA_ITEMS,
    Decision,
    DENIAL_REASONS,
    DEPT_PATTERN,
    GRANT_BASES,
    HEX64_PATTERN,
    HISTORY_KINDS,
    ID_PATTERN,
    MAX_PAGE_SIZE,
    MSP_ID_PATTERN,
    PersonalDataDto,
    PREDICATES,
    PredicateRequestDto,
    predicateId,
    REASON_CODES,
    REF_PATTERN,
    SERVICE_BASES,
    ServiceStatus,
    SignedConsentReceipt,
    SignedConsentWithdrawal,
    SignedObjection,
    SignedRepresentativeConsentReceipt,
    SignedRepresentativeConsentWithdrawal,
    CHANNEL_POLICY,
    FINDING_CODES,
    IsCalendarDate,
    MinorityStatus,
    OBJECTION_STATUSES,
    OFFICIAL_TEXT_MAX,
    OBJECTION_TEXT_MAX,
    REPORT_BASES,
    REPORT_METRICS,
    REPRESENTATION_ACTS,
    REPRESENTATION_BASES,
    REPRESENTATION_END_REASONS,
    RepresentationStatus,
    REVIEW_STATUSES,
    TextLength,
    type AccessCounts as AccessCountsShape,
    type AccessLogRecord as AccessLogRecordShape,
    type BreakGlassState as BreakGlassStateShape,
    type Finding as FindingShape,
    type FindingCode,
    type Minority as MinorityShape,
    type Objection as ObjectionShape,
    type ObjectionStatus,
    type ReportBasis,
    type ReportRow as ReportRowShape,
    type RepresentationAct,
    type RepresentationBasis,
    type RepresentationEndReason,
    type Representation as RepresentationShape,
    type RepresentativeActEntry as RepresentativeActEntryShape,
    type Review as ReviewShape,
    type ReviewStatus,
    type Seal as SealShape,
    type SealExtension as SealExtensionShape,
    type TransparencyReport as TransparencyReportShape,
    type BreakGlassReason,
    type ServiceBasis,
    type AccessLogEntry as AccessLogEntryShape,
    type CitizenCard as CitizenCardShape,
    type Consent as ConsentShape,
    type DataItem,
    type GrantedData as GrantedDataShape,
    type HistoryEntry as HistoryEntryShape,
    type HistoryKind,
    type Page,
    type PredicateName,
    type ReasonCode,
    type Service as ServiceShape,
    validateStrict,
} from '../../chaincode/model';
import type { ProblemDocument } from '../errors';
import type {
    BlockTransaction as BlockTransactionShape,
    BlockView as BlockViewShape,
    ChainInfo as ChainInfoShape,
    TransactionProof as TransactionProofShape,
    TransactionSummary as TransactionSummaryShape,
} from '../fabric/types';
import { MAX_BLOCK_RANGE } from './dto';

// ---- compile-time checks against the shapes the chaincode and the Fabric layer declare ----

type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type Same<A, B> = [Exclude<A, B>, Exclude<B, A>] extends [never, never] ? true : false;
/** Compiles only when the class and the interface name the same members, the same ones required. */
function sameMembers<C, I>(
    ..._: Same<keyof C, keyof I> extends true ? (Same<RequiredKeys<C>, RequiredKeys<I>> extends true ? [] : [never]) : [never]
): void {}

// ---- value formats of answers ----

/** An instant as the ledger writes it: Date.toISOString (UTC, milliseconds). */
export const LEDGER_INSTANT = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$/;
/** A block or transaction position: a uint64 in decimal. */
export const UINT64_DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;
/** A Fabric transaction id (hex SHA-256 of nonce and creator). */
const TX_ID = HEX64_PATTERN;
/** A stable problem code. */
export const CODE_PATTERN = /^[A-Z][A-Z0-9_]*$/;
/** The key of a predicate's answer: the predicate's name, with the age for ageAtLeast. */
export const PREDICATE_ANSWER_KEY = new RegExp(`^(?:ageAtLeast:[0-9]{1,3}|${PREDICATES.filter((p) => p !== 'ageAtLeast').join('|')})$`);
/** What an access-log entry's `reason` may be: its basis when GRANTED, the refusing rule's code when DENIED. */
export const ACCESS_REASONS: readonly string[] = [...GRANT_BASES, ...DENIAL_REASONS];

const Instant = (): PropertyDecorator => (target, key) => {
    Matches(LEDGER_INSTANT)(target, key as string);
    JSONSchema({ format: 'date-time' })(target, key as string);
};
/** An instant as Fabric's header gives it, or '' where a transaction carries none. */
const InstantOrEmpty = (): PropertyDecorator => Matches(new RegExp(`^(?:${LEDGER_INSTANT.source.slice(1, -1)})?$`));
const HexHash = (): PropertyDecorator => Matches(HEX64_PATTERN);
/** A SHA-256 hash in hex, or '' (the genesis block has no previous hash). */
const HexHashOrEmpty = (): PropertyDecorator => Matches(/^(?:[0-9a-f]{64})?$/);
const MspIdOrEmpty = (): PropertyDecorator => Matches(new RegExp(`^(?:${MSP_ID_PATTERN.source.slice(1, -1)})?$`));

/** Names of the answer-only constraints, for their JSON Schemas (schemas.ts). */
export const ANSWER_CONSTRAINT = { record: 'isRecord', oneOf: 'isOneOfClasses' } as const;

/** What a record's values are: booleans, strings, any JSON objects (open-ended), or objects of an answer class. */
export type RecordValue = 'boolean' | 'string' | 'object' | ClassConstructor<object>;

function recordValueOk(value: unknown, of: RecordValue): boolean {
    if (of === 'boolean') return typeof value === 'boolean';
    if (of === 'string') return typeof value === 'string';
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
    return of === 'object' || strictErrors(of, value).length === 0;
}

/**
 * An object used as a map: every key matches `keys`, every value is `of`. (OpenAPI 3.0 cannot state
 * the key pattern, so the document says it in `x-key-pattern`.)
 */
export function IsRecord(keys: RegExp, of: RecordValue): PropertyDecorator {
    return (target, propertyName) =>
        registerDecorator({
            name: ANSWER_CONSTRAINT.record,
            target: target.constructor,
            propertyName: propertyName as string,
            constraints: [keys, of],
            options: { message: `$property must be an object whose keys match ${keys.source}` },
            validator: {
                validate: (value: unknown) =>
                    value !== null &&
                    typeof value === 'object' &&
                    !Array.isArray(value) &&
                    Object.entries(value).every(([k, v]) => keys.test(k) && recordValueOk(v, of)),
            },
        });
}

/**
 * A value that is an object of exactly one of `classes` (checked strictly), e.g. a consent's receipt
 * signed by the citizen or by a representative; `each` for the elements of an array. The document
 * states it as a oneOf of the classes' schemas.
 */
export function IsOneOf(classes: ClassConstructor<object>[], options: { each?: boolean } = {}): PropertyDecorator {
    return (target, propertyName) =>
        registerDecorator({
            name: ANSWER_CONSTRAINT.oneOf,
            target: target.constructor,
            propertyName: propertyName as string,
            constraints: classes,
            options: { message: `$property must be one of ${classes.map((c) => c.name).join(', ')}`, each: options.each },
            validator: {
                validate: (value: unknown) =>
                    value !== null &&
                    typeof value === 'object' &&
                    !Array.isArray(value) &&
                    classes.filter((c) => strictErrors(c, value).length === 0).length === 1,
            },
        });
}

/**
 * A class with the members of `source`, each optional, with the same rules (e.g. the granted items:
 * any of the personal data, each as the issuer validated it). Copies class-validator's metadata.
 */
function optionalCopyOf(source: ClassConstructor<object>, name: string): ClassConstructor<object> {
    const copy = class {};
    Object.defineProperty(copy, 'name', { value: name });
    const storage = getMetadataStorage();
    const metas = storage.getTargetValidationMetadatas(source, '', true, false);
    for (const m of metas) storage.addValidationMetadata(Object.assign(Object.create(Object.getPrototypeOf(m)), m, { target: copy }));
    for (const property of new Set(metas.map((m) => m.propertyName))) IsOptional()(copy.prototype, property);
    return copy;
}

/** The validation errors of a plain value against an answer class, strictly (as the gateway validates requests). */
export function strictErrors(cls: ClassConstructor<object>, plain: object) {
    return validateStrict(plainToInstance(cls, plain) as object);
}

// ---- the ledger's assets (chaincode/model/assets.ts) ----

export class CitizenCard {
    @Equals('card') docType!: 'card';
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(ID_PATTERN) subjectId!: string;
    @IsIn(Object.values(CardStatus)) status!: CardStatus;
    @Instant() issuedAt!: string;
    @Instant() expiresAt!: string;
    @IsString() @Length(40, 400) @Matches(BASE64_PATTERN) devicePublicKey!: string;
    /** One salted commitment per personal attribute (the card holds no personal data). */
    @IsObject() @ValidateNested() @Type(() => CommitmentsDto) commitments!: CommitmentsDto;
    @IsOptional() @IsIn(REASON_CODES) statusReason?: ReasonCode;
    @IsOptional() @Instant() erasedAt?: string;
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<CitizenCard, CitizenCardShape>();

export class Service {
    @Equals('service') docType!: 'service';
    @Matches(ID_PATTERN) serviceId!: string;
    @Matches(MSP_ID_PATTERN) ownerMspId!: string;
    @Matches(DEPT_PATTERN) dept!: string;
    @IsString() @TextLength(1, 200) name!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @IsOptional() @IsString() @TextLength(1, 500) legalBasis?: string;
    /** A special basis (investigation: sealed accesses; emergency: break-glass); absent for an ordinary service. */
    @IsOptional() @IsIn(SERVICE_BASES) basis?: ServiceBasis;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
    @IsIn(Object.values(ServiceStatus)) status!: ServiceStatus;
    @Instant() createdAt!: string;
    @Instant() updatedAt!: string;
    @IsInt() @Min(1) version!: number;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Service, ServiceShape>();

/** Which representation and which representative's card acted. */
export class RepresentativeRef {
    @Matches(ID_PATTERN) representationId!: string;
    @Matches(ID_PATTERN) representativeCardId!: string;
}
sameMembers<RepresentativeRef, NonNullable<ConsentShape['representation']>>();

/** A break-glass access's flag: the stated reason (a code and the department's incident reference), and the review case. */
export class BreakGlassFlag {
    /** Absent on a DENIED BREAK_GLASS_REASON_REQUIRED entry (the attempt without a reason). */
    @IsOptional() @IsIn(BREAK_GLASS_REASONS) reasonCode?: BreakGlassReason;
    @IsOptional() @IsString() @Matches(REF_PATTERN) incidentRef?: string;
    /** The review case a GRANTED break-glass access opened. */
    @IsOptional() @Matches(TX_ID) reviewId?: string;
}
sameMembers<BreakGlassFlag, NonNullable<AccessLogEntryShape['breakGlass']>>();

export class Consent {
    @Equals('consent') docType!: 'consent';
    /** The hash of the signed receipt. */
    @Matches(HEX64_PATTERN) consentId!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(ID_PATTERN) serviceId!: string;
    @Matches(MSP_ID_PATTERN) recipientMspId!: string;
    @Matches(DEPT_PATTERN) recipientDept!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayUnique() @ArrayMaxSize(PREDICATES.length) @IsIn(PREDICATES, { each: true }) predicates!: PredicateName[];
    @IsInt() @Min(1) @Max(3650) retentionDays!: number;
    /** EXPIRED is derived when read, from expiresAt and the transaction time. */
    @IsIn(Object.values(ConsentStatus)) status!: ConsentStatus;
    @Instant() grantedAt!: string;
    @Instant() expiresAt!: string;
    @IsOptional() @Instant() withdrawnAt?: string;
    @Matches(HEX64_PATTERN) receiptHash!: string;
    /** The receipt as the device signed it: the citizen's, or a legal representative's (then `representation` says who). */
    @IsOneOf([SignedConsentReceipt, SignedRepresentativeConsentReceipt]) receipt!:
        | SignedConsentReceipt
        | SignedRepresentativeConsentReceipt;
    /** The withdrawal as the device signed it: the citizen's, or a representative's (`withdrawnByRepresentation`). */
    @IsOptional() @IsOneOf([SignedConsentWithdrawal, SignedRepresentativeConsentWithdrawal]) withdrawal?:
        | SignedConsentWithdrawal
        | SignedRepresentativeConsentWithdrawal;
    /** A consent a legal representative gave for the citizen. */
    @IsOptional() @IsObject() @ValidateNested() @Type(() => RepresentativeRef) representation?: RepresentativeRef;
    /** A withdrawal by a legal representative. */
    @IsOptional() @IsObject() @ValidateNested() @Type(() => RepresentativeRef) withdrawnByRepresentation?: RepresentativeRef;
    @IsInt() @Min(1) version!: number;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Consent, ConsentShape>();

export class AccessLogEntry {
    @Equals('access') docType!: 'access';
    /** The id of the transaction that logged it. */
    @Matches(TX_ID) accessId!: string;
    @Matches(TX_ID) txId!: string;
    @Instant() timestamp!: string;
    @IsIn(Object.values(Decision)) decision!: Decision;
    /** GRANTED: its basis (CONSENT, LEGAL_BASIS); DENIED: the code of the rule that refused it. */
    @IsIn(ACCESS_REASONS) reason!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(ID_PATTERN) serviceId!: string;
    @Matches(MSP_ID_PATTERN) callerMspId!: string;
    @Matches(DEPT_PATTERN) callerDept!: string;
    /** The caller's certificate: x509::<subject>::<issuer>. */
    @Matches(/^x509::.+::.+$/) callerId!: string;
    @IsString() @TextLength(1, 500) purpose!: string;
    @ArrayUnique() @ArrayMaxSize(DATA_ITEMS.length) @IsIn(DATA_ITEMS, { each: true }) items!: DataItem[];
    @ArrayMaxSize(PREDICATES.length)
    @ArrayUnique(predicateId)
    @ValidateNested({ each: true })
    @Type(() => PredicateRequestDto)
    predicates!: PredicateRequestDto[];
    @IsOptional() @Matches(ID_PATTERN) consentId?: string;
    /** The service's legal basis a LEGAL_BASIS grant rests on. */
    @IsOptional() @IsString() @TextLength(1, 500) legalBasis?: string;
    /** Made under seal by an investigation service: hidden from the citizen until its seal's date. */
    @IsOptional() @Equals(true) sealed?: true;
    /** A break-glass access: flagged, shown to the citizen at once, reviewed by the audit office. */
    @IsOptional() @IsObject() @ValidateNested() @Type(() => BreakGlassFlag) breakGlass?: BreakGlassFlag;
    /** Made through a sealed (investigation) or an emergency request. */
    @IsOptional() @IsIn(SERVICE_BASES) requestedBasis?: 'investigation' | 'emergency';
}
sameMembers<AccessLogEntry, AccessLogEntryShape>();

/** An entry as a card's log lists it: a sealed one with its seal's current date. */
export class AccessLogRecord extends AccessLogEntry {
    /** A sealed entry: the date its seal holds until (the citizen sees it from then on). */
    @IsOptional() @Instant() sealedUntil?: string;
}
sameMembers<AccessLogRecord, AccessLogRecordShape>();

/** A legal representative's act, in the represented citizen's log. */
export class RepresentativeActEntry {
    @Equals('representativeAct') docType!: 'representativeAct';
    @Matches(TX_ID) actId!: string;
    @Matches(TX_ID) txId!: string;
    @Instant() timestamp!: string;
    /** The represented card. */
    @Matches(ID_PATTERN) cardId!: string;
    @IsIn(REPRESENTATION_ACTS) act!: RepresentationAct;
    @Matches(ID_PATTERN) representationId!: string;
    @Matches(ID_PATTERN) representativeCardId!: string;
    @IsIn(REPRESENTATION_BASES) basis!: RepresentationBasis;
    @IsOptional() @Matches(HEX64_PATTERN) consentId?: string;
    @IsOptional() @Matches(ID_PATTERN) serviceId?: string;
    @IsOptional() @Matches(HEX64_PATTERN) objectionId?: string;
    @IsOptional() @Matches(TX_ID) accessId?: string;
    /** The app that submitted it (Seoul's citizen app). */
    @Matches(MSP_ID_PATTERN) callerMspId!: string;
    @Matches(/^x509::.+::.+$/) callerId!: string;
}
sameMembers<RepresentativeActEntry, RepresentativeActEntryShape>();

// ---- issue 24: representatives, seals, break-glass, objections, the report ----

export class Representation {
    @Equals('representation') docType!: 'representation';
    @Matches(ID_PATTERN) representationId!: string;
    @Matches(ID_PATTERN) representedCardId!: string;
    @Matches(ID_PATTERN) representativeCardId!: string;
    @IsIn(REPRESENTATION_BASES) basis!: RepresentationBasis;
    /** The acts the representative may do for the represented citizen. */
    @ArrayUnique() @ArrayMaxSize(REPRESENTATION_ACTS.length) @IsIn(REPRESENTATION_ACTS, { each: true }) scope!: RepresentationAct[];
    /** GUARDIANSHIP: the court's end of the guardianship. */
    @IsOptional() @Instant() endsAt?: string;
    /** ENDED is derived when read: a guardianship past its end, a child's minority over. */
    @IsIn(Object.values(RepresentationStatus)) status!: RepresentationStatus;
    @Instant() recordedAt!: string;
    /** The issuer's certificate. */
    @Matches(/^x509::.+::.+$/) recordedBy!: string;
    @IsOptional() @Instant() revokedAt?: string;
    @IsOptional() @IsIn(REPRESENTATION_END_REASONS) revokeReason?: RepresentationEndReason;
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Representation, RepresentationShape>();

/** A child's minority: the anchors of its two hash chains (no birth date, no end date). */
export class Minority {
    @Equals('minority') docType!: 'minority';
    @Matches(ID_PATTERN) cardId!: string;
    /** The Seoul date the chains count their days from. */
    @IsString() @IsCalendarDate() startDate!: string;
    @Matches(HEX64_PATTERN) powerAnchor!: string;
    @Matches(HEX64_PATTERN) ownAnchor!: string;
    @IsInt() @Min(1) horizonDays!: number;
    @IsIn(Object.values(MinorityStatus)) status!: MinorityStatus;
    @Instant() recordedAt!: string;
    @IsOptional() @Instant() endedAt?: string;
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Minority, MinorityShape>();

export class SealExtension {
    @Matches(TX_ID) txId!: string;
    @Instant() at!: string;
    /** The auditor's certificate. */
    @Matches(/^x509::.+::.+$/) auditorId!: string;
    @Matches(REF_PATTERN) decisionRef!: string;
    @Instant() previousUntil!: string;
    @Instant() sealedUntil!: string;
}
sameMembers<SealExtension, SealExtensionShape>();

/** The seal of a sealed access entry. */
export class Seal {
    @Equals('seal') docType!: 'seal';
    @Matches(TX_ID) accessId!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(MSP_ID_PATTERN) callerMspId!: string;
    @Matches(DEPT_PATTERN) callerDept!: string;
    @Instant() sealedAt!: string;
    @Instant() sealedUntil!: string;
    /** Each extension an auditor decided, oldest first. */
    @IsArray() @ValidateNested({ each: true }) @Type(() => SealExtension) extensions!: SealExtension[];
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Seal, SealShape>();

/** The audit office's decision on a review case or an objection. */
export class Finding {
    /** A review: CLEARED or UPHELD; an objection: UPHELD or REJECTED. */
    @IsIn(['CLEARED', 'UPHELD', 'REJECTED']) outcome!: string;
    @IsIn(FINDING_CODES) findingCode!: FindingCode;
    /** Public, screened for recognisable personal data. */
    @IsOptional() @IsString() @TextLength(1, OFFICIAL_TEXT_MAX) text?: string;
    @Instant() at!: string;
    @Matches(/^x509::.+::.+$/) auditorId!: string;
    @Matches(TX_ID) txId!: string;
}
sameMembers<Finding, FindingShape>();

/** The review case a GRANTED break-glass access opened. */
export class Review {
    @Equals('review') docType!: 'review';
    /** The access's id. */
    @Matches(TX_ID) reviewId!: string;
    @Matches(TX_ID) accessId!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(ID_PATTERN) serviceId!: string;
    @Matches(MSP_ID_PATTERN) callerMspId!: string;
    @Matches(DEPT_PATTERN) callerDept!: string;
    @IsIn(BREAK_GLASS_REASONS) reasonCode!: BreakGlassReason;
    @Matches(REF_PATTERN) incidentRef!: string;
    @Instant() openedAt!: string;
    @IsIn(REVIEW_STATUSES) status!: ReviewStatus;
    @IsOptional() @IsObject() @ValidateNested() @Type(() => Finding) decision?: Finding;
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Review, ReviewShape>();

export class BreakGlassClearance {
    @Matches(TX_ID) txId!: string;
    @Instant() at!: string;
    @Matches(/^x509::.+::.+$/) auditorId!: string;
    @Matches(REF_PATTERN) decisionRef!: string;
}
sameMembers<BreakGlassClearance, NonNullable<BreakGlassStateShape['lastClearance']>>();

/** A department's break-glass accesses this Seoul month, its allowance and its block. */
export class BreakGlassState {
    @Equals('breakGlass') docType!: 'breakGlass';
    @Matches(MSP_ID_PATTERN) mspId!: string;
    @Matches(DEPT_PATTERN) dept!: string;
    /** The Seoul month `count` is for, YYYY-MM. */
    @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/) month!: string;
    @IsInt() @Min(0) count!: number;
    @IsInt() @Min(0) allowance!: number;
    @IsBoolean() blocked!: boolean;
    @IsOptional() @Instant() blockedAt?: string;
    @IsOptional() @IsObject() @ValidateNested() @Type(() => BreakGlassClearance) lastClearance?: BreakGlassClearance;
    /** 0 for a department that never broke the glass (nothing is stored yet). */
    @IsInt() @Min(0) version!: number;
    @Instant() updatedAt!: string;
    /** '' for a department that never broke the glass. */
    @Matches(/^(?:[0-9a-f]{64})?$/) lastTxId!: string;
}
sameMembers<BreakGlassState, BreakGlassStateShape>();

export class ObjectionFiledBy {
    /** The signer's card: the citizen's own, or a representative's. */
    @Matches(ID_PATTERN) cardId!: string;
    @IsOptional() @Matches(ID_PATTERN) representationId?: string;
}
sameMembers<ObjectionFiledBy, ObjectionShape['filedBy']>();

/** A citizen's objection to an access entry; its text is not here (only its salted hash). */
export class Objection {
    @Equals('objection') docType!: 'objection';
    /** The hash of the signed objection. */
    @Matches(HEX64_PATTERN) objectionId!: string;
    @Matches(TX_ID) accessId!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @Matches(ID_PATTERN) serviceId!: string;
    /** The department the entry names: it sees the objection and its finding. */
    @Matches(MSP_ID_PATTERN) callerMspId!: string;
    @Matches(DEPT_PATTERN) callerDept!: string;
    /** sha256 of the canonical {salt, text}: the text itself is in the issuer's private collection only. */
    @Matches(HEX64_PATTERN) textHash!: string;
    @Instant() filedAt!: string;
    @IsObject() @ValidateNested() @Type(() => ObjectionFiledBy) filedBy!: ObjectionFiledBy;
    @IsIn(OBJECTION_STATUSES) status!: ObjectionStatus;
    @IsOptional() @IsObject() @ValidateNested() @Type(() => Finding) finding?: Finding;
    /** The objection as the device signed it. */
    @IsObject() @ValidateNested() @Type(() => SignedObjection) receipt!: SignedObjection;
    @IsInt() @Min(1) version!: number;
    @Instant() updatedAt!: string;
    @Matches(TX_ID) lastTxId!: string;
}
sameMembers<Objection, ObjectionShape>();

const REPORT_METRIC_DOC = `a count; null when from 1 to ${CHANNEL_POLICY.reportMinCount - 1} (suppressed: too few to publish)`;
const Count = (): PropertyDecorator => (target, key) => {
    IsOptional()(target, key as string);
    IsInt()(target, key as string);
    Min(0)(target, key as string);
    JSONSchema({ nullable: true, description: REPORT_METRIC_DOC })(target, key as string);
};

/** One cell of the transparency report: an org's department, service and basis in one month. */
@JSONSchema({ required: ['mspId', 'dept', 'serviceId', 'basis', ...REPORT_METRICS] })
export class ReportRow {
    @Matches(MSP_ID_PATTERN) mspId!: string;
    @Matches(DEPT_PATTERN) dept!: string;
    @Matches(ID_PATTERN) serviceId!: string;
    /** What the requests invoked: a consent, a legal basis, an investigation (sealed) or an emergency (break-glass). */
    @IsIn(REPORT_BASES) basis!: ReportBasis;
    /** GRANTED entries. */
    @Count() accesses!: number | null;
    /** DENIED entries. */
    @Count() denials!: number | null;
    /** Entries made under seal. */
    @Count() sealed!: number | null;
    /** GRANTED break-glass accesses. */
    @Count() breakGlass!: number | null;
    /** Objections filed (in the month filed). */
    @Count() objections!: number | null;
    /** Findings recorded (in the month recorded). */
    @Count() findings!: number | null;
}
sameMembers<ReportRow, ReportRowShape>();

export class TransparencyReport {
    @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/) month!: string;
    /** False when more counts wait for a roll-up than one report reads (RollUpReport). */
    @IsBoolean() complete!: boolean;
    /** Counts from 1 to minCount - 1 are published as null. */
    @IsInt() @Min(1) minCount!: number;
    /** Sorted by org, department, service and basis; no totals (a total would give suppressed counts away). */
    @IsArray() @ValidateNested({ each: true }) @Type(() => ReportRow) rows!: ReportRow[];
}
sameMembers<TransparencyReport, TransparencyReportShape>();

/** What one RollUpReport folded. */
export class RollUp {
    @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/) month!: string;
    /** Counted transactions folded by this call. */
    @IsInt() @Min(0) folded!: number;
    /** Counted transactions in the month's summary, after this call. */
    @IsInt() @Min(0) rolledUp!: number;
    /** True when more wait: call again. */
    @IsBoolean() more!: boolean;
}

/** The channel's policy for issue 24's rules (the chaincode's CHANNEL_POLICY). */
export class ChannelPolicy {
    @IsInt() @Min(1) sealMaxDays!: number;
    @IsInt() @Min(1) breakGlassMonthlyLimit!: number;
    @IsInt() @Min(1) reportMinCount!: number;
    @IsInt() @Min(1) minorityAge!: number;
    @IsInt() @Min(1) minorityHorizonDays!: number;
}
sameMembers<ChannelPolicy, typeof CHANNEL_POLICY>();

/** The granted items: any of the personal data the request asked for, each as the issuer validated it. */
export const GrantedItems = optionalCopyOf(PersonalDataDto, 'GrantedItems');

export class GrantedData {
    @Matches(TX_ID) accessId!: string;
    @Matches(ID_PATTERN) cardId!: string;
    @IsObject() @ValidateNested() @Type(() => GrantedItems) items!: Partial<Record<DataItem, string | boolean>>;
    /** The predicates' answers, by name (ageAtLeast:<age> for an age). */
    @IsRecord(PREDICATE_ANSWER_KEY, 'boolean') predicates!: Record<string, boolean>;
}
sameMembers<GrantedData, GrantedDataShape>();

export class HistoryEntry {
    @Matches(TX_ID) txId!: string;
    @Instant() timestamp!: string;
    @IsBoolean() isDelete!: boolean;
    /** The value as that transaction wrote it (any JSON: the asset of that version), null for a delete. */
    @Allow()
    @JSONSchema({ description: 'the value as that transaction wrote it (any JSON value: the schema has no type), null for a delete' })
    value!: unknown;
}
sameMembers<HistoryEntry, HistoryEntryShape>();

export class History {
    @IsIn(HISTORY_KINDS) kind!: HistoryKind;
    @Matches(ID_PATTERN) id!: string;
    /** Newest first, as Fabric returns a key's history. */
    @IsArray() @ValidateNested({ each: true }) @Type(() => HistoryEntry) entries!: HistoryEntry[];
}

export class DeptCounts {
    @IsInt() @Min(0) granted!: number;
    @IsInt() @Min(0) denied!: number;
}

export class AccessCounts {
    @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsOptional() @Matches(DEPT_PATTERN) dept?: string;
    @Instant() from!: string;
    @Instant() to!: string;
    @IsInt() @Min(0) granted!: number;
    @IsInt() @Min(0) denied!: number;
    /** GRANTED and DENIED counts by department. */
    @IsRecord(DEPT_PATTERN, DeptCounts) byDept!: Record<string, DeptCounts>;
}
sameMembers<AccessCounts, AccessCountsShape>();

/** A page of a listing: `bookmark` is '' on the last page; records may be fewer than fetched (filtered). */
function pageOf<T extends object>(name: string, item: ClassConstructor<T>): ClassConstructor<Page<T>> {
    class PageOf {
        @IsArray() @ArrayMaxSize(MAX_PAGE_SIZE) @ValidateNested({ each: true }) @Type(() => item) records!: T[];
        /** Pass it unchanged to read the next page; '' when there is none. */
        @IsString() bookmark!: string;
        @IsInt() @Min(0) @Max(MAX_PAGE_SIZE) fetchedRecordsCount!: number;
    }
    Object.defineProperty(PageOf, 'name', { value: name });
    return PageOf;
}
export const ConsentPage = pageOf('ConsentPage', Consent);
export const ServicePage = pageOf('ServicePage', Service);
export const AccessLogPage = pageOf('AccessLogPage', AccessLogEntry);
export const RepresentationPage = pageOf('RepresentationPage', Representation);
export const ReviewPage = pageOf('ReviewPage', Review);
export const ObjectionPage = pageOf('ObjectionPage', Objection);

/** A page of a card's log: its access entries (a sealed one with its seal's date) and its representatives' acts, oldest first. */
export class CardLogPage {
    @IsArray()
    @ArrayMaxSize(MAX_PAGE_SIZE)
    @IsOneOf([AccessLogRecord, RepresentativeActEntry], { each: true })
    records!: (AccessLogRecord | RepresentativeActEntry)[];
    /** Pass it unchanged to read the next page; '' when there is none. */
    @IsString() bookmark!: string;
    @IsInt() @Min(0) @Max(MAX_PAGE_SIZE) fetchedRecordsCount!: number;
}

// ---- the Fabric layer's views (gateway/fabric/types.ts) ----

export class TransactionProof {
    @Matches(TX_ID) transactionId!: string;
    @Matches(UINT64_DECIMAL) blockNumber!: string;
    /** Fabric's TxValidationCode name (VALID, MVCC_READ_CONFLICT, ...). */
    @Matches(/^(?:[A-Z_]+|[0-9]+)$/) validationCode!: string;
    @IsBoolean() valid!: boolean;
    @IsString() channel!: string;
    /** '' for a configuration transaction. */
    @IsString() chaincode!: string;
    @MspIdOrEmpty() creatorMspId!: string;
    @IsArray() @Matches(MSP_ID_PATTERN, { each: true }) endorsingOrgs!: string[];
    @InstantOrEmpty() timestamp!: string;
}
sameMembers<TransactionProof, TransactionProofShape>();

export class ChainInfo {
    /** The number of blocks. */
    @Matches(UINT64_DECIMAL) height!: string;
    @HexHash() currentBlockHash!: string;
    @HexHashOrEmpty() previousBlockHash!: string;
}
sameMembers<ChainInfo, ChainInfoShape>();

export class TransactionSummary {
    /** '' for a configuration transaction the orderer made. */
    @Matches(/^(?:[0-9a-f]{64})?$/) transactionId!: string;
    /** The header type: ENDORSER_TRANSACTION, CONFIG, ... */
    @Matches(/^(?:[A-Z_]+|[0-9]+)$/) type!: string;
    @IsString() channel!: string;
    @IsString() chaincode!: string;
    @MspIdOrEmpty() creatorMspId!: string;
    @IsArray() @Matches(MSP_ID_PATTERN, { each: true }) endorsingOrgs!: string[];
    @InstantOrEmpty() timestamp!: string;
}
sameMembers<TransactionSummary, TransactionSummaryShape>();

/** A transaction of a block without its envelope, as /v1/blocks lists it. */
export class BlockTransactionHeader extends TransactionSummary {
    @IsInt() @Min(0) index!: number;
    @Matches(/^(?:[A-Z_]+|[0-9]+)$/) validationCode!: string;
    @IsBoolean() valid!: boolean;
}
sameMembers<BlockTransactionHeader, Omit<BlockTransactionShape, 'envelope'>>();

export class BlockTransaction extends BlockTransactionHeader {
    /** base64 of the envelope bytes as they are in the block (what the data hash covers). */
    @Matches(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/) envelope!: string;
}
sameMembers<BlockTransaction, BlockTransactionShape>();

class BlockHeader {
    @Matches(UINT64_DECIMAL) number!: string;
    @HexHashOrEmpty() previousHash!: string;
    @HexHash() dataHash!: string;
}

export class Block extends BlockHeader {
    @IsArray() @ValidateNested({ each: true }) @Type(() => BlockTransaction) transactions!: BlockTransaction[];
}
sameMembers<Block, BlockViewShape>();

/** A block as /v1/blocks lists it: the transactions without their envelopes. */
export class BlockWithoutEnvelopes extends BlockHeader {
    @IsArray() @ValidateNested({ each: true }) @Type(() => BlockTransactionHeader) transactions!: BlockTransactionHeader[];
}

// ---- the /v1 routes' answers ----

/** Where a submitted transaction committed. */
class Committed {
    @Matches(TX_ID) transactionId!: string;
    @Matches(UINT64_DECIMAL) blockNumber!: string;
}

export class CardAnswer {
    @IsObject() @ValidateNested() @Type(() => CitizenCard) card!: CitizenCard;
}
export class CardCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => CitizenCard) card!: CitizenCard;
}
export class ServiceAnswer {
    @IsObject() @ValidateNested() @Type(() => Service) service!: Service;
}
export class ServiceCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Service) service!: Service;
}
export class ConsentAnswer {
    @IsObject() @ValidateNested() @Type(() => Consent) consent!: Consent;
}
export class ConsentCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Consent) consent!: Consent;
}
export class ConsentPageAnswer {
    @IsObject() @ValidateNested() @Type(() => ConsentPage) page!: Page<Consent>;
}
export class ServicePageAnswer {
    @IsObject() @ValidateNested() @Type(() => ServicePage) page!: Page<Service>;
}
export class AccessLogPageAnswer {
    @IsObject() @ValidateNested() @Type(() => AccessLogPage) page!: Page<AccessLogEntry>;
}
export class AccessEntryAnswer {
    @IsObject() @ValidateNested() @Type(() => AccessLogEntry) entry!: AccessLogEntry;
}

export class CardLogPageAnswer {
    @IsObject() @ValidateNested() @Type(() => CardLogPage) page!: CardLogPage;
}

export class MinorityAnswer {
    @IsObject() @ValidateNested() @Type(() => Minority) minority!: Minority;
}
export class MinorityCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Minority) minority!: Minority;
}
export class RepresentationAnswer {
    @IsObject() @ValidateNested() @Type(() => Representation) representation!: Representation;
}
export class RepresentationCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Representation) representation!: Representation;
}
export class RepresentationPageAnswer {
    @IsObject() @ValidateNested() @Type(() => RepresentationPage) page!: Page<Representation>;
}
/** What the tracker shows a representative (or a represented citizen), with today's minority tokens. */
export class MyRepresentationsAnswer {
    @IsObject() @ValidateNested() @Type(() => RepresentationPage) page!: Page<Representation>;
    /**
     * Side representative: for each MINOR_UNDER_14 representation of the page in force today, the
     * child's in-force token of today's Seoul date, to sign into the representative's documents
     * (`minorityToken`). Absent once the child has turned 14.
     */
    @IsRecord(ID_PATTERN, 'string') minorityTokens!: Record<string, string>;
}
/** The child's own minority and, from the 14th birthday on, today's own-chain token that ends it. */
export class MyMinorityAnswer {
    @IsObject() @ValidateNested() @Type(() => Minority) minority!: Minority;
    /** For EndMinority (`ownToken`): absent before the 14th birthday, and once the minority has ended. */
    @IsOptional() @Matches(HEX64_PATTERN) endMinorityToken?: string;
}
export class SealAnswer {
    @IsObject() @ValidateNested() @Type(() => Seal) seal!: Seal;
}
export class SealCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Seal) seal!: Seal;
}
export class ReviewAnswer {
    @IsObject() @ValidateNested() @Type(() => Review) review!: Review;
}
export class ReviewCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Review) review!: Review;
}
export class ReviewPageAnswer {
    @IsObject() @ValidateNested() @Type(() => ReviewPage) page!: Page<Review>;
}
export class BreakGlassAnswer {
    @IsObject() @ValidateNested() @Type(() => BreakGlassState) breakGlass!: BreakGlassState;
}
export class BreakGlassCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => BreakGlassState) breakGlass!: BreakGlassState;
}
export class ObjectionAnswer {
    @IsObject() @ValidateNested() @Type(() => Objection) objection!: Objection;
}
export class ObjectionCommitted extends Committed {
    @IsObject() @ValidateNested() @Type(() => Objection) objection!: Objection;
}
export class ObjectionPageAnswer {
    @IsObject() @ValidateNested() @Type(() => ObjectionPage) page!: Page<Objection>;
}
/** An objection's text as the citizen wrote it (personal data: in this answer only, read from the issuer's peer). */
export class ObjectionText {
    @Matches(HEX64_PATTERN) objectionId!: string;
    @IsString() @TextLength(1, OBJECTION_TEXT_MAX) text!: string;
}
export class ObjectionTextAnswer {
    @IsObject() @ValidateNested() @Type(() => ObjectionText) objectionText!: ObjectionText;
}
export class ReportAnswer {
    @IsObject() @ValidateNested() @Type(() => TransparencyReport) report!: TransparencyReport;
}
/** A roll-up: where it committed, or no transaction when there was nothing to fold (the periodic job adds no empty blocks). */
export class RollUpAnswer {
    @IsObject() @ValidateNested() @Type(() => RollUp) rollUp!: RollUp;
    @IsOptional() @Matches(TX_ID) transactionId?: string;
    @IsOptional() @Matches(UINT64_DECIMAL) blockNumber?: string;
}
export class PolicyAnswer {
    @IsObject() @ValidateNested() @Type(() => ChannelPolicy) policy!: ChannelPolicy;
}

/** The chaincode's AuthenticateCard answer: public facts of a usable card. */
export class CardAuthentication {
    @Equals(true) authenticated!: true;
    @Matches(ID_PATTERN) cardId!: string;
    @Instant() expiresAt!: string;
    /** Only a usable card is authenticated. */
    @Equals(CardStatus.ACTIVE) status!: typeof CardStatus.ACTIVE;
    @Matches(ID_PATTERN) subjectId!: string;
}
export class VerificationAnswer {
    @IsObject() @ValidateNested() @Type(() => CardAuthentication) verification!: CardAuthentication;
}

/** Why a GRANTED access came without its data: the refusal of the read (e.g. ACCESS_EXPIRED on a late replay). */
export class DataError {
    @Matches(CODE_PATTERN) code!: string;
    @IsString() detail!: string;
}

/** The committed decision (the access-log entry's id, decision and reason). */
class Decided extends Committed {
    @Matches(TX_ID) accessId!: string;
    @IsIn(Object.values(Decision)) decision!: Decision;
    @IsIn(ACCESS_REASONS) reason!: string;
    /** GRANTED but the data could not be read: why. */
    @IsOptional() @IsObject() @ValidateNested() @Type(() => DataError) dataError?: DataError;
}

export class AccessAnswer extends Decided {
    /** GRANTED: the granted items and predicate answers, in this answer only. */
    @IsOptional() @IsObject() @ValidateNested() @Type(() => GrantedData) data?: GrantedData;
}

export class EligibilityAnswer extends Decided {
    /** GRANTED: each predicate's answer (ageAtLeast:<age> for an age); never the data behind it. */
    @IsOptional() @IsRecord(PREDICATE_ANSWER_KEY, 'boolean') answers?: Record<string, boolean>;
}

export class CountsAnswer {
    @IsObject() @ValidateNested() @Type(() => AccessCounts) counts!: AccessCounts;
}
export class HistoryAnswer {
    @IsObject() @ValidateNested() @Type(() => History) history!: History;
}
export class ProofAnswer {
    @IsObject() @ValidateNested() @Type(() => TransactionProof) proof!: TransactionProof;
}
export class ChainAnswer {
    @IsObject() @ValidateNested() @Type(() => ChainInfo) chain!: ChainInfo;
}
export class BlocksAnswer {
    @IsObject() @ValidateNested() @Type(() => ChainInfo) chain!: ChainInfo;
    /** Lowest number first; up to the chain's height. */
    @IsArray()
    @ArrayMaxSize(MAX_BLOCK_RANGE)
    @ValidateNested({ each: true })
    @Type(() => BlockWithoutEnvelopes)
    blocks!: BlockWithoutEnvelopes[];
}
export class BlockAnswer {
    @IsObject() @ValidateNested() @Type(() => Block) block!: Block;
}

// ---- problems (RFC 9457) ----

export class FieldError {
    /** The failing field, with body., query., path. or header. in front. */
    @IsString() field!: string;
    /** class-validator constraint names and their messages. */
    @IsRecord(/^[A-Za-z][A-Za-z0-9]*$/, 'string') constraints!: Record<string, string>;
}

@JSONSchema({ description: 'RFC 9457 problem document' })
export class Problem {
    @IsString() @JSONSchema({ format: 'uri' }) type!: string;
    @IsString() title!: string;
    @IsInt() @Min(400) @Max(599) status!: number;
    @IsString() detail!: string;
    /** The request path; absent when the HTTP server refused the request before reading it (408, 431). */
    @IsOptional() @IsString() instance?: string;
    /** A chaincode code (chaincode/errors.ts) or a gateway code. */
    @Matches(CODE_PATTERN) code!: string;
    /** Also the X-Request-Id answer header and in the gateway's log. */
    @IsString() requestId!: string;
    /** Failing fields (VALIDATION_FAILED). */
    @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => FieldError) errors?: FieldError[];
    /** The transaction a refusal or an unknown outcome is about. */
    @IsOptional() @Matches(TX_ID) transactionId?: string;
}
// The server's own refusals (listen.ts) carry no `instance`: the only difference from ProblemDocument.
sameMembers<Omit<Problem, 'instance'>, Omit<ProblemDocument, 'instance'>>();

// ---- answers outside /v1: probes, the front page, the document itself ----

export class HealthAnswer {
    @Equals('OK') status!: 'OK';
}

export class ReadyAnswer {
    @Equals('READY') status!: 'READY';
    @Matches(MSP_ID_PATTERN) mspId!: string;
}

class FrontPageProbes {
    @IsString() live!: string;
    @IsString() ready!: string;
    @IsString() metrics!: string;
}

/** What this gateway is and where to go next (a person's first curl lands here). */
export class FrontPage {
    @IsString() gateway!: string;
    @IsString() docs!: string;
    @IsString() openapi!: string;
    @IsObject() @ValidateNested() @Type(() => FrontPageProbes) health!: FrontPageProbes;
    @IsString() api!: string;
    /** The command that creates an app and its API key. */
    @IsString() apiKey!: string;
}

class OpenApiInfo {
    @IsString() title!: string;
    @IsString() version!: string;
    @IsString() description!: string;
}

class OpenApiServer {
    @IsString() url!: string;
}

/** Open-ended members: their shapes are OpenAPI 3.0.3's own (https://spec.openapis.org/oas/v3.0.3). */
class OpenApiComponents {
    @IsRecord(/^[A-Za-z0-9._-]+$/, 'object') parameters!: Record<string, object>;
    @IsRecord(/^[A-Za-z0-9._-]+$/, 'object') headers!: Record<string, object>;
    @IsRecord(/^[A-Za-z0-9._-]+$/, 'object') securitySchemes!: Record<string, object>;
    @IsRecord(/^[A-Za-z0-9._-]+$/, 'object') schemas!: Record<string, object>;
}

/** This document: OpenAPI 3.0.3, with the paths and components its gateway serves. */
export class OpenApiDocument {
    @Equals('3.0.3') openapi!: '3.0.3';
    @IsObject() @ValidateNested() @Type(() => OpenApiInfo) info!: OpenApiInfo;
    @IsArray() @ValidateNested({ each: true }) @Type(() => OpenApiServer) servers!: OpenApiServer[];
    /** Security requirements: scheme name -> scopes (none). */
    @IsArray()
    @IsObject({ each: true })
    @JSONSchema({ items: { type: 'object', additionalProperties: { type: 'array', maxItems: 0, items: { type: 'string' } } } })
    security!: Record<string, string[]>[];
    @IsObject() @ValidateNested() @Type(() => OpenApiComponents) components!: OpenApiComponents;
    /** Path -> path item. */
    @IsRecord(/^\//, 'object') paths!: Record<string, object>;
}
