// The peer ledger with Fabric's _lifecycle and implicit collections: how approvals and commits are
// validated (an approval against the approving org's own Endorsement policy, a commit against
// LifecycleEndorsement), what each peer keeps of an org's implicit collection, and private data
// a member peer missed: recorded at commit, served by another member, reconciled without bringing
// back anything purged or overwritten since.
import { createHash } from 'node:crypto';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import type { SigningIdentity } from '../../../network/devnet/msp/identity';
import { KvLedger } from '../../../network/devnet/peer/ledger/kvledger';
import type { TxSimulator } from '../../../network/devnet/peer/ledger/types';
import { approveDefinitionArgs, commitDefinitionArgs, Lifecycle, lifecycleCallArgs } from '../../../network/devnet/peer/scc/lifecycle';
import { CC, Chain, definition, ledgerFixture, LedgerFixture, putDefinition, SHARED, simulateTx } from './fixture';

const C = peer.TxValidationCode;
const ORGS = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'];
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString() : undefined);
const sha = (d: Uint8Array | string) => createHash('sha256').update(d).digest();

interface Net {
    f: LedgerFixture;
    peers: Map<string, KvLedger>;
    commit(envs: Uint8Array[]): Promise<number[]>;
}

/** A ledger per org, committed up to the fixture chaincode's definition (block 1). */
async function network(): Promise<Net> {
    const f = await ledgerFixture();
    const peers = new Map<string, KvLedger>();
    for (const org of ORGS) peers.set(org, await f.open(f.tmp(), org));
    const chain = new Chain(f.genesis);
    const net: Net = {
        f,
        peers,
        async commit(envs) {
            const block = chain.next(envs);
            let codes: number[] = [];
            for (const l of peers.values()) codes = (await l.commit(Chain.copy(block))).validationCodes;
            return codes;
        },
    };
    for (const l of peers.values()) await l.commit(Chain.copy(f.genesis));
    const def = await simulateTx(
        peers.get('SeoulMSP')!,
        f.user('SeoulMSP', 'Admin'),
        majority(f),
        (sim) => putDefinition(sim, definition),
        {
            ccName: '_lifecycle',
        },
    );
    expect(await net.commit([def.env])).to.deep.equal([C.VALID]);
    return net;
}

const majority = (f: LedgerFixture) => ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => f.peer(m));

/** Runs a _lifecycle function on a simulator as the peer of `mspId` does. */
async function lifecycle(sim: TxSimulator, mspId: string, fn: string, args: { serializeBinary(): Uint8Array }): Promise<peer.Response> {
    return new Lifecycle({ mspId, applicationOrgs: () => ORGS }).invoke({
        channelId: 'citizencards',
        txId: sim.txId,
        args: lifecycleCallArgs(fn, args),
        signedProposal: new peer.SignedProposal(),
        creator: { mspId, role: 'admin', certificatePem: '', subject: '', attrs: {} },
        simulator: sim,
        checkACL: () => undefined,
    });
}

const NEWCC = { ...definition, name: 'newcc', version: '1.0', sequence: 1, server: { modulePath: 'x', ports: {} } };

describe('peer ledger: _lifecycle approvals and implicit collections', function () {
    this.timeout(60_000);
    let net: Net;
    let f: LedgerFixture;
    beforeEach(async () => {
        net = await network();
        f = net.f;
    });
    afterEach(async () => {
        for (const l of net.peers.values()) await l.close();
    });

    /** An org's approval of NEWCC, simulated on its own ledger and endorsed by the given peers. */
    async function approval(mspId: string, endorsers: SigningIdentity[] = [f.peer(mspId)]) {
        const l = net.peers.get(mspId)!;
        return simulateTx(
            l,
            f.user(mspId, 'Admin'),
            endorsers,
            async (sim) => {
                const r = await lifecycle(sim, mspId, 'ApproveChaincodeDefinitionForMyOrg', approveDefinitionArgs(NEWCC, 'newcc_1.0:abc'));
                expect(r.getStatus(), r.getMessage()).to.equal(200);
            },
            { ccName: '_lifecycle' },
        );
    }

    it("Given an approval, When its org's peer endorses it, Then VALID; endorsed by another org's peers (even a majority), Then ENDORSEMENT_POLICY_FAILURE", async () => {
        const own = await approval('MOISMSP');
        const others = await approval(
            'MOISMSP',
            majority(f).filter((p) => p.mspId !== 'MOISMSP'),
        );
        expect(await net.commit([own.env, others.env])).to.deep.equal([C.VALID, C.ENDORSEMENT_POLICY_FAILURE]);
        // Only MOIS's peer keeps the values of its implicit collection; every peer has the hashes.
        const key = 'namespaces/metadata/newcc#1';
        const value = await net.peers.get('MOISMSP')!.newQueryExecutor().getPrivateData('_lifecycle', '_implicit_org_MOISMSP', key);
        // StateMetadata{"ChaincodeParameters", ["EndorsementInfo", "ValidationInfo", "Collections"]}
        expect(Buffer.from(value!).toString('hex')).to.equal(
            '0a13436861696e636f6465506172616d6574657273120f456e646f7273656d656e74496e666f120e56616c69646174696f6e496e666f120b436f6c6c656374696f6e73',
        );
        for (const org of ORGS) {
            const hash = await net.peers.get(org)!.newQueryExecutor().getPrivateDataHash('_lifecycle', '_implicit_org_MOISMSP', key);
            expect(Buffer.from(hash!).equals(sha(value!)), org).to.equal(true);
            if (org !== 'MOISMSP')
                expect((await net.peers.get(org)!.privateDataForBlock(net.peers.get(org)!.height - 1)).size, org).to.equal(0);
        }
        expect(await net.peers.get('SeoulMSP')!.missingPrivateData()).to.deep.equal([]);
    });

    it('Given two of four orgs approved, When their peers endorse the commit, Then ENDORSEMENT_POLICY_FAILURE (LifecycleEndorsement: MAJORITY); with a third approval, Then VALID and the validator uses the definition', async () => {
        const approvals = [await approval('SeoulMSP'), await approval('MOISMSP')];
        expect(await net.commit(approvals.map((a) => a.env))).to.deep.equal([C.VALID, C.VALID]);
        const commitBy = async (orgs: string[]) =>
            simulateTx(
                net.peers.get(orgs[0])!,
                f.user(orgs[0], 'Admin'),
                orgs.map((o) => f.peer(o)),
                async (sim) => {
                    const r = await lifecycle(sim, orgs[0], 'CommitChaincodeDefinition', commitDefinitionArgs(NEWCC));
                    expect(r.getStatus(), r.getMessage()).to.equal(200);
                },
                { ccName: '_lifecycle' },
            );
        const two = await commitBy(['SeoulMSP', 'MOISMSP']);
        expect(await net.commit([two.env])).to.deep.equal([C.ENDORSEMENT_POLICY_FAILURE]);
        expect(await net.peers.get('AuditMSP')!.chaincodeDefinition('newcc')).to.equal(undefined);
        expect(await net.commit([(await approval('MOHWMSP')).env])).to.deep.equal([C.VALID]);
        const three = await commitBy(['SeoulMSP', 'MOISMSP', 'MOHWMSP']);
        expect(await net.commit([three.env])).to.deep.equal([C.VALID]);
        const seen = await net.peers.get('AuditMSP')!.chaincodeDefinition('newcc');
        expect([seen?.sequence, seen?.version, seen?.localApproval]).to.deep.equal([1, '1.0', 'not-approved']);
        expect((await net.peers.get('MOISMSP')!.chaincodeDefinition('newcc'))?.localApproval).to.equal('approved');
        // The validator now knows newcc: a write endorsed by a majority is VALID, by one org it is not.
        const w = (endorsers: SigningIdentity[]) =>
            simulateTx(
                net.peers.get('SeoulMSP')!,
                f.user('SeoulMSP', 'User1'),
                endorsers,
                (sim) => sim.putState('newcc', 'k', Buffer.from('v')),
                {
                    ccName: 'newcc',
                },
            );
        expect(await net.commit([(await w(majority(f))).env, (await w([f.peer('SeoulMSP')])).env])).to.deep.equal([
            C.VALID,
            C.ENDORSEMENT_POLICY_FAILURE,
        ]);
    });

    it("Given a chaincode's write to _implicit_org_MOISMSP, Then MOIS's peer alone satisfies it, only MOIS keeps the value, and an org outside the channel has no implicit collection", async () => {
        const seoul = net.peers.get('SeoulMSP')!;
        const mois = net.peers.get('MOISMSP')!;
        const write = (endorsers: SigningIdentity[], coll = '_implicit_org_MOISMSP', key = 'ik') =>
            simulateTx(mois, f.user('MOISMSP', 'User1'), endorsers, (sim) => sim.putPrivateData(CC, coll, key, Buffer.from('mois-secret')));
        const byMois = await write([f.peer('MOISMSP')]);
        const bySeoul = await write([f.peer('SeoulMSP')], '_implicit_org_MOISMSP', 'ik2');
        const unknown = await write([f.peer('MOISMSP')], '_implicit_org_NOSUCHMSP', 'ik3');
        expect(await net.commit([byMois.env, bySeoul.env, unknown.env])).to.deep.equal([
            C.VALID,
            C.ENDORSEMENT_POLICY_FAILURE,
            C.ENDORSEMENT_POLICY_FAILURE,
        ]);
        expect(text(await mois.newQueryExecutor().getPrivateData(CC, '_implicit_org_MOISMSP', 'ik'))).to.equal('mois-secret');
        // Seoul's peer has the hash only; reading the value there is Fabric's refusal.
        expect(
            Buffer.from((await seoul.newQueryExecutor().getPrivateDataHash(CC, '_implicit_org_MOISMSP', 'ik'))!).equals(sha('mois-secret')),
        ).to.equal(true);
        const refused = await seoul
            .newQueryExecutor()
            .getPrivateData(CC, '_implicit_org_MOISMSP', 'ik')
            .then(
                () => undefined,
                (e: Error) => e.message,
            );
        expect(refused).to.equal(
            `private data matching public hash version is not available. Public hash version = {BlockNum: ${seoul.height - 1}, TxNum: 0}, Private data version = <nil>`,
        );
        // A non-member records nothing to reconcile; a purge by MOIS erases the value.
        expect(await seoul.missingPrivateData()).to.deep.equal([]);
        const purge = await simulateTx(mois, f.user('MOISMSP', 'User1'), [f.peer('MOISMSP')], (sim) =>
            sim.purgePrivateData(CC, '_implicit_org_MOISMSP', 'ik'),
        );
        expect(await net.commit([purge.env])).to.deep.equal([C.VALID]);
        expect(await mois.newQueryExecutor().getPrivateData(CC, '_implicit_org_MOISMSP', 'ik')).to.equal(undefined);
    });

    describe('missing private data and reconciliation', () => {
        /** A write to SHARED (Seoul and MOHW) whose private data only Seoul's transient store holds. */
        const sharedWrite = (key: string, value: string) =>
            simulateTx(net.peers.get('SeoulMSP')!, f.user('SeoulMSP', 'User1'), majority(f), (sim) =>
                sim.putPrivateData(CC, SHARED, key, Buffer.from(value)),
            );

        it('Given a member peer that did not receive a write, Then it records it missing, another member serves it, and reconciling makes it readable', async () => {
            const mohw = net.peers.get('MOHWMSP')!;
            const seoul = net.peers.get('SeoulMSP')!;
            const t = await sharedWrite('rk', 'reconciled');
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            const missing = await mohw.missingPrivateData();
            expect(missing.map((m) => [m.blockNum, m.txNum, m.txId, m.ns, m.coll])).to.deep.equal([
                [mohw.height - 1, 0, t.txId, CC, SHARED],
            ]);
            // MOIS is no member: nothing is missing there.
            expect(await net.peers.get('MOISMSP')!.missingPrivateData()).to.deep.equal([]);
            const served = await seoul.privateDataFor(missing[0].blockNum, 0, t.txId, CC, SHARED);
            expect(served).to.have.length(1);
            expect(sha(served[0]).equals(Buffer.from(missing[0].hash))).to.equal(true);
            // A forged write set does not match the block's hash and is ignored.
            expect(await mohw.commitReconciled([{ entry: missing[0], rwset: Buffer.from('forged') }])).to.deep.equal([]);
            expect(await mohw.commitReconciled([{ entry: missing[0], rwset: served[0] }])).to.have.length(1);
            expect(text(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'rk'))).to.equal('reconciled');
            expect(await mohw.missingPrivateData()).to.deep.equal([]);
            expect((await mohw.privateDataForBlock(missing[0].blockNum)).size).to.equal(1);
        });

        it('Given a missed write that was overwritten or purged since, When reconciled, Then neither old value comes back', async () => {
            const mohw = net.peers.get('MOHWMSP')!;
            const seoul = net.peers.get('SeoulMSP')!;
            const a = await sharedWrite('over', 'old');
            const b = await sharedWrite('gone', 'purged-later');
            expect(await net.commit([a.env, b.env])).to.deep.equal([C.VALID, C.VALID]);
            const missing = await mohw.missingPrivateData();
            expect(missing).to.have.length(2);
            // Seoul's copies, as a member that has not yet seen the later blocks would still serve them.
            const served = await Promise.all(missing.map((m) => seoul.privateDataFor(m.blockNum, m.txNum, m.txId, m.ns, m.coll)));
            const newer = await simulateTx(
                seoul,
                f.user('SeoulMSP', 'User1'),
                majority(f),
                (sim) => sim.putPrivateData(CC, SHARED, 'over', Buffer.from('new')),
                {
                    persistOn: [seoul, mohw],
                },
            );
            const purge = await simulateTx(seoul, f.user('SeoulMSP', 'User1'), majority(f), (sim) =>
                sim.purgePrivateData(CC, SHARED, 'gone'),
            );
            expect(await net.commit([newer.env, purge.env])).to.deep.equal([C.VALID, C.VALID]);
            const filled = await mohw.commitReconciled(missing.map((m, i) => ({ entry: m, rwset: served[i][0] })));
            expect(filled).to.have.length(2);
            expect(text(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'over'))).to.equal('new');
            expect(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'gone')).to.equal(undefined);
            // Nothing of them is kept with their old blocks either.
            expect((await mohw.privateDataForBlock(missing[0].blockNum)).size).to.equal(0);
        });

        it('Given a member peer restarted with data missing, Then the missing entries survive the restart', async () => {
            const t = await sharedWrite('persist', 'v');
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            const mohw = net.peers.get('MOHWMSP')!;
            const dir = (mohw as unknown as { opts: { dir: string } }).opts.dir;
            await mohw.close();
            const reopened = await f.open(dir, 'MOHWMSP');
            net.peers.set('MOHWMSP', reopened);
            expect((await reopened.missingPrivateData()).map((m) => m.txId)).to.deep.equal([t.txId]);
        });
    });
});
