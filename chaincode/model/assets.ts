// Shapes of the ledger assets and return values (public state unless marked private).

import type {
    BreakGlassReason,
    CardStatus,
    ConsentStatus,
    DataItem,
    Decision,
    FindingCode,
    MinorityStatus,
    ObjectionStatus,
    PredicateName,
    ReasonCode,
    ReportBasis,
    ReportMetric,
    RepresentationAct,
    RepresentationBasis,
    RepresentationEndReason,
    RepresentationStatus,
    ReviewStatus,
    ServiceBasis,
    ServiceStatus,
} from './vocabulary.js';

export interface CitizenCard {
    docType: 'card';
    cardId: string;
    subjectId: string;
    status: CardStatus;
    issuedAt: string;
    expiresAt: string;
    /** base64 DER SubjectPublicKeyInfo of the P-256 device key. */
    devicePublicKey: string;
    /** attribute -> hex sha256 commitment (see commitments.ts). */
    commitments: Record<string, string>;
    statusReason?: ReasonCode;
    erasedAt?: string;
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** Private (collection personalData, SeoulMSP only). */
export interface PersonalRecord {
    cardId: string;
    subjectId: string;
    data: PersonalData;
    /** attribute -> hex salt */
    salts: Record<string, string>;
}

export interface PersonalData {
    name: string;
    birthDate: string;
    address: string;
    district: string;
    residentNumber: string;
    disability: boolean;
    lowIncome: boolean;
    multiChildFamily: boolean;
    seoulResident: boolean;
}

/** Private anchor: lets non-member endorsers check a card's commitments by hash only. */
export interface CommitmentAnchor {
    cardId: string;
    subjectId: string;
    commitments: Record<string, string>;
}

export interface Service {
    docType: 'service';
    serviceId: string;
    ownerMspId: string;
    dept: string;
    name: string;
    purpose: string;
    legalBasis?: string;
    /** Special basis (investigation, emergency); absent for an ordinary service. Never changes. */
    basis?: ServiceBasis;
    items: DataItem[];
    predicates: PredicateName[];
    status: ServiceStatus;
    createdAt: string;
    updatedAt: string;
    version: number;
    lastTxId: string;
}

export interface Consent {
    docType: 'consent';
    consentId: string;
    cardId: string;
    serviceId: string;
    recipientMspId: string;
    recipientDept: string;
    purpose: string;
    items: DataItem[];
    predicates: PredicateName[];
    retentionDays: number;
    status: ConsentStatus;
    grantedAt: string;
    expiresAt: string;
    withdrawnAt?: string;
    /** sha256 hex of the canonical receipt bytes that the device key signed. */
    receiptHash: string;
    receipt: { document: unknown; signature: string };
    withdrawal?: { document: unknown; signature: string };
    /** A consent a legal representative gave (the receipt is signed by the representative's key). */
    representation?: { representationId: string; representativeCardId: string };
    /** A withdrawal by a legal representative. */
    withdrawnByRepresentation?: { representationId: string; representativeCardId: string };
    version: number;
    lastTxId: string;
}

export interface PredicateRequest {
    name: PredicateName;
    value?: number;
}

export interface AccessLogEntry {
    docType: 'access';
    accessId: string;
    txId: string;
    timestamp: string;
    decision: Decision;
    /** Error code naming why (DENIED) or the basis (GRANTED: CONSENT or LEGAL_BASIS). */
    reason: string;
    cardId: string;
    serviceId: string;
    callerMspId: string;
    callerDept: string;
    /** ClientIdentity id: x509::subject::issuer of the caller's certificate. */
    callerId: string;
    purpose: string;
    items: DataItem[];
    predicates: PredicateRequest[];
    consentId?: string;
    legalBasis?: string;
    /**
     * Made under seal by an investigation service (RequestSealedAccess): hidden from the citizen
     * until its Seal's `sealedUntil`. The entry itself never changes; the seal is separate state.
     */
    sealed?: true;
    /**
     * A break-glass access (RequestEmergencyAccess): flagged, shown to the citizen at once; a
     * GRANTED one opened the review case `reviewId`. The reason is a code and a reference.
     */
    breakGlass?: { reasonCode?: BreakGlassReason; incidentRef?: string; reviewId?: string };
    /** Made through RequestSealedAccess (investigation) or RequestEmergencyAccess (emergency), sealed or not, granted or not. */
    requestedBasis?: 'investigation' | 'emergency';
}

/** An entry as a listing returns it: a sealed one with its seal's current date. */
export type AccessLogRecord = AccessLogEntry & { sealedUntil?: string };

export interface SealExtension {
    txId: string;
    at: string;
    /** The auditor's ClientIdentity id. */
    auditorId: string;
    /** The reference of the audit office's decision (a code, never free text). */
    decisionRef: string;
    previousUntil: string;
    sealedUntil: string;
}

/** The seal of a sealed access entry (composite `seal` [accessId]). */
export interface Seal {
    docType: 'seal';
    accessId: string;
    cardId: string;
    callerMspId: string;
    callerDept: string;
    sealedAt: string;
    sealedUntil: string;
    extensions: SealExtension[];
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/**
 * A child's minority (composite `minority` [cardId]): the anchors of its two hash chains
 * (model/minority.ts), computed by the issuer's peer from the private birth date. No birth date,
 * no end date: the chains end the representatives' power and start the child's own on the 14th
 * birthday.
 */
export interface Minority {
    docType: 'minority';
    cardId: string;
    /** Seoul date the chains count their days from. */
    startDate: string;
    powerAnchor: string;
    ownAnchor: string;
    horizonDays: number;
    status: MinorityStatus;
    recordedAt: string;
    /** When the child's own key took over (EndMinority). */
    endedAt?: string;
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** Private (personalData, SeoulMSP only): what PrepareMinority computed, checked by hash in RecordMinority. */
export interface MinorityAnchor {
    cardId: string;
    startDate: string;
    powerAnchor: string;
    ownAnchor: string;
}

/** A legal representation (composite `representation` [representationId]): card ids only. */
export interface Representation {
    docType: 'representation';
    representationId: string;
    representedCardId: string;
    representativeCardId: string;
    basis: RepresentationBasis;
    scope: RepresentationAct[];
    /** GUARDIANSHIP: the power ends at this instant (the court's end date). MINOR_UNDER_14: absent. */
    endsAt?: string;
    status: RepresentationStatus;
    recordedAt: string;
    /** The issuer's ClientIdentity id. */
    recordedBy: string;
    revokedAt?: string;
    revokeReason?: RepresentationEndReason;
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** A representative's act, in the represented citizen's log (composite `access~card` [cardId, timestamp, actId]). */
export interface RepresentativeActEntry {
    docType: 'representativeAct';
    actId: string;
    txId: string;
    timestamp: string;
    /** The represented card. */
    cardId: string;
    act: RepresentationAct;
    representationId: string;
    representativeCardId: string;
    basis: RepresentationBasis;
    consentId?: string;
    serviceId?: string;
    objectionId?: string;
    accessId?: string;
    /** The app that submitted it (the citizen-agent). */
    callerMspId: string;
    callerId: string;
}

/**
 * A citizen's objection to an access entry (composite `objection` [objectionId]). The text is not
 * here: only its salted hash; the text is in the issuer's private collection (ObjectionText).
 */
export interface Objection {
    docType: 'objection';
    objectionId: string;
    accessId: string;
    /** The entry's card: the citizen who objects (or is represented). */
    cardId: string;
    serviceId: string;
    /** The department the entry names: it sees the objection and its finding. */
    callerMspId: string;
    callerDept: string;
    textHash: string;
    filedAt: string;
    /** Who signed: the citizen's own card, or a representative's (with the representation). */
    filedBy: { cardId: string; representationId?: string };
    status: ObjectionStatus;
    finding?: Finding;
    receipt: { document: unknown; signature: string };
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** Private (personalData, SeoulMSP only): an objection's text; purged with the card's personal record. */
export interface ObjectionText {
    objectionId: string;
    cardId: string;
    text: string;
    salt: string;
}

/** An auditor's decision on a review case or an objection. */
export interface Finding {
    outcome: string;
    findingCode: FindingCode;
    text?: string;
    at: string;
    auditorId: string;
    txId: string;
}

/** A break-glass access's review case for the audit office (composite `review` [reviewId]). */
export interface Review {
    docType: 'review';
    reviewId: string;
    accessId: string;
    cardId: string;
    serviceId: string;
    callerMspId: string;
    callerDept: string;
    reasonCode: BreakGlassReason;
    incidentRef: string;
    openedAt: string;
    status: ReviewStatus;
    decision?: Finding;
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** A department's break-glass count in the current Seoul month, and its block (composite `breakglass` [mspId, dept]). */
export interface BreakGlassState {
    docType: 'breakGlass';
    mspId: string;
    dept: string;
    /** `YYYY-MM`, Seoul calendar, of the month `count` is for. */
    month: string;
    /** GRANTED break-glass accesses in `month`. */
    count: number;
    /** How many `count` may reach in `month`: the monthly limit, plus another limit per clearance. */
    allowance: number;
    /** Refused since a request went beyond the allowance; it stays so, across months, until an auditor clears it. */
    blocked: boolean;
    blockedAt?: string;
    lastClearance?: { txId: string; at: string; auditorId: string; decisionRef: string };
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** A transparency-report cell: no personal data, an org's department, service and basis. */
export interface ReportCell {
    mspId: string;
    dept: string;
    serviceId: string;
    basis: ReportBasis;
}
export type ReportCounts = Partial<Record<ReportMetric, number>>;

/** One counted transaction (simple key `stats|<month>|<timestamp>|<txId>`). */
export interface StatsDelta {
    cell: ReportCell;
    counts: ReportCounts;
}

/** A month's rolled-up counts (simple key `statsum|<month>`); cells keyed `mspId|dept|serviceId|basis`. */
export interface StatsSummary {
    docType: 'statsSummary';
    month: string;
    cells: Record<string, { cell: ReportCell; counts: ReportCounts }>;
    rolledUp: number;
    version: number;
    updatedAt: string;
    lastTxId: string;
}

/** A published cell: each count, or null when it is from 1 to CHANNEL_POLICY.reportMinCount - 1. */
export type ReportRow = ReportCell & Record<ReportMetric, number | null>;

export interface TransparencyReport {
    month: string;
    /** False when more deltas are pending a RollUpReport than one report reads. */
    complete: boolean;
    minCount: number;
    rows: ReportRow[];
}

export interface AccessDecision {
    accessId: string;
    decision: Decision;
    reason: string;
}

export interface GrantedData {
    accessId: string;
    cardId: string;
    items: Partial<Record<DataItem, string | boolean>>;
    /** key: predicate name, or `ageAtLeast:N` */
    predicates: Record<string, boolean>;
}

export interface Page<T> {
    records: T[];
    bookmark: string;
    fetchedRecordsCount: number;
}

export interface HistoryEntry {
    txId: string;
    timestamp: string;
    isDelete: boolean;
    value: unknown;
}

export interface AccessCounts {
    mspId: string;
    dept?: string;
    from: string;
    to: string;
    granted: number;
    denied: number;
    byDept: Record<string, { granted: number; denied: number }>;
}
