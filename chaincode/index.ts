// Chaincode entry point: fabric-chaincode-node loads `contracts` from here (package.json main).
// The first contract is the default one (callable without the `ContractName:` prefix).

import 'reflect-metadata';
import { AccessContract } from './contracts/access.js';
import { AuditContract } from './contracts/audit.js';
import { CardContract } from './contracts/card.js';
import { ConsentContract } from './contracts/consent.js';
import { ObjectionContract } from './contracts/objection.js';
import { OversightContract } from './contracts/oversight.js';
import { ReportContract } from './contracts/report.js';
import { RepresentationContract } from './contracts/representation.js';
import { ServiceContract } from './contracts/service.js';

export {
    AccessContract,
    AuditContract,
    CardContract,
    ConsentContract,
    ObjectionContract,
    OversightContract,
    ReportContract,
    RepresentationContract,
    ServiceContract,
};

export const contracts: unknown[] = [
    CardContract,
    ServiceContract,
    ConsentContract,
    AccessContract,
    AuditContract,
    OversightContract,
    RepresentationContract,
    ObjectionContract,
    ReportContract,
];
