// The _lifecycle system chaincode against Fabric v3.1.5's behaviour (core/chaincode/lifecycle):
// the bytes it writes (the worked example dumped with Fabric's own Serializer), the sequence and
// redefinition rules of ApproveChaincodeDefinitionForMyOrg, CheckCommitReadiness from hashes,
// CommitChaincodeDefinition's own-org rule, the queries, and every message of the spec's B.8.
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import type { ChaincodeConfig } from '../../../network/client/topology';
import type { VerifiedIdentity } from '../../../network/devnet/msp/msp';
import {
    approveDefinitionArgs,
    checkCommitReadinessArgs,
    commitDefinitionArgs,
    Lifecycle,
    lifecycleCallArgs,
    queryDefinitionArgs,
} from '../../../network/devnet/peer/scc/lifecycle';
import { applicationPolicy, localApproval, readCommittedDefinition, sha256 } from '../../../network/devnet/peer/scc/lifecycle-state';
import { MemoryLedger, MemorySimulator } from '../endorser/helpers';

const CHANNEL = 'mychannel';
const ORGS = ['Org1MSP', 'Org2MSP', 'Org3MSP'];
const hex = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('hex');

/** The definition of the spec's worked example (and of /tmp/lcexp-out.txt, Fabric's own serializer). */
const EXAMPLE: ChaincodeConfig = {
    name: 'citizencard',
    version: '1.0',
    sequence: 1,
    endorsementPolicy: '/Channel/Application/Endorsement',
    collections: [
        {
            name: 'citizenPrivate',
            policy: "OR('Org1MSP.member','Org2MSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 1,
            blockToLive: 0,
            memberOnlyRead: true,
            memberOnlyWrite: true,
        },
    ],
    server: { modulePath: 'x', ports: {}, tls: false },
};
const PACKAGE = 'citizencard_1.0:abc123';

describe('_lifecycle approvals and commit (Fabric v3.1.5 core/chaincode/lifecycle)', () => {
    let ledger: MemoryLedger;
    let hasEndorsementPolicy: boolean;
    const scc = (mspId: string) =>
        new Lifecycle({
            mspId,
            applicationOrgs: () => ORGS,
            hasPolicy: (p) => p !== '/Channel/Application/Endorsement' || hasEndorsementPolicy,
        });

    beforeEach(() => {
        ledger = new MemoryLedger();
        hasEndorsementPolicy = true;
    });

    /** Invokes _lifecycle as the peer of `mspId` would; `apply` commits its writes to the memory ledger. */
    async function call(mspId: string, fn: string, args: { serializeBinary(): Uint8Array }, apply = true) {
        const sim = ledger.newTxSimulator(`tx${ledger.simulators.length}`) as MemorySimulator;
        const creator: VerifiedIdentity = { mspId, role: 'admin', certificatePem: '', subject: 'CN=Admin', attrs: {} };
        const response = await scc(mspId).invoke({
            channelId: CHANNEL,
            txId: sim.txId,
            args: lifecycleCallArgs(fn, args),
            signedProposal: new peer.SignedProposal(),
            creator,
            simulator: sim,
            checkACL: () => undefined,
        });
        if (apply && response.getStatus() === 200) ledger.apply(sim);
        return { response, sim, message: response.getMessage(), status: response.getStatus() };
    }
    const approve = (mspId: string, cc: ChaincodeConfig = EXAMPLE, pkg = PACKAGE) =>
        call(mspId, 'ApproveChaincodeDefinitionForMyOrg', approveDefinitionArgs(cc, pkg));
    const commit = (mspId: string, cc: ChaincodeConfig = EXAMPLE) => call(mspId, 'CommitChaincodeDefinition', commitDefinitionArgs(cc));
    const readiness = async (mspId: string, cc: ChaincodeConfig = EXAMPLE) => {
        const r = await call(mspId, 'CheckCommitReadiness', checkCommitReadinessArgs(cc));
        expect(r.status, r.message).to.equal(200);
        const result = peer.lifecycle.CheckCommitReadinessResult.deserializeBinary(r.response.getPayload_asU8());
        return {
            approvals: Object.fromEntries(result.getApprovalsMap().getEntryList()),
            raw: result,
        };
    };
    const fail = (fn: string, message: string) => `failed to invoke backing implementation of '${fn}': ${message}`;
    const privateKey = (mspId: string, key: string) => `_lifecycle\u0000_implicit_org_${mspId}\u0000${key}`;

    describe("the bytes Fabric's serializer writes (the spec's worked example)", () => {
        it("Given Org1's admin, When it approves the example definition, Then its implicit collection holds Fabric's six keys with Fabric's bytes", async () => {
            const { status, message, sim } = await approve('Org1MSP');
            expect(status, message).to.equal(200);
            const written = Object.fromEntries([...sim.privateWrites].map(([k, v]) => [k.split('\u0000').slice(1).join(' '), hex(v!)]));
            expect(written).to.deep.equal({
                '_implicit_org_Org1MSP namespaces/metadata/citizencard#1':
                    '0a13436861696e636f6465506172616d6574657273120f456e646f7273656d656e74496e666f120e56616c69646174696f6e496e666f120b436f6c6c656374696f6e73',
                '_implicit_org_Org1MSP namespaces/fields/citizencard#1/EndorsementInfo': '120b0a03312e301a0465736363',
                '_implicit_org_Org1MSP namespaces/fields/citizencard#1/ValidationInfo':
                    '122a0a0476736363122212202f4368616e6e656c2f4170706c69636174696f6e2f456e646f7273656d656e74',
                '_implicit_org_Org1MSP namespaces/fields/citizencard#1/Collections':
                    '12460a440a420a0e636974697a656e50726976617465122a0a28120c120a080112020800120208011a0b12090a074f7267314d53501a0b12090a074f7267324d5350200130013801',
                '_implicit_org_Org1MSP chaincode-sources/metadata/citizencard#1':
                    '0a15436861696e636f64654c6f63616c5061636b61676512095061636b6167654944',
                '_implicit_org_Org1MSP chaincode-sources/fields/citizencard#1/PackageID':
                    '1a16636974697a656e636172645f312e303a616263313233',
            });
            // Nothing public: the transaction carries only the hashes of these.
            expect(sim.writes.size).to.equal(0);
            expect(hex(sha256(sim.privateWrites.get(privateKey('Org1MSP', 'namespaces/metadata/citizencard#1'))!))).to.equal(
                '991432db73fede13edbd2a61b0e0e92bb12f3c484be0b660caf8b0c31ef14706',
            );
        });

        it("Given Org1 approved, When Org1's peer commits, Then _lifecycle's public state holds Fabric's five keys with Fabric's bytes", async () => {
            await approve('Org1MSP');
            const { status, message, sim } = await commit('Org1MSP');
            expect(status, message).to.equal(200);
            const written = Object.fromEntries([...sim.writes].map(([k, v]) => [k.split('\u0000')[1], hex(v!)]));
            expect(written).to.deep.equal({
                'namespaces/metadata/citizencard':
                    '0a13436861696e636f6465446566696e6974696f6e120853657175656e6365120f456e646f7273656d656e74496e666f120e56616c69646174696f6e496e666f120b436f6c6c656374696f6e73',
                'namespaces/fields/citizencard/Sequence': '0801',
                'namespaces/fields/citizencard/EndorsementInfo': '120b0a03312e301a0465736363',
                'namespaces/fields/citizencard/ValidationInfo':
                    '122a0a0476736363122212202f4368616e6e656c2f4170706c69636174696f6e2f456e646f7273656d656e74',
                'namespaces/fields/citizencard/Collections':
                    '12460a440a420a0e636974697a656e50726976617465122a0a28120c120a080112020800120208011a0b12090a074f7267314d53501a0b12090a074f7267324d5350200130013801',
            });
            expect(hex(applicationPolicy('MAJORITY Endorsement').serializeBinary())).to.equal(
                '12202f4368616e6e656c2f4170706c69636174696f6e2f456e646f7273656d656e74',
            );
        });

        it("Given the committed definition, Then the lifecycle cache's view is Fabric's: approved with a package for Org1, not approved for Org2, no package for an org that approved without one", async () => {
            await approve('Org1MSP');
            await approve('Org3MSP', EXAMPLE, '');
            await commit('Org1MSP');
            const committed = (await readCommittedDefinition(
                { get: (k) => ledger.newQueryExecutor().getState('_lifecycle', k) },
                'citizencard',
            ))!;
            const view = (mspId: string) =>
                localApproval(
                    {
                        collection: `_implicit_org_${mspId}`,
                        hash: (k) => ledger.newQueryExecutor().getPrivateDataHash('_lifecycle', `_implicit_org_${mspId}`, k),
                    },
                    'citizencard',
                    committed,
                );
            expect(await view('Org1MSP')).to.equal('approved');
            expect(await view('Org2MSP')).to.equal('not-approved');
            expect(await view('Org3MSP')).to.equal('no-package');
        });
    });

    describe('ApproveChaincodeDefinitionForMyOrg: sequences and redefinitions', () => {
        it('Given nothing committed, When sequence 0 or 2 is approved, Then Fabric refuses both (first definable sequence is 1, next available is 1)', async () => {
            expect((await approve('Org1MSP', { ...EXAMPLE, sequence: 0 })).message).to.equal(
                fail('ApproveChaincodeDefinitionForMyOrg', 'requested sequence is 0, but first definable sequence number is 1'),
            );
            expect((await approve('Org1MSP', { ...EXAMPLE, sequence: 2 })).message).to.equal(
                fail('ApproveChaincodeDefinitionForMyOrg', 'requested sequence 2 is larger than the next available sequence number 1'),
            );
        });

        it('Given sequence 2 committed, When sequence 1 is approved, Then "currently defined sequence 2 is larger than requested sequence 1"', async () => {
            await approve('Org1MSP');
            await commit('Org1MSP');
            const v2 = { ...EXAMPLE, sequence: 2, version: '2.0' };
            await approve('Org1MSP', v2);
            expect((await commit('Org1MSP', v2)).status).to.equal(200);
            expect((await approve('Org2MSP')).message).to.equal(
                fail('ApproveChaincodeDefinitionForMyOrg', 'currently defined sequence 2 is larger than requested sequence 1'),
            );
        });

        it('Given a committed definition, When an org approves it with other parameters, Then Fabric names the difference; the same parameters and package again are a redefinition', async () => {
            await approve('Org1MSP');
            await commit('Org1MSP');
            expect((await approve('Org2MSP', { ...EXAMPLE, version: '1.1' })).message).to.equal(
                fail(
                    'ApproveChaincodeDefinitionForMyOrg',
                    "attempted to redefine the current committed sequence (1) for namespace citizencard with different parameters: expected Version '1.0' does not match passed Version '1.1'",
                ),
            );
            expect((await approve('Org2MSP', { ...EXAMPLE, collections: [] })).message).to.equal(
                fail(
                    'ApproveChaincodeDefinitionForMyOrg',
                    'error validating chaincode definition: the proposed collection config does not contain previously defined collections',
                ),
            );
            const policy = await approve('Org2MSP', { ...EXAMPLE, endorsementPolicy: "OR('Org1MSP.peer')" });
            expect(policy.message).to.match(
                /^failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': attempted to redefine the current committed sequence \(1\) for namespace citizencard with different parameters: expected ValidationParameter '12202f4368616e6e656c2f4170706c69636174696f6e2f456e646f7273656d656e74' does not match passed ValidationParameter '0a[0-9a-f]+'$/,
            );
            // A late org approves the committed definition (it may, once): then it is a redefinition.
            expect((await approve('Org2MSP')).status).to.equal(200);
            expect((await approve('Org2MSP')).message).to.equal(
                fail(
                    'ApproveChaincodeDefinitionForMyOrg',
                    'attempted to redefine the current committed sequence (1) for namespace citizencard',
                ),
            );
            // A new package id for the committed definition is allowed.
            expect((await approve('Org2MSP', EXAMPLE, 'citizencard_1.0:def456')).status).to.equal(200);
        });

        it('Given an uncommitted approval, When the same is approved again, Then "with unchanged content"; a new package id rewrites only the PackageID key', async () => {
            await approve('Org1MSP');
            expect((await approve('Org1MSP')).message).to.equal(
                fail(
                    'ApproveChaincodeDefinitionForMyOrg',
                    'attempted to redefine uncommitted sequence (1) for namespace citizencard with unchanged content',
                ),
            );
            const again = await approve('Org1MSP', EXAMPLE, 'citizencard_1.0:other');
            expect(again.status, again.message).to.equal(200);
            expect([...again.sim.privateWrites.keys()]).to.deep.equal([
                privateKey('Org1MSP', 'chaincode-sources/fields/citizencard#1/PackageID'),
            ]);
            // Other parameters overwrite the earlier approval: only the changed field is written.
            const v11 = await approve('Org1MSP', { ...EXAMPLE, version: '1.1' }, 'citizencard_1.0:other');
            expect(v11.status, v11.message).to.equal(200);
            expect([...v11.sim.privateWrites.keys()]).to.deep.equal([
                privateKey('Org1MSP', 'namespaces/fields/citizencard#1/EndorsementInfo'),
            ]);
        });

        it('Given a channel without /Channel/Application/Endorsement, When a definition without a policy is approved, Then Fabric says the policy must be defined', async () => {
            hasEndorsementPolicy = false;
            const args = approveDefinitionArgs(EXAMPLE, PACKAGE);
            args.setValidationParameter(new Uint8Array(0));
            const r = await call('Org1MSP', 'ApproveChaincodeDefinitionForMyOrg', args);
            expect(r.message).to.equal(
                fail(
                    'ApproveChaincodeDefinitionForMyOrg',
                    "could not set defaults for chaincode definition in channel mychannel: policy '/Channel/Application/Endorsement' must be defined for channel 'mychannel' before chaincode operations can be attempted",
                ),
            );
        });

        it('Given an empty validation parameter and empty plugins, When approved, Then the defaults are stored (escc, vscc, /Channel/Application/Endorsement): the same bytes as explicit ones', async () => {
            const args = approveDefinitionArgs(EXAMPLE, PACKAGE);
            args.setValidationParameter(new Uint8Array(0));
            args.setEndorsementPlugin('');
            args.setValidationPlugin('');
            const implicit = await call('Org1MSP', 'ApproveChaincodeDefinitionForMyOrg', args);
            expect(implicit.status, implicit.message).to.equal(200);
            expect((await readiness('Org2MSP')).approvals.Org1MSP).to.equal(true);
        });
    });

    describe('CheckCommitReadiness, CommitChaincodeDefinition', () => {
        it("Given Org1 approved, Org2 approved another version and Org3 nothing, Then readiness is Fabric's: approvals and mismatches per org, read from hashes on any peer", async () => {
            await approve('Org1MSP');
            await approve('Org2MSP', { ...EXAMPLE, version: '9.9' });
            const { approvals, raw } = await readiness('Org3MSP');
            expect(approvals).to.deep.equal({ Org1MSP: true, Org2MSP: false, Org3MSP: false });
            const items = Object.fromEntries(
                raw
                    .getMismatchesMap()
                    .getEntryList()
                    .map(([org]) => [org, raw.getMismatchesMap().get(org)!.getItemsList()]),
            );
            expect(items).to.deep.equal({ Org2MSP: ['EndorsementInfo'], Org3MSP: ['ChaincodeParameters'] });
            // The package id is not part of readiness.
            await approve('Org3MSP', EXAMPLE, 'another:package');
            expect((await readiness('Org1MSP')).approvals.Org3MSP).to.equal(true);
        });

        it('Given readiness or a commit at the wrong sequence, Then "requested sequence is 2, but new definition must be sequence 1"', async () => {
            const r = await call('Org1MSP', 'CheckCommitReadiness', checkCommitReadinessArgs({ ...EXAMPLE, sequence: 2 }));
            expect(r.message).to.equal(fail('CheckCommitReadiness', 'requested sequence is 2, but new definition must be sequence 1'));
            expect((await commit('Org1MSP', { ...EXAMPLE, sequence: 2 })).message).to.equal(
                fail('CommitChaincodeDefinition', 'requested sequence is 2, but new definition must be sequence 1'),
            );
        });

        it("Given Org1 and Org2 approved, When Org3's peer is asked to commit, Then it refuses for its own org only; Org1's peer endorses, reading every org's approval hashes", async () => {
            await approve('Org1MSP');
            await approve('Org2MSP');
            const refused = await commit('Org3MSP');
            expect(refused.status).to.equal(500);
            expect(refused.message).to.equal(fail('CommitChaincodeDefinition', 'chaincode definition not agreed to by this org (Org3MSP)'));
            const ok = await commit('Org1MSP', EXAMPLE);
            expect(ok.status, ok.message).to.equal(200);
            // Hashed reads of each org's approval keys: an approval that changes before the commit invalidates it (MVCC).
            const reads = ok.sim.hashReads.filter((k) => k.includes('namespaces/metadata/citizencard#1'));
            expect(reads.map((k) => k.split('\u0000')[1]).sort()).to.deep.equal(ORGS.map((o) => `_implicit_org_${o}`));
        });
    });

    describe('queries', () => {
        it('Given approvals, When QueryApprovedChaincodeDefinition asks (sequence 0 = latest), Then the own org\'s approval comes back with its source; none is Fabric\'s "could not fetch"', async () => {
            const none = await call('Org1MSP', 'QueryApprovedChaincodeDefinition', approvedArgs('citizencard', 0));
            expect(none.message).to.equal(
                fail(
                    'QueryApprovedChaincodeDefinition',
                    "could not fetch approved chaincode definition (name: 'citizencard', sequence: '0') on channel 'mychannel'",
                ),
            );
            await approve('Org1MSP');
            await approve('Org2MSP', EXAMPLE, '');
            const latest = await call('Org1MSP', 'QueryApprovedChaincodeDefinition', approvedArgs('citizencard', 0));
            expect(latest.status, latest.message).to.equal(200);
            const result = peer.lifecycle.QueryApprovedChaincodeDefinitionResult.deserializeBinary(latest.response.getPayload_asU8());
            expect([result.getSequence(), result.getVersion(), result.getEndorsementPlugin(), result.getValidationPlugin()]).to.deep.equal([
                1,
                '1.0',
                'escc',
                'vscc',
            ]);
            expect(result.getSource()!.getLocalPackage()!.getPackageId()).to.equal(PACKAGE);
            const org2 = peer.lifecycle.QueryApprovedChaincodeDefinitionResult.deserializeBinary(
                (await call('Org2MSP', 'QueryApprovedChaincodeDefinition', approvedArgs('citizencard', 1))).response.getPayload_asU8(),
            );
            expect(org2.getSource()!.hasUnavailable()).to.equal(true);
            const other = await call('Org1MSP', 'QueryApprovedChaincodeDefinition', approvedArgs('citizencard', 2));
            expect(other.message).to.equal(
                fail(
                    'QueryApprovedChaincodeDefinition',
                    "could not fetch approved chaincode definition (name: 'citizencard', sequence: '2') on channel 'mychannel'",
                ),
            );
            const all = await call(
                'Org1MSP',
                'QueryApprovedChaincodeDefinitions',
                new peer.lifecycle.QueryApprovedChaincodeDefinitionsArgs(),
            );
            const list = peer.lifecycle.QueryApprovedChaincodeDefinitionsResult.deserializeBinary(all.response.getPayload_asU8());
            expect(list.getApprovedChaincodeDefinitionsList().map((d) => [d.getName(), d.getSequence()])).to.deep.equal([
                ['citizencard', 1],
            ]);
        });

        it('Given a committed definition, Then QueryChaincodeDefinition carries each org\'s approval; an undefined one is status 404 "namespace x is not defined"', async () => {
            await approve('Org1MSP');
            await approve('Org3MSP');
            await commit('Org1MSP');
            const r = await call('Org2MSP', 'QueryChaincodeDefinition', queryDefinitionArgs('citizencard'));
            const result = peer.lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(r.response.getPayload_asU8());
            expect(Object.fromEntries(result.getApprovalsMap().getEntryList())).to.deep.equal({
                Org1MSP: true,
                Org2MSP: false,
                Org3MSP: true,
            });
            const missing = await call('Org2MSP', 'QueryChaincodeDefinition', queryDefinitionArgs('x'));
            expect([missing.status, missing.message]).to.deep.equal([404, 'namespace x is not defined']);
        });
    });
});

function approvedArgs(name: string, sequence: number): peer.lifecycle.QueryApprovedChaincodeDefinitionArgs {
    const a = new peer.lifecycle.QueryApprovedChaincodeDefinitionArgs();
    a.setName(name);
    a.setSequence(sequence);
    return a;
}
