// The product chaincode's own description of itself (`org.hyperledger.fabric:GetMetadata`, which
// fabric-contract-api answers for every contract chaincode) through the real fabric-gateway client:
// what tools such as the VS Code extension and `peer chaincode query` read to list a chaincode's
// transactions. It failed with "classToPlain is not a function" while class-transformer 0.4.1 (which
// dropped that export) was installed for fabric-contract-api.
// The contracts are loaded in this process to read what their decorators recorded: quiet first.
import '../unit/chaincode/quiet.js';
import 'reflect-metadata';
import { expect } from 'chai';
import { testNetwork, NETWORK_LABEL } from './network';
import { connection, contractOf, closeConnections, utf8 } from './helpers';
import type { Topology } from '../../network/client/topology';
import { contracts } from '../../chaincode/index.js';

const CC = 'citizencard';

interface ContractMetadata {
    name: string;
    transactions: { name: string; tag?: string[] }[];
}

/** What fabric-contract-api's @Transaction decorators recorded on each contract class. */
function decorated(): Map<string, { name: string; tags: string[] }[]> {
    const out = new Map<string, { name: string; tags: string[] }[]>();
    for (const cls of contracts as (new () => { getName(): string })[]) {
        const recorded = (Reflect.getMetadata('fabric:transactions', cls.prototype) ?? []) as { name: string; tag: string[] }[];
        out.set(
            new cls().getName(),
            recorded.map((tx) => ({ name: tx.name, tags: tx.tag })),
        );
    }
    return out;
}

describe(`chaincode metadata on ${NETWORK_LABEL}`, function () {
    this.timeout(120_000);
    let t: Topology;

    before(async () => {
        t = (await testNetwork()).topology;
    });
    after(closeConnections);

    it('When each org evaluates org.hyperledger.fabric:GetMetadata, Then it lists every contract and each decorated transaction with its submit/evaluate tag', async () => {
        const expected = decorated();
        expect([...expected.keys()]).to.include.members([
            'CardContract',
            'ServiceContract',
            'ConsentContract',
            'AccessContract',
            'AuditContract',
        ]);
        for (const org of t.orgs) {
            const contract = contractOf(t, connection(t, org.mspId).gateway, CC);
            const metadata = JSON.parse(utf8(await contract.evaluateTransaction('org.hyperledger.fabric:GetMetadata'))) as {
                contracts: Record<string, ContractMetadata>;
                info?: { title?: string };
            };
            expect(Object.keys(metadata.contracts)).to.have.members([...expected.keys(), 'org.hyperledger.fabric'], org.mspId);
            for (const [name, transactions] of expected) {
                expect(transactions, `${name} has decorated transactions`).to.not.be.empty;
                const listed = metadata.contracts[name].transactions.map((tx) => ({ name: tx.name, tags: tx.tag ?? [] }));
                expect(listed, `${org.mspId} ${name}`).to.have.deep.members(transactions);
            }
            // The system contract describes itself too: GetMetadata is its one transaction.
            expect(metadata.contracts['org.hyperledger.fabric'].transactions.map((tx) => tx.name)).to.deep.equal(['GetMetadata']);
        }
    });
});
