// The chaincode's transaction surface as its clients call it (the gateway, the org commands, the
// benchmarks): one place for the function names (chaincode/contracts/*.ts; `Contract:Fn` for all
// but the default CardContract).
// Every function takes one JSON argument (a chaincode/model DTO).
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
