// Stable error codes of the chaincode. Every refusal is thrown as `CODE: message` so that the
// gateway maps the code (never the prose) to an HTTP status. Shared with the gateway: no fabric imports.

export const ErrorCode = {
    INVALID_ARGUMENT: 'INVALID_ARGUMENT',
    INVALID_BOOKMARK: 'INVALID_BOOKMARK',
    UNAUTHORIZED_ROLE: 'UNAUTHORIZED_ROLE',
    UNAUTHORIZED_DEPT: 'UNAUTHORIZED_DEPT',
    PEER_NOT_MEMBER: 'PEER_NOT_MEMBER',
    TRANSIENT_MISSING: 'TRANSIENT_MISSING',
    PROPOSAL_TIME_INVALID: 'PROPOSAL_TIME_INVALID',
    CARD_NOT_FOUND: 'CARD_NOT_FOUND',
    CARD_EXISTS: 'CARD_EXISTS',
    CARD_SUSPENDED: 'CARD_SUSPENDED',
    CARD_REVOKED: 'CARD_REVOKED',
    CARD_EXPIRED: 'CARD_EXPIRED',
    CARD_INVALID_STATE: 'CARD_INVALID_STATE',
    RECORD_NOT_FOUND: 'RECORD_NOT_FOUND',
    RECORD_EXISTS: 'RECORD_EXISTS',
    RECORD_MISMATCH: 'RECORD_MISMATCH',
    SIGNATURE_INVALID: 'SIGNATURE_INVALID',
    SIGNED_REQUEST_REPLAYED: 'SIGNED_REQUEST_REPLAYED',
    SIGNED_REQUEST_EXPIRED: 'SIGNED_REQUEST_EXPIRED',
    SERVICE_NOT_FOUND: 'SERVICE_NOT_FOUND',
    SERVICE_EXISTS: 'SERVICE_EXISTS',
    SERVICE_INACTIVE: 'SERVICE_INACTIVE',
    SERVICE_NOT_OWNED: 'SERVICE_NOT_OWNED',
    ITEMS_NOT_ALLOWED: 'ITEMS_NOT_ALLOWED',
    PURPOSE_MISMATCH: 'PURPOSE_MISMATCH',
    CONSENT_NOT_FOUND: 'CONSENT_NOT_FOUND',
    CONSENT_EXISTS: 'CONSENT_EXISTS',
    CONSENT_REQUIRED: 'CONSENT_REQUIRED',
    CONSENT_WITHDRAWN: 'CONSENT_WITHDRAWN',
    CONSENT_EXPIRED: 'CONSENT_EXPIRED',
    CONSENT_SCOPE_EXCEEDED: 'CONSENT_SCOPE_EXCEEDED',
    CONSENT_MISMATCH: 'CONSENT_MISMATCH',
    ACCESS_NOT_FOUND: 'ACCESS_NOT_FOUND',
    ACCESS_NOT_GRANTED: 'ACCESS_NOT_GRANTED',
    ACCESS_EXPIRED: 'ACCESS_EXPIRED',
    ACCESS_CALLER_MISMATCH: 'ACCESS_CALLER_MISMATCH',
    // issue 24: special service bases (investigation, emergency)
    SERVICE_BASIS_MISMATCH: 'SERVICE_BASIS_MISMATCH',
    BREAK_GLASS_REQUIRED: 'BREAK_GLASS_REQUIRED',
    // issue 24: sealed access entries
    SEAL_TOO_LONG: 'SEAL_TOO_LONG',
    SEAL_NOT_FOUND: 'SEAL_NOT_FOUND',
    SEAL_RELEASED: 'SEAL_RELEASED',
    // issue 24: break-glass access and its review
    BREAK_GLASS_REASON_REQUIRED: 'BREAK_GLASS_REASON_REQUIRED',
    BREAK_GLASS_LIMIT_EXCEEDED: 'BREAK_GLASS_LIMIT_EXCEEDED',
    BREAK_GLASS_NOT_BLOCKED: 'BREAK_GLASS_NOT_BLOCKED',
    REVIEW_NOT_FOUND: 'REVIEW_NOT_FOUND',
    REVIEW_DECIDED: 'REVIEW_DECIDED',
    TEXT_NOT_ALLOWED: 'TEXT_NOT_ALLOWED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Suggested HTTP status per code (the gateway may use it as its mapping table). */
export const ERROR_HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
    INVALID_ARGUMENT: 400,
    INVALID_BOOKMARK: 400,
    UNAUTHORIZED_ROLE: 403,
    UNAUTHORIZED_DEPT: 403,
    PEER_NOT_MEMBER: 503,
    TRANSIENT_MISSING: 400,
    PROPOSAL_TIME_INVALID: 400,
    CARD_NOT_FOUND: 404,
    CARD_EXISTS: 409,
    CARD_SUSPENDED: 409,
    CARD_REVOKED: 409,
    CARD_EXPIRED: 409,
    CARD_INVALID_STATE: 409,
    RECORD_NOT_FOUND: 404,
    RECORD_EXISTS: 409,
    RECORD_MISMATCH: 409,
    SIGNATURE_INVALID: 401,
    SIGNED_REQUEST_REPLAYED: 409,
    SIGNED_REQUEST_EXPIRED: 401,
    SERVICE_NOT_FOUND: 404,
    SERVICE_EXISTS: 409,
    SERVICE_INACTIVE: 409,
    SERVICE_NOT_OWNED: 403,
    ITEMS_NOT_ALLOWED: 422,
    PURPOSE_MISMATCH: 422,
    CONSENT_NOT_FOUND: 404,
    CONSENT_EXISTS: 409,
    CONSENT_REQUIRED: 403,
    CONSENT_WITHDRAWN: 403,
    CONSENT_EXPIRED: 403,
    CONSENT_SCOPE_EXCEEDED: 403,
    CONSENT_MISMATCH: 422,
    ACCESS_NOT_FOUND: 404,
    ACCESS_NOT_GRANTED: 403,
    ACCESS_EXPIRED: 410,
    ACCESS_CALLER_MISMATCH: 403,
    SERVICE_BASIS_MISMATCH: 422,
    BREAK_GLASS_REQUIRED: 403,
    SEAL_TOO_LONG: 422,
    SEAL_NOT_FOUND: 404,
    SEAL_RELEASED: 409,
    BREAK_GLASS_REASON_REQUIRED: 422,
    BREAK_GLASS_LIMIT_EXCEEDED: 403,
    BREAK_GLASS_NOT_BLOCKED: 409,
    REVIEW_NOT_FOUND: 404,
    REVIEW_DECIDED: 409,
    TEXT_NOT_ALLOWED: 422,
};

/** An error whose message is `CODE: detail`; fabric-contract-api sends the message to the client. */
export class ChaincodeError extends Error {
    readonly code: ErrorCode;
    constructor(code: ErrorCode, detail: string) {
        super(`${code}: ${detail}`);
        this.name = 'ChaincodeError';
        this.code = code;
    }
}

// Not anchored: fabric-gateway wraps the chaincode message (e.g. "chaincode response 500, CODE: ...").
const CODE_PATTERN = /\b([A-Z][A-Z_]{2,}): /g;

/** Extracts the stable code from an error message (e.g. a fabric-gateway EndorseError detail). */
export function parseErrorCode(message: string): ErrorCode | undefined {
    for (const m of message.matchAll(CODE_PATTERN)) {
        const code = m[1] as string;
        if (Object.hasOwn(ErrorCode, code)) return code as ErrorCode;
    }
    return undefined;
}

export function fail(code: ErrorCode, detail: string): never {
    throw new ChaincodeError(code, detail);
}
