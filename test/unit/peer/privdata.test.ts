// Private data between peers, as Fabric's gossip/privdata does it: dissemination at endorsement
// (eligible peers, requiredPeerCount and maxPeerCount, Fabric's errors), what a peer accepts when
// pushed and serves when pulled, the signed framing of the devnet's transport, the implicit
// collections' configs, and the reconciler.
import { createHash, verify } from 'node:crypto';
import { gossip, ledger } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import type { CollectionConfig } from '../../../network/client/topology';
import type { MissingPvtData } from '../../../network/devnet/peer/ledger/types';
import { allCollections, collectionConfig, implicitCollection } from '../../../network/devnet/peer/privdata/collections';
import { Distributor } from '../../../network/devnet/peer/privdata/distributor';
import { privateDataHandler, Reconciler } from '../../../network/devnet/peer/privdata/service';
import { openMessage, RemotePeer, signMessage } from '../../../network/devnet/peer/privdata/transport';
import { makeIdentity, TestIdentity } from '../endorser/helpers';

const TWO_ORGS: CollectionConfig = {
    name: 'shared',
    policy: "OR('Org1MSP.member', 'Org2MSP.member')",
    requiredPeerCount: 1,
    maxPeerCount: 1,
    blockToLive: 0,
    memberOnlyRead: true,
    memberOnlyWrite: true,
};

/** A remote peer whose pushes and pulls are recorded (or fail). */
function fakePeer(mspId: string, alive = true, fails = false) {
    const pushed: gossip.PrivatePayload[] = [];
    const p: RemotePeer & { pushed: gossip.PrivatePayload[] } = {
        mspId,
        alive,
        pushed,
        client: {
            address: `peer0.${mspId}:7051`,
            async push(payload: gossip.PrivatePayload) {
                if (fails) throw new Error('connect ECONNREFUSED');
                pushed.push(payload);
            },
        } as unknown as RemotePeer['client'],
    };
    return p;
}

function membershipOf(peers: RemotePeer[]) {
    return {
        alivePeers: () => peers.filter((p) => p.alive),
        markAlive: (p: RemotePeer) => {
            p.alive = true;
        },
        markDead: (p: RemotePeer) => {
            p.alive = false;
        },
    };
}

function pvtSet(ns: string, colls: string[]): ledger.rwset.TxPvtReadWriteSet {
    const set = new ledger.rwset.TxPvtReadWriteSet();
    const n = new ledger.rwset.NsPvtReadWriteSet();
    n.setNamespace(ns);
    for (const name of colls) {
        const c = new ledger.rwset.CollectionPvtReadWriteSet();
        c.setCollectionName(name);
        c.setRwset(Buffer.from(`rwset of ${name}`));
        n.addCollectionPvtRwset(c);
    }
    set.addNsPvtRwset(n);
    return set;
}

describe('private data dissemination and reconciliation (Fabric gossip/privdata)', () => {
    describe('implicit collections (core/chaincode/implicitcollection, deployedcc_infoprovider.go)', () => {
        it("Given a peer of Org1MSP, Then every org has _implicit_org_<MSPID>: that org only, no blockToLive, readable and writable by anyone; Org1's own with the dissemination policy (0/1), others' 0/0", () => {
            expect(implicitCollection('Org1MSP', 'Org1MSP')).to.deep.equal({
                name: '_implicit_org_Org1MSP',
                policy: "OR('Org1MSP.member')",
                requiredPeerCount: 0,
                maxPeerCount: 1,
                blockToLive: 0,
                memberOnlyRead: false,
                memberOnlyWrite: false,
            });
            expect(implicitCollection('Org2MSP', 'Org1MSP')).to.include({ requiredPeerCount: 0, maxPeerCount: 0 });
            const all = allCollections({ collections: [TWO_ORGS] }, ['Org1MSP', 'Org2MSP'], 'Org1MSP');
            expect(all.map((c) => c.name)).to.deep.equal(['shared', '_implicit_org_Org1MSP', '_implicit_org_Org2MSP']);
            // Fabric generates one for any MSP id; whether the org is in the channel is checked at simulation and validation.
            expect(collectionConfig({ collections: [] }, '_implicit_org_Nobody', 'Org1MSP')?.policy).to.equal("OR('Nobody.member')");
            expect(collectionConfig({ collections: [] }, 'nosuch', 'Org1MSP')).to.equal(undefined);
        });
    });

    describe('the distributor (distributor.go)', () => {
        const collection = (config: CollectionConfig) => () => config;

        it("Given requiredPeerCount 1 and the other member's peer not known alive, When a proposal writes the collection, Then Fabric's error and nothing is sent", async () => {
            const org2 = fakePeer('Org2MSP', false);
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2]) });
            const err = await d.distribute('tx1', pvtSet('cc', ['shared']), collection(TWO_ORGS), 5, true).then(
                () => undefined,
                (e: Error) => e.message,
            );
            expect(err).to.equal(
                'failed to distribute private collection, txID tx1, channel mychannel: could not build private data dissemination plan for chaincode cc and collection shared: required to disseminate to at least 1 peers, but know of only 0 eligible peers',
            );
            expect(org2.pushed).to.have.length(0);
        });

        it('Given the member alive, Then it receives the collection (namespace, collection, tx id, write set, endorsement height); non-members never do', async () => {
            const org2 = fakePeer('Org2MSP');
            const org3 = fakePeer('Org3MSP');
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2, org3]) });
            await d.distribute('tx2', pvtSet('cc', ['shared']), collection({ ...TWO_ORGS, maxPeerCount: 3 }), 7, true);
            expect(org3.pushed).to.have.length(0);
            expect(
                org2.pushed.map((p) => [
                    p.getNamespace(),
                    p.getCollectionName(),
                    p.getTxId(),
                    Buffer.from(p.getPrivateRwset_asU8()).toString(),
                    p.getPrivateSimHeight(),
                ]),
            ).to.deep.equal([['cc', 'shared', 'tx2', 'rwset of shared', 7]]);
        });

        it('Given maxPeerCount 1 and two eligible orgs, Then one peer gets it; maxPeerCount 0, none; requiredPeerCount 0 sends are not waited for', async () => {
            const wide: CollectionConfig = {
                ...TWO_ORGS,
                policy: "OR('Org1MSP.member', 'Org2MSP.member', 'Org3MSP.member')",
                requiredPeerCount: 0,
            };
            const org2 = fakePeer('Org2MSP');
            const org3 = fakePeer('Org3MSP');
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2, org3]) });
            await d.distribute('tx3', pvtSet('cc', ['shared']), collection(wide), 1, true);
            await new Promise((r) => setImmediate(r));
            expect(org2.pushed.length + org3.pushed.length).to.equal(1);
            await d.distribute('tx4', pvtSet('cc', ['shared']), collection({ ...wide, maxPeerCount: 0 }), 1, true);
            await new Promise((r) => setImmediate(r));
            expect(org2.pushed.length + org3.pushed.length).to.equal(1);
        });

        it("Given a required peer that fails to take it, Then Fabric's 'Failed disseminating 1 out of 1 private dissemination plans' and the peer counts as gone", async () => {
            const org2 = fakePeer('Org2MSP', true, true);
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2]) });
            const err = await d.distribute('tx5', pvtSet('cc', ['shared']), collection(TWO_ORGS), 1, true).then(
                () => undefined,
                (e: Error) => e.message,
            );
            expect(err).to.equal(
                'failed to distribute private collection, txID tx5, channel mychannel: Failed disseminating 1 out of 1 private dissemination plans',
            );
            expect(org2.alive).to.equal(false);
        });

        it('Given an evaluation (send false), Then the plan is checked (too few peers still fails) but nothing is sent', async () => {
            const org2 = fakePeer('Org2MSP');
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2]) });
            await d.distribute('tx6', pvtSet('cc', ['shared']), collection(TWO_ORGS), 1, false);
            expect(org2.pushed).to.have.length(0);
            org2.alive = false;
            const err = await d.distribute('tx7', pvtSet('cc', ['shared']), collection(TWO_ORGS), 1, false).then(
                () => undefined,
                (e: Error) => e.message,
            );
            expect(err).to.contain('required to disseminate to at least 1 peers, but know of only 0 eligible peers');
        });

        it("Given a peer's own implicit collection (0/1) and no other peer of its org, Then nothing is sent and nothing fails", async () => {
            const org2 = fakePeer('Org2MSP');
            const d = new Distributor({ channelId: 'mychannel', membership: membershipOf([org2]) });
            await d.distribute(
                'tx8',
                pvtSet('_lifecycle', ['_implicit_org_Org1MSP']),
                collection(implicitCollection('Org1MSP', 'Org1MSP')),
                1,
                true,
            );
            expect(org2.pushed).to.have.length(0);
        });
    });

    describe("the devnet's transport: signed gossip messages", () => {
        let org1Peer: TestIdentity;
        let org1Client: TestIdentity;
        before(async () => {
            org1Peer = await makeIdentity('Org1MSP', 'peer');
            org1Client = await makeIdentity('Org1MSP', 'client');
        });
        const verifyWith = (ids: TestIdentity[]) => (identity: Uint8Array, data: Uint8Array, signature: Uint8Array) => {
            const id = ids.find((i) => Buffer.from(i.signer.serialize()).equals(Buffer.from(identity)));
            if (!id || !verify('sha256', data, id.publicKey, signature)) throw new Error('signature does not verify');
            return id.verified;
        };

        it("Given a message signed by a channel peer, Then it opens; a client's, another channel's, or a tampered one is refused", () => {
            const message = () => {
                const m = new gossip.GossipMessage();
                m.setPrivatereq(new gossip.RemotePvtDataRequest());
                return m;
            };
            const options = {
                channelId: 'mychannel',
                verify: verifyWith([org1Peer, org1Client]),
                channelOrgs: () => ['Org1MSP', 'Org2MSP'],
            };
            const opened = openMessage(signMessage(org1Peer.signer, 'mychannel', message()), options);
            expect(opened.sender.mspId).to.equal('Org1MSP');
            expect(() => openMessage(signMessage(org1Client.signer, 'mychannel', message()), options)).to.throw(
                'Org1MSP client is not a peer of channel mychannel',
            );
            expect(() => openMessage(signMessage(org1Peer.signer, 'other', message()), options)).to.throw(
                'message is for channel other, not mychannel',
            );
            const tampered = signMessage(org1Peer.signer, 'mychannel', message());
            tampered.setPayload(Buffer.concat([tampered.getPayload_asU8(), Buffer.from([0])]));
            expect(() => openMessage(tampered, options)).to.throw('signature does not verify');
        });
    });

    describe("a peer's side: push, pull, reconcile", () => {
        const definition = { name: 'cc', version: '1', sequence: 1, endorsementPolicy: 'MAJORITY Endorsement', collections: [TWO_ORGS] };
        const sender = (mspId: string) => ({ mspId, role: 'peer' as const, certificatePem: '', subject: '', attrs: {} });

        function fakeLedger() {
            const transient: [string, ledger.rwset.TxPvtReadWriteSet][] = [];
            const missing: MissingPvtData[] = [];
            const filled: Uint8Array[] = [];
            return {
                transient,
                missing,
                filled,
                chaincodeDefinition: async (name: string) => (name === 'cc' ? definition : undefined),
                persistTransient: (txId: string, set: ledger.rwset.TxPvtReadWriteSet) => transient.push([txId, set]),
                privateDataFor: async (_b: number, _t: number, _id: string, ns: string, coll: string) =>
                    ns === 'cc' && coll === 'shared' ? [Buffer.from('rwset')] : [],
                missingPrivateData: async () => [...missing],
                commitReconciled: async (fetched: { entry: MissingPvtData; rwset: Uint8Array }[]) => {
                    for (const f of fetched) {
                        filled.push(f.rwset);
                        missing.splice(missing.indexOf(f.entry), 1);
                    }
                    return fetched.map((f) => f.entry);
                },
                dropExpiredMissing: async () => 0,
            };
        }
        const payload = (ns: string, coll: string) => {
            const p = new gossip.PrivatePayload();
            p.setNamespace(ns);
            p.setCollectionName(coll);
            p.setTxId('tx');
            p.setPrivateRwset(Buffer.from('rwset'));
            return p;
        };

        it('Given a push, Then a member keeps it in its transient store; a non-member refuses it', async () => {
            const l = fakeLedger();
            await privateDataHandler(l, 'Org2MSP').push(sender('Org1MSP'), payload('cc', 'shared'));
            expect(
                l.transient.map(([id, set]) => [id, set.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0].getCollectionName()]),
            ).to.deep.equal([['tx', 'shared']]);
            const refused = await privateDataHandler(l, 'Org3MSP')
                .push(sender('Org1MSP'), payload('cc', 'shared'))
                .then(
                    () => undefined,
                    (e: Error) => e.message,
                );
            expect(refused).to.equal('peer of Org3MSP is not eligible for collection shared of cc (pushed by Org1MSP)');
            // Another org's implicit collection: not a member either.
            const implicit = await privateDataHandler(l, 'Org2MSP')
                .push(sender('Org1MSP'), payload('cc', '_implicit_org_Org1MSP'))
                .then(
                    () => undefined,
                    (e: Error) => e.message,
                );
            expect(implicit).to.contain('is not eligible');
            expect(l.transient).to.have.length(1);
        });

        it('Given a pull, Then the data goes to a member peer only', async () => {
            const l = fakeLedger();
            const request = new gossip.RemotePvtDataRequest();
            const d = new gossip.PvtDataDigest();
            d.setNamespace('cc');
            d.setCollection('shared');
            d.setTxId('tx');
            request.addDigests(d);
            const handler = privateDataHandler(l, 'Org1MSP');
            expect((await handler.pull(sender('Org2MSP'), request)).getElementsList()).to.have.length(1);
            expect((await handler.pull(sender('Org3MSP'), request)).getElementsList()).to.have.length(0);
        });

        it('Given missing entries and a reachable member, When the reconciler runs, Then it pulls the data and stores only what matches the block hash', async () => {
            const l = fakeLedger();
            const hash = createHash('sha256').update('rwset').digest();
            l.missing.push(
                { blockNum: 3, txNum: 0, txId: 'tx', ns: 'cc', coll: 'shared', hash },
                { blockNum: 4, txNum: 0, txId: 'tx2', ns: 'cc', coll: 'shared', hash: Buffer.alloc(32) },
            );
            const asked: number[] = [];
            const remote: RemotePeer = {
                mspId: 'Org1MSP',
                alive: true,
                client: {
                    address: 'peer0.org1:7051',
                    pull: async (req: gossip.RemotePvtDataRequest) => {
                        asked.push(req.getDigestsList().length);
                        const res = new gossip.RemotePvtDataResponse();
                        for (const dg of req.getDigestsList()) {
                            const el = new gossip.PvtDataElement();
                            el.setDigest(dg);
                            el.setPayloadList([Buffer.from('rwset')]);
                            res.addElements(el);
                        }
                        return res;
                    },
                } as unknown as RemotePeer['client'],
            };
            const outsider: RemotePeer = {
                ...remote,
                mspId: 'Org3MSP',
                client: { ...remote.client, pull: async () => expect.fail('a non-member is asked') } as unknown as RemotePeer['client'],
            };
            const r = new Reconciler({ ledger: l, membership: membershipOf([outsider, remote]), localMspId: 'Org2MSP' });
            expect(await r.run()).to.equal(1);
            r.stop();
            expect(asked).to.deep.equal([2]);
            expect(l.missing.map((m) => m.txId)).to.deep.equal(['tx2']);
        });
    });
});
