// The gateway's one error and retry policy. Every failure becomes a ProblemError (RFC 9457
// problem document); every retry decision (conflict, failed submit, commit-status timeout) is
// taken here, from the fabric-gateway error classes and their gRPC / validation codes.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, CommitStatusError, EndorseError, GatewayError, StatusCode } from '@hyperledger/fabric-gateway';

export interface FieldError {
    /** Dotted path of the failing field, with `body.`, `query.`, `path.` or `header.` in front. */
    field: string;
    /** class-validator constraint names and their messages. */
    constraints: Record<string, string>;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
export const PROBLEM_BASE = 'https://citizencards.seoul.example.gov/problems/';

/** An HTTP failure with a stable code, rendered as application/problem+json. */
export class ProblemError extends Error {
    readonly status: number;
    readonly code: string;
    readonly title: string;
    readonly fields?: FieldError[];
    readonly retryAfterSeconds?: number;
    readonly transactionId?: string;

    constructor(p: {
        status: number;
        code: string;
        title: string;
        detail?: string;
        fields?: FieldError[];
        retryAfterSeconds?: number;
        transactionId?: string;
    }) {
        super(p.detail ?? p.title);
        this.name = 'ProblemError';
        this.status = p.status;
        this.code = p.code;
        this.title = p.title;
        this.fields = p.fields;
        this.retryAfterSeconds = p.retryAfterSeconds;
        this.transactionId = p.transactionId;
    }

    /** The RFC 9457 document; `instance` is the request path, `requestId` ties it to the logs. */
    toProblem(instance: string, requestId: string): ProblemDocument {
        const doc: ProblemDocument = {
            type: PROBLEM_BASE + this.code.toLowerCase().replace(/_/g, '-'),
            title: this.title,
            status: this.status,
            detail: this.message,
            instance,
            code: this.code,
            requestId,
        };
        if (this.fields) doc.errors = this.fields;
        if (this.transactionId) doc.transactionId = this.transactionId;
        return doc;
    }
}

export interface ProblemDocument {
    type: string;
    title: string;
    status: number;
    detail: string;
    instance: string;
    code: string;
    requestId: string;
    errors?: FieldError[];
    transactionId?: string;
}

export const badRequest = (fields: FieldError[], detail = 'the request is not valid'): ProblemError =>
    new ProblemError({ status: 400, code: 'VALIDATION_FAILED', title: 'Invalid request', detail, fields });

export const unauthorized = (detail: string): ProblemError =>
    new ProblemError({ status: 401, code: 'UNAUTHENTICATED', title: 'Authentication required', detail });

export const notFound = (detail: string): ProblemError => new ProblemError({ status: 404, code: 'NOT_FOUND', title: 'Not found', detail });

// ---------------------------------------------------------------------------------------------
// Chaincode codes. The chaincode throws `CODE: message`; Fabric's gateway hands it back as
// "chaincode response 500, CODE: message" (gRPC UNKNOWN for evaluate, in the details of an
// EndorseError for endorse). The code is the contract, the message is for people.

/** HTTP status classes of chaincode codes; the chaincode's own table (chaincode/errors.ts) is merged in at start. */
const chaincodeStatus = new Map<string, number>();

/** Registers (or overrides) the HTTP status of chaincode codes. */
export function registerChaincodeCodes(table: Record<string, number>): void {
    for (const [code, status] of Object.entries(table)) chaincodeStatus.set(code, status);
}

/**
 * Status of a chaincode code that is not in the table, from the naming conventions the
 * chaincode follows, so that a new code is still mapped to the right class of status.
 */
function statusByConvention(code: string): number {
    if (
        /(^|_)(FORBIDDEN|ROLE|NOT_AUTHORIZED|UNAUTHORIZED|ACCESS_DENIED|WRONG_ORG|WRONG_DEPT|NOT_ISSUER|NOT_ALLOWED_CALLER)(_|$)/.test(code)
    )
        return 403;
    if (/_NOT_FOUND$|^NOT_FOUND$|^UNKNOWN_/.test(code)) return 404;
    if (/^INVALID_|_INVALID$|^BAD_|_MALFORMED$|^MALFORMED_/.test(code)) return 400;
    if (
        /_EXISTS$|^ALREADY_|_ALREADY_|_CONFLICT$|_STATE$|_REVOKED$|_SUSPENDED$|_NOT_ACTIVE$|_INACTIVE$|_WITHDRAWN$|_EXPIRED$|_ERASED$|_REPLAYED$|^REPLAY/.test(
            code,
        )
    )
        return 409;
    return 422;
}

export function chaincodeCodeStatus(code: string): number {
    return chaincodeStatus.get(code) ?? statusByConvention(code);
}

const CHAINCODE_CODE = /^(?:chaincode response \d+, )?([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}): ([\s\S]*)$/;

export interface ChaincodeFailure {
    code: string;
    message: string;
}

/** The `CODE: message` a chaincode threw, from an evaluate error, an EndorseError or a plain message. */
export function chaincodeFailure(err: unknown): ChaincodeFailure | undefined {
    const candidates: string[] = [];
    if (err instanceof GatewayError) {
        for (const d of err.details ?? []) candidates.push(d.message);
        // Evaluate puts the chaincode's message in the status message itself.
        const m = /evaluate call to endorser returned error: ([\s\S]*)$/.exec(err.cause?.details ?? err.message);
        if (m) candidates.push(m[1]);
    } else if (err instanceof Error) {
        candidates.push(err.message);
    }
    for (const text of candidates) {
        const m = CHAINCODE_CODE.exec(text.trim());
        if (m) return { code: m[1], message: m[2] };
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Retry decisions.

/** MVCC and phantom-read conflicts: the endorsement read stale state; only a NEW proposal can succeed. */
export function isConflict(err: unknown): boolean {
    return err instanceof CommitError && (err.code === StatusCode.MVCC_READ_CONFLICT || err.code === StatusCode.PHANTOM_READ_CONFLICT);
}

/** fabric-gateway exports SubmitError as a type only; its instances carry this name. */
export function isSubmitError(err: unknown): err is GatewayError & { transactionId: string } {
    return err instanceof GatewayError && err.name === 'SubmitError';
}

/**
 * A submit that failed for a transport reason: the orderer may not have the envelope, so the SAME
 * signed transaction is sent again (the same transaction id: it can commit at most once).
 */
export function isRetryableSubmit(err: unknown): boolean {
    return (
        isSubmitError(err) &&
        [
            GrpcStatus.UNAVAILABLE,
            GrpcStatus.DEADLINE_EXCEEDED,
            GrpcStatus.CANCELLED,
            GrpcStatus.ABORTED,
            GrpcStatus.RESOURCE_EXHAUSTED,
        ].includes(err.code)
    );
}

/** The commit status did not arrive in time: the transaction may still commit; ask again, never resubmit. */
export function isCommitStatusTimeout(err: unknown): boolean {
    return err instanceof CommitStatusError && (err.code === GrpcStatus.DEADLINE_EXCEEDED || err.code === GrpcStatus.UNAVAILABLE);
}

/** Exponential backoff with full jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
    const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.floor(random() * cap);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** About 3 s in all: far longer than one block's commit reaching every peer, short for a client. */
const CATCH_UP_DELAYS_MS = [25, 50, 100, 200, 400, 500, 500, 500, 500];

/**
 * Runs work that reads what a transaction has just committed. The commit was confirmed by the
 * gateway's own peer and, within GATEWAY_PEER_COMMIT_WAIT_MS, by the other orgs' peers
 * (fabric/peers.ts); a peer past that wait may still be a block behind, and then answers a "not
 * found" code: retried while the chaincode answers one of `notYet`, then the last refusal.
 */
export async function afterCommit<T>(work: () => Promise<T>, notYet: string[], wait: (ms: number) => Promise<void> = sleep): Promise<T> {
    for (let attempt = 0; ; attempt++) {
        try {
            return await work();
        } catch (err) {
            if (attempt >= CATCH_UP_DELAYS_MS.length || !notYet.includes(toProblem(err).code)) throw err;
            await wait(CATCH_UP_DELAYS_MS[attempt]);
        }
    }
}

/** Thrown by the Fabric layer when a transaction's outcome is unknown after every commit-status query. */
export class OutcomeUnknownError extends Error {
    constructor(
        readonly transactionId: string,
        cause: unknown,
    ) {
        super(`the commit status of transaction ${transactionId} is unknown: ${(cause as Error)?.message ?? String(cause)}`);
        this.name = 'OutcomeUnknownError';
    }
}

// ---------------------------------------------------------------------------------------------
// Mapping to HTTP.

const RETRY_AFTER_SECONDS = 2;

function unavailable(detail: string): ProblemError {
    return new ProblemError({
        status: 503,
        code: 'FABRIC_UNAVAILABLE',
        title: 'Ledger unavailable',
        detail,
        retryAfterSeconds: RETRY_AFTER_SECONDS,
    });
}

/** Turns anything thrown by a route or the Fabric layer into a ProblemError. */
export function toProblem(err: unknown): ProblemError {
    if (err instanceof ProblemError) return err;
    const cc = chaincodeFailure(err);
    if (cc && (err instanceof GatewayError || (err instanceof Error && err.name === 'ChaincodeError'))) {
        const status = chaincodeCodeStatus(cc.code);
        return new ProblemError({
            status,
            code: cc.code,
            title: titleFor(status),
            detail: cc.message,
            transactionId: err instanceof EndorseError ? err.transactionId : undefined,
        });
    }
    if (err instanceof OutcomeUnknownError) {
        return new ProblemError({
            status: 504,
            code: 'COMMIT_STATUS_UNKNOWN',
            title: 'Transaction outcome unknown',
            detail: 'the transaction was submitted but its commit status did not arrive in time; retry with the same Idempotency-Key to learn the outcome (it will not be submitted twice)',
            transactionId: err.transactionId,
            retryAfterSeconds: RETRY_AFTER_SECONDS,
        });
    }
    if (err instanceof CommitError) {
        if (isConflict(err)) {
            return new ProblemError({
                status: 409,
                code: 'LEDGER_CONFLICT',
                title: 'Conflicting concurrent update',
                detail: 'the transaction kept conflicting with concurrent updates; retry later',
                transactionId: err.transactionId,
                retryAfterSeconds: 1,
            });
        }
        return new ProblemError({
            status: 409,
            code: 'TX_INVALIDATED',
            title: 'Transaction not valid',
            detail: `the transaction committed as invalid (validation code ${err.code})`,
            transactionId: err.transactionId,
        });
    }
    if (err instanceof GatewayError) {
        switch (err.code) {
            case GrpcStatus.UNAVAILABLE:
            case GrpcStatus.DEADLINE_EXCEEDED:
            // The gateway never cancels its own calls: a CANCELLED is the peer resetting the stream,
            // as Fabric's gRPC server does when the call's deadline passes on its clock first.
            case GrpcStatus.CANCELLED:
            case GrpcStatus.RESOURCE_EXHAUSTED:
                return unavailable('the peer or the ordering service did not answer in time');
            case GrpcStatus.PERMISSION_DENIED:
                return new ProblemError({
                    status: 403,
                    code: 'FABRIC_ACCESS_DENIED',
                    title: 'Forbidden',
                    detail: 'the peer refused this identity',
                });
            case GrpcStatus.NOT_FOUND:
                return new ProblemError({
                    status: 404,
                    code: 'FABRIC_NOT_FOUND',
                    title: 'Not found',
                    detail: 'the peer does not know this channel, chaincode or transaction',
                });
            default:
                return new ProblemError({
                    status: 502,
                    code: 'FABRIC_ERROR',
                    title: 'Ledger error',
                    detail: 'the ledger refused the request for a reason that is not a chaincode rule',
                    transactionId: 'transactionId' in err ? (err as { transactionId: string }).transactionId : undefined,
                });
        }
    }
    // A connection-level failure of the gRPC client before fabric-gateway wrapped it.
    if (err instanceof Error && 'code' in err && (err as { code: unknown }).code === GrpcStatus.UNAVAILABLE) {
        return unavailable('the peer is not reachable');
    }
    return new ProblemError({
        status: 500,
        code: 'INTERNAL',
        title: 'Internal error',
        detail: 'an unexpected error occurred; see the gateway log with the request id',
    });
}

function titleFor(status: number): string {
    switch (status) {
        case 400:
            return 'Invalid request';
        case 403:
            return 'Forbidden';
        case 404:
            return 'Not found';
        case 409:
            return 'State conflict';
        default:
            return 'Refused by a ledger rule';
    }
}
