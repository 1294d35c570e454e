// The chaincode's transaction surface as the gateway calls it: one place for the function names.
// Every function takes one JSON argument (canonical JSON of a chaincode/model DTO).
export const CHAINCODE_FN = {
    issuePersonalRecord: 'IssuePersonalRecord',
    createCard: 'CreateCard',
    getCard: 'GetCard',
    suspendCard: 'SuspendCard',
    suspendCardByCitizen: 'ReportLostDevice',
    reinstateCard: 'ReinstateCard',
    revokeCard: 'RevokeCard',
    renewCard: 'RenewCard',
    rotateKey: 'RotateDeviceKey',
    rotateKeyByIssuer: 'RotateDeviceKeyByIssuer',
    eraseCard: 'EraseCard',
    verifyChallenge: 'VerifyChallenge',
    registerService: 'RegisterService',
    updateService: 'UpdateService',
    deactivateService: 'DeactivateService',
    getService: 'GetService',
    listServices: 'ListServices',
    grantConsent: 'GrantConsent',
    withdrawConsent: 'WithdrawConsent',
    getConsent: 'GetConsent',
    listConsentsByCard: 'ListConsentsByCard',
    listConsentsByRecipient: 'ListConsentsByRecipient',
    requestAccess: 'RequestAccess',
    readGrantedData: 'ReadGrantedData',
    listAccessByCard: 'ListAccessByCard',
    listMyAccess: 'ListMyAccess',
    listAccessByCaller: 'ListAccessByCaller',
    getHistory: 'GetHistory',
    countAccess: 'CountAccess',
} as const;
export type ChaincodeFn = (typeof CHAINCODE_FN)[keyof typeof CHAINCODE_FN];

/** Chaincode event names that concern a card's access log (the SSE stream follows these). */
export const ACCESS_EVENT_NAMES: readonly string[] = ['AccessLogged', 'AccessRequested', 'access'];
