// Every state key prefix and event name of the chaincode, in one place.

/** Composite-key object types (public state). */
export const KeyType = {
    CARD: 'card',
    SERVICE: 'service',
    SERVICE_BY_ORG: 'service~org', // [ownerMspId, serviceId] -> "1"
    CONSENT: 'consent',
    CONSENT_BY_CARD: 'consent~card', // [cardId, consentId] -> "1"
    CONSENT_BY_RECIPIENT: 'consent~recipient', // [recipientMspId, consentId] -> "1"
    NONCE: 'nonce', // [cardId, nonce] -> txId (signed-request replay protection)
    ACCESS: 'access', // [accessId] -> AccessLogEntry
    ACCESS_BY_CARD: 'access~card', // [cardId, timestamp, accessId] -> AccessLogEntry (immutable copy)
    SEAL: 'seal', // [accessId] -> Seal (the seal of a sealed entry: separate, extendable state)
    BREAK_GLASS: 'breakglass', // [mspId, dept] -> BreakGlassState (this month's count, the block)
    REVIEW: 'review', // [reviewId] -> Review (a break-glass access's review case; reviewId = accessId)
    REVIEW_BY_STATUS: 'review~status', // [status, openedAt, reviewId] -> "1"
    MINORITY: 'minority', // [cardId] -> Minority (the chains' anchors, never a birth date)
    REPRESENTATION: 'representation', // [representationId] -> Representation
    REPRESENTATION_BY_REPRESENTATIVE: 'representation~representative', // [representativeCardId, representationId] -> "1"
    REPRESENTATION_BY_REPRESENTED: 'representation~represented', // [representedCardId, representationId] -> "1"
    OBJECTION: 'objection', // [objectionId] -> Objection (its text: private, issuer only)
    OBJECTION_BY_STATUS: 'objection~status', // [status, filedAt, objectionId] -> "1"
    OBJECTION_BY_CARD: 'objection~card', // [cardId, objectionId] -> "1"
    OBJECTION_BY_CALLER: 'objection~caller', // [mspId, dept, objectionId] -> "1" (the department the entry names)
} as const;

/**
 * Time-ordered index of access-log entries by caller, as simple keys so that a time range is one
 * range query: `accesslog|<mspId>|<dept>|<timestamp>|<accessId>` -> AccessLogEntry.
 * mspId and dept never contain '|' (DTO patterns), timestamps are fixed-width ISO-8601 UTC.
 */
export const ACCESS_BY_CALLER_PREFIX = 'accesslog|';
export function accessByCallerKey(mspId: string, dept: string, timestamp: string, accessId: string): string {
    return `${ACCESS_BY_CALLER_PREFIX}${mspId}|${dept}|${timestamp}|${accessId}`;
}

/**
 * The transparency report's write-once counts: one key per counted transaction, ordered by Seoul
 * month then time, `stats|<YYYY-MM>|<timestamp>|<txId>` -> StatsDelta (written blind: no read, so
 * no MVCC conflict between transactions), and a month's rolled-up sums `statsum|<YYYY-MM>` -> StatsSummary.
 */
export const STATS_PREFIX = 'stats|';
export function statsKey(month: string, timestamp: string, txId: string): string {
    return `${STATS_PREFIX}${month}|${timestamp}|${txId}`;
}
/** [start, end) of one month's deltas ('}' sorts after '|'). */
export function statsRange(month: string): [string, string] {
    return [`${STATS_PREFIX}${month}|`, `${STATS_PREFIX}${month}}`];
}
export function statsSummaryKey(month: string): string {
    return `statsum|${month}`;
}

/** Simple keys in the private collection personalData. */
export function personalRecordKey(cardId: string): string {
    return `record|${cardId}`;
}
export function commitmentAnchorKey(cardId: string): string {
    return `anchor|${cardId}`;
}
/** The issuer peer's minority anchor (MinorityAnchor): its hash lets every endorser check RecordMinority. */
export function minorityAnchorKey(cardId: string): string {
    return `minority|${cardId}`;
}
/** An objection's text and salt (ObjectionText), and its anchor (checked by hash in FileObjection). */
export function objectionTextKey(objectionId: string): string {
    return `objection|${objectionId}`;
}
export function objectionAnchorKey(objectionId: string): string {
    return `objection-anchor|${objectionId}`;
}

/** Chaincode event names; payloads carry ids only. Fabric keeps one event per transaction. */
export const EventName = {
    CARD_CREATED: 'CardCreated',
    CARD_SUSPENDED: 'CardSuspended',
    CARD_REINSTATED: 'CardReinstated',
    CARD_REVOKED: 'CardRevoked',
    CARD_RENEWED: 'CardRenewed',
    DEVICE_KEY_ROTATED: 'DeviceKeyRotated',
    CARD_ERASED: 'CardErased',
    SERVICE_REGISTERED: 'ServiceRegistered',
    SERVICE_UPDATED: 'ServiceUpdated',
    SERVICE_DEACTIVATED: 'ServiceDeactivated',
    CONSENT_GRANTED: 'ConsentGranted',
    CONSENT_WITHDRAWN: 'ConsentWithdrawn',
    ACCESS_LOGGED: 'AccessLogged',
    /** A sealed entry: no cardId, so that no tracker notification reveals it before its seal date. */
    SEALED_ACCESS_LOGGED: 'SealedAccessLogged',
    SEAL_EXTENDED: 'SealExtended',
    REVIEW_DECIDED: 'ReviewDecided',
    BREAK_GLASS_CLEARED: 'BreakGlassCleared',
    MINORITY_RECORDED: 'MinorityRecorded',
    MINORITY_ENDED: 'MinorityEnded',
    REPRESENTATION_RECORDED: 'RepresentationRecorded',
    REPRESENTATION_REVOKED: 'RepresentationRevoked',
    OBJECTION_FILED: 'ObjectionFiled',
    OBJECTION_DECIDED: 'ObjectionDecided',
    REPORT_ROLLED_UP: 'ReportRolledUp',
} as const;
export type EventName = (typeof EventName)[keyof typeof EventName];
