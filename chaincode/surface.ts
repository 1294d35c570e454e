// The chaincode's transaction surface as its clients call it (the gateway, the org commands, the
// benchmarks): one place for the function names (chaincode/contracts/*.ts; `Contract:Fn` for all
// but the default CardContract) and the codes each can refuse with. Every function takes one JSON
// argument (a chaincode/model DTO).
import type { ErrorCode } from './errors';

export const CHAINCODE_FN = {
    issuePersonalRecord: 'CardContract:IssuePersonalRecord',
    createCard: 'CardContract:CreateCard',
    getCard: 'CardContract:GetCard',
    suspendCard: 'CardContract:SuspendCard',
    suspendCardByCitizen: 'CardContract:SuspendCardByCitizen',
    reinstateCard: 'CardContract:ReinstateCard',
    revokeCard: 'CardContract:RevokeCard',
    renewCard: 'CardContract:RenewCard',
    rotateKey: 'CardContract:RotateDeviceKey',
    rotateKeyByIssuer: 'CardContract:RotateDeviceKeyByIssuer',
    erasePersonalRecord: 'CardContract:ErasePersonalRecord',
    confirmErasure: 'CardContract:ConfirmErasure',
    verifyChallenge: 'CardContract:AuthenticateCard',
    registerService: 'ServiceContract:RegisterService',
    updateService: 'ServiceContract:UpdateService',
    deactivateService: 'ServiceContract:DeactivateService',
    getService: 'ServiceContract:GetService',
    listServices: 'ServiceContract:ListServices',
    grantConsent: 'ConsentContract:GrantConsent',
    withdrawConsent: 'ConsentContract:WithdrawConsent',
    getConsent: 'ConsentContract:GetConsent',
    listConsentsByCard: 'ConsentContract:ListConsentsByCard',
    listConsentsByRecipient: 'ConsentContract:ListConsentsByRecipient',
    requestAccess: 'AccessContract:RequestAccess',
    readGrantedData: 'AccessContract:ReadGrantedData',
    getAccess: 'AccessContract:GetAccessLog',
    listAccessByCard: 'AccessContract:ListAccessLogByCard',
    listMyAccess: 'AccessContract:ListMyAccessLog',
    listAccessByCaller: 'AccessContract:ListAccessLogByCaller',
    getHistory: 'AuditContract:GetHistory',
    countAccess: 'AuditContract:CountAccess',
} as const;
export type ChaincodeFn = (typeof CHAINCODE_FN)[keyof typeof CHAINCODE_FN];

/** Chaincode event of a new access-log entry (chaincode/keys.ts EventName.ACCESS_LOGGED): { accessId, cardId, decision }. */
export const ACCESS_EVENT_NAMES: readonly string[] = ['AccessLogged'];

/**
 * The codes each chaincode function can refuse a gateway's call with (the gateway documents them as
 * each route's problems: http/statuses.ts). A test reads them from the contracts' source and fails
 * on any difference. Left out on purpose: INVALID_ARGUMENT of an argument's shape (the gateway
 * validates it with the same DTO first); TRANSIENT_MISSING (the gateway always sends the transient
 * data); SIGNED_REQUEST_REPLAYED where the signed document is only checked, not consumed
 * (AuthenticateCard, ListMyAccessLog evaluate: a replayed document is fresh or expired, never used).
 */
export const CHAINCODE_ERRORS: Readonly<Record<ChaincodeFn, readonly ErrorCode[]>> = {
    [CHAINCODE_FN.issuePersonalRecord]: ['CARD_EXISTS', 'PEER_NOT_MEMBER', 'RECORD_EXISTS', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.createCard]: ['CARD_EXISTS', 'INVALID_ARGUMENT', 'RECORD_MISMATCH', 'RECORD_NOT_FOUND', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.getCard]: ['CARD_NOT_FOUND'],
    [CHAINCODE_FN.suspendCard]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.suspendCardByCitizen]: [
        'CARD_INVALID_STATE',
        'CARD_NOT_FOUND',
        'CARD_REVOKED',
        'SIGNATURE_INVALID',
        'SIGNED_REQUEST_EXPIRED',
        'SIGNED_REQUEST_REPLAYED',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.reinstateCard]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.revokeCard]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.renewCard]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.rotateKey]: [
        'CARD_EXPIRED',
        'CARD_NOT_FOUND',
        'CARD_REVOKED',
        'CARD_SUSPENDED',
        'INVALID_ARGUMENT',
        'SIGNATURE_INVALID',
        'SIGNED_REQUEST_EXPIRED',
        'SIGNED_REQUEST_REPLAYED',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.rotateKeyByIssuer]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'INVALID_ARGUMENT', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.erasePersonalRecord]: [
        'CARD_INVALID_STATE',
        'CARD_NOT_FOUND',
        'CARD_REVOKED',
        'PEER_NOT_MEMBER',
        'RECORD_NOT_FOUND',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.confirmErasure]: ['CARD_INVALID_STATE', 'CARD_NOT_FOUND', 'CARD_REVOKED', 'RECORD_EXISTS', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.verifyChallenge]: [
        'CARD_EXPIRED',
        'CARD_NOT_FOUND',
        'CARD_REVOKED',
        'CARD_SUSPENDED',
        'SIGNATURE_INVALID',
        'SIGNED_REQUEST_EXPIRED',
    ],
    [CHAINCODE_FN.registerService]: ['SERVICE_EXISTS', 'SERVICE_NOT_OWNED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.updateService]: ['SERVICE_INACTIVE', 'SERVICE_NOT_FOUND', 'SERVICE_NOT_OWNED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.deactivateService]: ['SERVICE_INACTIVE', 'SERVICE_NOT_FOUND', 'SERVICE_NOT_OWNED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.getService]: ['SERVICE_NOT_FOUND'],
    [CHAINCODE_FN.listServices]: ['INVALID_BOOKMARK'],
    [CHAINCODE_FN.grantConsent]: [
        'CARD_EXPIRED',
        'CARD_NOT_FOUND',
        'CARD_REVOKED',
        'CARD_SUSPENDED',
        'CONSENT_EXISTS',
        'CONSENT_MISMATCH',
        'ITEMS_NOT_ALLOWED',
        'PURPOSE_MISMATCH',
        'SERVICE_INACTIVE',
        'SERVICE_NOT_FOUND',
        'SIGNATURE_INVALID',
        'SIGNED_REQUEST_EXPIRED',
        'SIGNED_REQUEST_REPLAYED',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.withdrawConsent]: [
        'CARD_NOT_FOUND',
        'CONSENT_MISMATCH',
        'CONSENT_NOT_FOUND',
        'CONSENT_WITHDRAWN',
        'SIGNATURE_INVALID',
        'SIGNED_REQUEST_EXPIRED',
        'SIGNED_REQUEST_REPLAYED',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.getConsent]: ['CONSENT_NOT_FOUND', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.listConsentsByCard]: ['INVALID_BOOKMARK', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.listConsentsByRecipient]: ['INVALID_BOOKMARK', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.requestAccess]: ['CARD_NOT_FOUND', 'INVALID_ARGUMENT', 'SERVICE_NOT_FOUND', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.readGrantedData]: [
        'ACCESS_CALLER_MISMATCH',
        'ACCESS_EXPIRED',
        'ACCESS_NOT_FOUND',
        'ACCESS_NOT_GRANTED',
        'PEER_NOT_MEMBER',
        'PROPOSAL_TIME_INVALID',
        'RECORD_NOT_FOUND',
        'UNAUTHORIZED_ROLE',
    ],
    [CHAINCODE_FN.getAccess]: ['ACCESS_NOT_FOUND', 'UNAUTHORIZED_DEPT', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.listAccessByCard]: ['INVALID_BOOKMARK', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.listMyAccess]: ['CARD_NOT_FOUND', 'INVALID_BOOKMARK', 'SIGNATURE_INVALID', 'SIGNED_REQUEST_EXPIRED', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.listAccessByCaller]: ['INVALID_ARGUMENT', 'INVALID_BOOKMARK', 'UNAUTHORIZED_DEPT', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.getHistory]: ['ACCESS_NOT_FOUND', 'CARD_NOT_FOUND', 'CONSENT_NOT_FOUND', 'SERVICE_NOT_FOUND', 'UNAUTHORIZED_ROLE'],
    [CHAINCODE_FN.countAccess]: ['INVALID_ARGUMENT', 'UNAUTHORIZED_DEPT', 'UNAUTHORIZED_ROLE'],
};
