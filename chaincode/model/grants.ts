// Who may call what: (org, role) pairs the contracts check against the caller's certificate, declared
// once here so that the gateways document the same rules (each org's OpenAPI offers only what its
// apps may call) without loading the contracts.
import { AUDITOR_MSP, ISSUER_MSP, Role, SERVICE_ADMIN_MSP } from './vocabulary.js';

/** One allowed (org, role) pair; mspId undefined means any org. */
export interface Grant {
    mspId?: string;
    role: Role;
}

export const ISSUER: readonly Grant[] = [{ mspId: ISSUER_MSP, role: Role.ISSUER }];
export const CITIZEN_AGENT: readonly Grant[] = [{ mspId: ISSUER_MSP, role: Role.CITIZEN_AGENT }];
/** Register, update and deactivate the services of every org: Seoul's issuer and MOIS's service admin. */
export const NATIONAL_SERVICE_ADMINS: readonly Grant[] = [
    { mspId: ISSUER_MSP, role: Role.ISSUER },
    { mspId: SERVICE_ADMIN_MSP, role: Role.SERVICE_ADMIN },
];
/** Who may call the service-changing transactions: the national ones, and any org's service admin for its own org's services. */
export const SERVICE_ADMINS: readonly Grant[] = [...NATIONAL_SERVICE_ADMINS, { role: Role.SERVICE_ADMIN }];
export const DEPARTMENT: readonly Grant[] = [{ role: Role.DEPARTMENT }];
export const AUDITOR: readonly Grant[] = [{ mspId: AUDITOR_MSP, role: Role.AUDITOR }];
export const CONSENT_READERS: readonly Grant[] = [
    { mspId: ISSUER_MSP, role: Role.CITIZEN_AGENT },
    { mspId: ISSUER_MSP, role: Role.ISSUER },
    { mspId: AUDITOR_MSP, role: Role.AUDITOR },
];
/** Who reads any representation or minority record: the citizen's app, the issuer and auditors (as for consents). */
export const REPRESENTATION_READERS: readonly Grant[] = CONSENT_READERS;
