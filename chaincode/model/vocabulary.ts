// Names shared by the chaincode, the gateway and the tests: MSP ids, certificate roles, data items,
// eligibility predicates, statuses, transient keys and time limits.

export const MSP = {
    SEOUL: 'SeoulMSP',
    MOIS: 'MOISMSP',
    MOHW: 'MOHWMSP',
    AUDIT: 'AuditMSP',
} as const;

/** The org that issues cards and is the only member of the personal-data collection. */
export const ISSUER_MSP = MSP.SEOUL;
/** The org whose `service-admin` registers the services of every org, as the issuer does (others' service admins only their own org's). */
export const SERVICE_ADMIN_MSP = MSP.MOIS;
export const AUDITOR_MSP = MSP.AUDIT;

/** Values of the Fabric CA attribute `role` (certificate extension 1.2.3.4.5.6.7.8.1). */
export const Role = {
    ISSUER: 'issuer',
    DEPARTMENT: 'department',
    CITIZEN_AGENT: 'citizen-agent',
    AUDITOR: 'auditor',
    SERVICE_ADMIN: 'service-admin',
    /** Reads every access-log entry of its own org (every department); departments read their own only. */
    ORG_AUDITOR: 'org-auditor',
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLE_ATTR = 'role';
export const DEPT_ATTR = 'dept';

/** The private data collection (chaincode/collections_config.json), member: SeoulMSP only. */
export const PERSONAL_DATA_COLLECTION = 'personalData';

/** Transient map keys of IssuePersonalRecord. */
export const TRANSIENT_PERSONAL = 'personal';
export const TRANSIENT_SALT_SEED = 'saltSeed';
/** Transient map key of ReadGrantedData: a fresh 32-byte AES-256-GCM key the answer is sealed to. */
export const TRANSIENT_RESPONSE_KEY = 'responseKey';
/** Transient map key of PrepareMinority: >= 16 random bytes the minority's chain seeds derive from (model/minority.ts). */
export const TRANSIENT_CHAIN_SEED = 'chainSeed';
/** Transient map key of PrepareObjection: the citizen's text and its salt (ObjectionTextDto JSON). */
export const TRANSIENT_OBJECTION_TEXT = 'objectionText';

/** Personal attributes; each is committed on the public card as sha256 over (attr, salt, value). */
export const DATA_ITEMS = [
    'name',
    'birthDate',
    'address',
    'district',
    'residentNumber',
    'disability',
    'lowIncome',
    'multiChildFamily',
    'seoulResident',
] as const;
export type DataItem = (typeof DATA_ITEMS)[number];

/** Yes/no questions answerable without disclosing the data behind them. */
export const PREDICATES = ['ageAtLeast', 'disability', 'lowIncome', 'multiChildFamily', 'seoulResident'] as const;
export type PredicateName = (typeof PREDICATES)[number];

export const CardStatus = { ACTIVE: 'ACTIVE', SUSPENDED: 'SUSPENDED', REVOKED: 'REVOKED' } as const;
export type CardStatus = (typeof CardStatus)[keyof typeof CardStatus];

export const ServiceStatus = { ACTIVE: 'ACTIVE', INACTIVE: 'INACTIVE' } as const;
export type ServiceStatus = (typeof ServiceStatus)[keyof typeof ServiceStatus];

/** Stored consent status; EXPIRED is derived at read time from expiresAt and the tx time. */
export const ConsentStatus = { ACTIVE: 'ACTIVE', WITHDRAWN: 'WITHDRAWN', EXPIRED: 'EXPIRED' } as const;
export type ConsentStatus = (typeof ConsentStatus)[keyof typeof ConsentStatus];

export const Decision = { GRANTED: 'GRANTED', DENIED: 'DENIED' } as const;
export type Decision = (typeof Decision)[keyof typeof Decision];

/** The `reason` of a GRANTED access-log entry: its basis. */
export const GRANT_BASES = ['CONSENT', 'LEGAL_BASIS', 'BREAK_GLASS'] as const;
/** The `reason` of a DENIED entry: the code of the rule that refused it (AccessContract's decision, in its order). */
export const DENIAL_REASONS = [
    'SERVICE_NOT_OWNED',
    'SERVICE_INACTIVE',
    'PURPOSE_MISMATCH',
    'ITEMS_NOT_ALLOWED',
    'CARD_REVOKED',
    'CARD_SUSPENDED',
    'CARD_EXPIRED',
    'CONSENT_NOT_FOUND',
    'CONSENT_MISMATCH',
    'CONSENT_WITHDRAWN',
    'CONSENT_EXPIRED',
    'CONSENT_SCOPE_EXCEEDED',
    'CONSENT_REQUIRED',
    'SERVICE_BASIS_MISMATCH',
    'BREAK_GLASS_REASON_REQUIRED',
    'BREAK_GLASS_LIMIT_EXCEEDED',
    'BREAK_GLASS_REQUIRED',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/** Reason codes for card status changes: codes, never free text, so no personal data slips in. */
export const REASON_CODES = [
    'LOST_DEVICE',
    'STOLEN_DEVICE',
    'DEVICE_REPLACED',
    'CITIZEN_REQUEST',
    'RECOVERED',
    'DECEASED',
    'MOVED_OUT',
    'FRAUD',
    'ADMINISTRATIVE',
] as const;
export type ReasonCode = (typeof REASON_CODES)[number];

/** How long after its committed GRANTED entry the granted data may be read (ReadGrantedData). */
export const ACCESS_READ_TTL_SECONDS = 300;
/**
 * ReadGrantedData runs on one peer and commits nothing, so it checks the proposal timestamp against
 * the peer's clock: a client cannot backdate a read into an expired TTL or move the age date.
 */
export const PROPOSAL_MAX_SKEW_SECONDS = 120;
/** A signed document's issuedAt must be within this many seconds of the transaction time. */
export const SIGNED_REQUEST_MAX_AGE_SECONDS = 600;
/** Personal-data dates (birthDate, age predicates) are evaluated on the Seoul calendar date. */
export const SEOUL_UTC_OFFSET_HOURS = 9;

/**
 * A service's special basis; absent for an ordinary service (consent, or its `legalBasis`).
 * `investigation`: may make sealed accesses (RequestSealedAccess); `emergency`: may release data
 * without consent by break-glass only (RequestEmergencyAccess). Both need a `legalBasis`.
 */
export const ServiceBasis = { INVESTIGATION: 'investigation', EMERGENCY: 'emergency' } as const;
export type ServiceBasis = (typeof ServiceBasis)[keyof typeof ServiceBasis];
export const SERVICE_BASES = [ServiceBasis.INVESTIGATION, ServiceBasis.EMERGENCY] as const;

/**
 * The channel's policy for the rules of issue 24, in one place. It is part of the chaincode, so it
 * changes only with a new chaincode definition, which the channel's lifecycle endorsement policy
 * (MAJORITY of the orgs) must approve: that is the channel's policy. PolicyContract:GetPolicy
 * answers it.
 */
export const CHANNEL_POLICY = {
    /** A sealed access entry is hidden from the citizen for at most this many days from the seal (or its extension). */
    sealMaxDays: 90,
    /** Break-glass accesses a department may make per Seoul calendar month before it is refused until an auditor clears it. */
    breakGlassMonthlyLimit: 5,
    /** The transparency report publishes no count from 1 to reportMinCount - 1 (null instead). */
    reportMinCount: 5,
    /** A legal representative acts for a child until this birthday. */
    minorityAge: 14,
    /**
     * Horizon of a minority's hash chains, in days from its start: 14 years of 366 days and one,
     * so that every child's 14th birthday falls inside it. Past it the minority has ended for sure.
     */
    minorityHorizonDays: 14 * 366 + 1,
} as const;

/** Why a department breaks the glass: codes, never free text (details stay in its incident record, `incidentRef`). */
export const BREAK_GLASS_REASONS = [
    'UNCONSCIOUS_PATIENT',
    'LIFE_THREATENING_EMERGENCY',
    'MISSING_PERSON',
    'DISASTER_RESPONSE',
    'CHILD_AT_RISK',
] as const;
export type BreakGlassReason = (typeof BREAK_GLASS_REASONS)[number];

/** A break-glass review case: OPEN until an auditor finds the access justified (CLEARED) or not (UPHELD). */
export const ReviewStatus = { OPEN: 'OPEN', CLEARED: 'CLEARED', UPHELD: 'UPHELD' } as const;
export type ReviewStatus = (typeof ReviewStatus)[keyof typeof ReviewStatus];
export const REVIEW_STATUSES = [ReviewStatus.OPEN, ReviewStatus.CLEARED, ReviewStatus.UPHELD] as const;

/** What the audit office found, as a code; its text (optional, screened) explains. */
export const FINDING_CODES = [
    'LAWFUL',
    'NO_VALID_BASIS',
    'PURPOSE_EXCEEDED',
    'ITEMS_EXCEEDED',
    'NOT_AN_EMERGENCY',
    'PROCEDURE_NOT_FOLLOWED',
    'RECORD_ERROR',
    'OTHER',
] as const;
export type FindingCode = (typeof FINDING_CODES)[number];

/** Longest text an auditor may record with a decision (public, screened: model/text.ts). */
export const OFFICIAL_TEXT_MAX = 1000;

/** On what a legal representative acts: a child under 14, or a court's guardianship (with its end date). */
export const RepresentationBasis = { MINOR_UNDER_14: 'MINOR_UNDER_14', GUARDIANSHIP: 'GUARDIANSHIP' } as const;
export type RepresentationBasis = (typeof RepresentationBasis)[keyof typeof RepresentationBasis];
export const REPRESENTATION_BASES = [RepresentationBasis.MINOR_UNDER_14, RepresentationBasis.GUARDIANSHIP] as const;

/** The acts a representation's scope may allow. */
export const RepresentationAct = { CONSENT: 'consent', WITHDRAW: 'withdraw', VIEW_LOG: 'viewLog', OBJECT: 'object' } as const;
export type RepresentationAct = (typeof RepresentationAct)[keyof typeof RepresentationAct];
export const REPRESENTATION_ACTS = [
    RepresentationAct.CONSENT,
    RepresentationAct.WITHDRAW,
    RepresentationAct.VIEW_LOG,
    RepresentationAct.OBJECT,
] as const;

/** Stored ACTIVE or REVOKED; ENDED is derived at read time (a guardianship's end date, a minority that ended). */
export const RepresentationStatus = { ACTIVE: 'ACTIVE', REVOKED: 'REVOKED', ENDED: 'ENDED' } as const;
export type RepresentationStatus = (typeof RepresentationStatus)[keyof typeof RepresentationStatus];

export const MinorityStatus = { ACTIVE: 'ACTIVE', ENDED: 'ENDED' } as const;
export type MinorityStatus = (typeof MinorityStatus)[keyof typeof MinorityStatus];

/** Why the issuer revokes a representation: codes, never free text. */
export const REPRESENTATION_END_REASONS = [
    'COURT_ORDER',
    'REPRESENTATIVE_CHANGED',
    'CITIZEN_REQUEST',
    'DECEASED',
    'RECORDED_IN_ERROR',
    'ADMINISTRATIVE',
] as const;
export type RepresentationEndReason = (typeof REPRESENTATION_END_REASONS)[number];

/** An objection is OPEN until an auditor records a finding: UPHELD (the access was wrong) or REJECTED. */
export const ObjectionStatus = { OPEN: 'OPEN', UPHELD: 'UPHELD', REJECTED: 'REJECTED' } as const;
export type ObjectionStatus = (typeof ObjectionStatus)[keyof typeof ObjectionStatus];
export const OBJECTION_STATUSES = [ObjectionStatus.OPEN, ObjectionStatus.UPHELD, ObjectionStatus.REJECTED] as const;
/** Longest objection text (it lives in the issuer's private collection only). */
export const OBJECTION_TEXT_MAX = 1000;

/** The transparency report's bases: what an access request invoked. */
export const REPORT_BASES = ['consent', 'legal', 'investigation', 'emergency'] as const;
export type ReportBasis = (typeof REPORT_BASES)[number];
/** The transparency report's counts per cell. */
export const REPORT_METRICS = ['accesses', 'denials', 'sealed', 'breakGlass', 'objections', 'findings'] as const;
export type ReportMetric = (typeof REPORT_METRICS)[number];

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;
