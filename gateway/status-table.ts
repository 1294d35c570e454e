// HTTP status of each chaincode error code. Starts from the chaincode's own suggestion
// (chaincode/errors.ts ERROR_HTTP_STATUS) and applies the gateway's contract: 403 for role and
// ownership, 404 not found, 409 state conflict, 422 a rule refused the request. The API key is the
// HTTP caller's authentication, so a bad device signature is a refused rule (422), not a 401.
import { ERROR_HTTP_STATUS } from '../chaincode/errors';

const OVERRIDES: Record<string, number> = {
    SIGNATURE_INVALID: 422,
    SIGNED_REQUEST_EXPIRED: 422,
    CONSENT_REQUIRED: 422,
    CONSENT_WITHDRAWN: 422,
    CONSENT_EXPIRED: 422,
    CONSENT_SCOPE_EXCEEDED: 422,
    ACCESS_NOT_GRANTED: 422,
};

export const CHAINCODE_HTTP_STATUS: Readonly<Record<string, number>> = { ...ERROR_HTTP_STATUS, ...OVERRIDES };
