// The peer ledger: simulator read-write sets, block validation codes, commit, crash recovery,
// private data on members only, purge that leaves no trace on disk, and equal state digests.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes, createHash, X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { common, ledger, msp, peer } from '@hyperledger/fabric-protos';
import { caFiles, loadCa, orgInfo } from '../../../network/devnet/msp/ca';
import { createCrlDer, crlToPem } from '../../../network/devnet/msp/crl';
import { KvLedger } from '../../../network/devnet/peer/ledger/kvledger';
import { createSignedEnvelope } from '../../../network/devnet/common/protoutil';
import { parseSignaturePolicy, PolicyManager } from '../../../network/devnet/common/policies';
import { ConfigValidator } from '../../../network/devnet/common/configvalidator';
import { computeUpdate, configUpdateEnvelope, signConfigUpdate } from '../../../network/commands/configupdate';
import { SimulationError } from '../../../network/devnet/peer/ledger/txsimulator';
import { TxSimulator } from '../../../network/devnet/peer/ledger/types';
import {
    Chain,
    CC,
    definition,
    envelope,
    ledgerFixture,
    LedgerFixture,
    newTx,
    PRIVATE,
    SHARED,
    simulateTx,
    putDefinition,
} from './fixture';

const C = peer.TxValidationCode;
const sha = (d: Uint8Array | string) => createHash('sha256').update(d).digest();
const text = (b: Uint8Array | undefined) => (b ? Buffer.from(b).toString() : undefined);

interface Net {
    f: LedgerFixture;
    chain: Chain;
    /** Ledgers that receive every block, by MSP id. */
    peers: Map<string, KvLedger>;
    dirs: Map<string, string>;
    commit(envs: Uint8Array[]): Promise<number[]>;
}

/** Ledgers for the given orgs, committed up to the chaincode definition (block 1). */
async function network(orgs: string[]): Promise<Net> {
    const f = await ledgerFixture();
    const peers = new Map<string, KvLedger>();
    const dirs = new Map<string, string>();
    for (const org of orgs) {
        const dir = f.tmp();
        dirs.set(org, dir);
        peers.set(org, await f.open(dir, org));
    }
    const chain = new Chain(f.genesis);
    const net: Net = {
        f,
        chain,
        peers,
        dirs,
        async commit(envs) {
            const block = chain.next(envs);
            let codes: number[] = [];
            for (const l of peers.values()) codes = (await l.commit(Chain.copy(block))).validationCodes;
            return codes;
        },
    };
    for (const l of peers.values()) await l.commit(Chain.copy(f.genesis));
    const first = [...peers.values()][0];
    const def = await simulateTx(
        first,
        f.user('SeoulMSP', 'Admin'),
        majority(f),
        (sim) => {
            putDefinition(sim, definition);
        },
        { ccName: '_lifecycle' },
    );
    expect(await net.commit([def.env])).to.deep.equal([C.VALID]);
    return net;
}

function majority(f: LedgerFixture) {
    return ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => f.peer(m));
}

async function closeAll(net: Net): Promise<void> {
    for (const l of net.peers.values()) await l.close();
}

function filesUnder(dir: string): string[] {
    const out: string[] = [];
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) out.push(...filesUnder(p));
        else if (e.isFile()) out.push(p);
    }
    return out;
}

function filesContaining(dir: string, marker: Buffer): string[] {
    return filesUnder(dir).filter((f) => fs.readFileSync(f).includes(marker));
}

describe('peer ledger', function () {
    this.timeout(60000);

    describe('TxSimulator', () => {
        let net: Net;
        let l: KvLedger;
        before(async () => {
            net = await network(['SeoulMSP']);
            l = net.peers.get('SeoulMSP')!;
            const w = await simulateTx(l, net.f.user('SeoulMSP', 'User1'), majority(net.f), (sim) => {
                for (const k of ['a', 'b', 'c', 'd']) sim.putState(CC, k, Buffer.from(`v-${k}`));
                sim.putPrivateData(CC, PRIVATE, 'p1', Buffer.from('secret-1'));
            });
            expect(await net.commit([w.env])).to.deep.equal([C.VALID]);
        });
        after(() => closeAll(net));

        it('Given committed keys, When a tx reads, Then reads carry committed versions and a never-written key has none', async () => {
            const sim = l.newTxSimulator('t1');
            expect(text(await sim.getState(CC, 'b'))).to.equal('v-b');
            expect(await sim.getState(CC, 'nope')).to.equal(undefined);
            const rw = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(sim.results().public.getNsRwsetList()[0].getRwset_asU8());
            const reads = rw
                .getReadsList()
                .map((r) => [r.getKey(), r.hasVersion() ? [r.getVersion()!.getBlockNum(), r.getVersion()!.getTxNum()] : null]);
            expect(reads).to.deep.equal([
                ['b', [2, 0]],
                ['nope', null],
            ]);
        });

        it('Given a tx that wrote a key, When it reads the key back, Then it sees committed state only', async () => {
            const sim = l.newTxSimulator('t2');
            sim.putState(CC, 'a', Buffer.from('new'));
            expect(text(await sim.getState(CC, 'a'))).to.equal('v-a');
        });

        it('Given a range query, Then the RangeQueryInfo holds the raw reads and itr_exhausted', async () => {
            const sim = l.newTxSimulator('t3');
            const page = await sim.getStateRange(CC, 'a', 'c', 0, '');
            expect(page.results.map((r) => r.key)).to.deep.equal(['a', 'b']);
            const rw = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(sim.results().public.getNsRwsetList()[0].getRwset_asU8());
            const rq = rw.getRangeQueriesInfoList()[0];
            expect([rq.getStartKey(), rq.getEndKey(), rq.getItrExhausted()]).to.deep.equal(['a', 'c', true]);
            expect(
                rq
                    .getRawReads()!
                    .getKvReadsList()
                    .map((r) => r.getKey()),
            ).to.deep.equal(['a', 'b']);
        });

        it('Given a paginated query, Then the bookmark is the next key and the next page starts there', async () => {
            const sim = l.newTxSimulator('t4');
            const p1 = await sim.getStateRange(CC, '', '', 3, '');
            expect(p1.results.map((r) => r.key)).to.deep.equal(['a', 'b', 'c']);
            expect([p1.hasMore, p1.bookmark, p1.fetchedRecordsCount]).to.deep.equal([true, 'd', 3]);
            const p2 = await sim.getStateRange(CC, '', '', 3, p1.bookmark);
            expect(p2.results.map((r) => r.key)).to.deep.equal(['d']);
            expect([p2.hasMore, p2.bookmark]).to.deep.equal([false, '']);
            // As Fabric's QueryResponseGenerator leaves it: a full page is read up to its last key
            // (inclusive, not exhausted); a short page exhausts the range up to its end key.
            const rw = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(sim.results().public.getNsRwsetList()[0].getRwset_asU8());
            expect(rw.getRangeQueriesInfoList().map((rq) => [rq.getStartKey(), rq.getEndKey(), rq.getItrExhausted()])).to.deep.equal([
                ['', 'c', false],
                ['d', '', true],
            ]);
        });

        it('Given a paginated query, When the tx writes, Then it is refused (read-only only, as Fabric)', async () => {
            const sim = l.newTxSimulator('t5');
            await sim.getStateRange(CC, '', '', 2, '');
            expect(() => sim.putState(CC, 'x', Buffer.from('1')))
                .to.throw(SimulationError)
                .with.property('code', 'WRITE_AFTER_PAGINATED_QUERY');
            const sim2 = l.newTxSimulator('t6');
            sim2.putState(CC, 'x', Buffer.from('1'));
            let err: unknown;
            await sim2.getStateRange(CC, '', '', 2, '').catch((e) => (err = e));
            expect(err).to.be.instanceOf(SimulationError).with.property('code', 'PAGINATED_QUERY_AFTER_WRITE');
            let bad: unknown;
            await l
                .newTxSimulator('t7')
                .getStateRange(CC, '', '', -1, '')
                .catch((e) => (bad = e));
            expect(bad).to.be.instanceOf(SimulationError).with.property('code', 'INVALID_ARGUMENT');
        });

        it('Given private writes, Then the public set carries SHA-256 hashes and the hash of the collection set', async () => {
            const sim = l.newTxSimulator('t8');
            expect(text(await sim.getPrivateData(CC, PRIVATE, 'p1'))).to.equal('secret-1');
            sim.putPrivateData(CC, PRIVATE, 'p2', Buffer.from('secret-2'));
            sim.purgePrivateData(CC, PRIVATE, 'p1');
            const res = sim.results();
            const ns = res.public.getNsRwsetList()[0];
            const coll = ns.getCollectionHashedRwsetList()[0];
            expect(coll.getCollectionName()).to.equal(PRIVATE);
            const hashed = ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
            const read = hashed.getHashedReadsList()[0];
            expect(Buffer.from(read.getKeyHash_asU8()).equals(sha('p1'))).to.equal(true);
            expect([read.getVersion()!.getBlockNum(), read.getVersion()!.getTxNum()]).to.deep.equal([2, 0]);
            const writes = hashed.getHashedWritesList();
            const p1 = writes.find((w) => Buffer.from(w.getKeyHash_asU8()).equals(sha('p1')))!;
            const p2 = writes.find((w) => Buffer.from(w.getKeyHash_asU8()).equals(sha('p2')))!;
            expect([p1.getIsDelete(), p1.getIsPurge()]).to.deep.equal([true, true]);
            expect(Buffer.from(p2.getValueHash_asU8()).equals(sha('secret-2'))).to.equal(true);
            const pvtColl = res.private!.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0];
            expect(Buffer.from(coll.getPvtRwsetHash_asU8()).equals(sha(pvtColl.getRwset_asU8()))).to.equal(true);
            expect(res.writtenCollections).to.deep.equal([{ ns: CC, collection: PRIVATE }]);
            // Nothing private in the public set's bytes.
            expect(Buffer.from(res.public.serializeBinary()).includes(Buffer.from('secret-2'))).to.equal(false);
        });

        it('Given a private data hash query, Then it returns SHA-256(value) and records a hashed read', async () => {
            const sim = l.newTxSimulator('t9');
            expect(Buffer.from((await sim.getPrivateDataHash(CC, PRIVATE, 'p1'))!).equals(sha('secret-1'))).to.equal(true);
            expect(sim.results().public.getNsRwsetList()[0].getCollectionHashedRwsetList()).to.have.length(1);
        });

        it('Refuses empty or malformed names and bad arguments with stable codes', async () => {
            const sim = l.newTxSimulator('t11');
            const code = (run: () => unknown) => {
                try {
                    run();
                } catch (e) {
                    return (e as { code?: string }).code;
                }
                return 'none';
            };
            expect(code(() => sim.putState('', 'k', Buffer.from('v')))).to.equal('INVALID_ARGUMENT');
            expect(code(() => sim.putState(CC, 'bad\uD800', Buffer.from('v')))).to.equal('INVALID_ARGUMENT');
            expect(code(() => sim.putState(CC, 'k', 'text' as unknown as Uint8Array))).to.equal('INVALID_ARGUMENT');
            expect(code(() => sim.putPrivateData(CC, '', 'k', Buffer.from('v')))).to.equal('INVALID_ARGUMENT');
            let err: { code?: string } = {};
            await sim.getState(CC, 'bad\uDC00').catch((e) => (err = e));
            expect(err.code).to.equal('INVALID_ARGUMENT');
            expect(await sim.getState(CC, '')).to.equal(undefined); // as Fabric: an empty key reads as absent
            expect(code(() => l.newTxSimulator(''))).to.equal('LEDGER_BAD_ARGUMENT');
            expect(code(() => l.persistTransient('not-a-tx-id', new ledger.rwset.TxPvtReadWriteSet()))).to.equal('LEDGER_BAD_ARGUMENT');
            // An org that joined after block 0 is not in the genesis config: its peer's ledger opens all the same.
            const joining = await net.f.open(net.f.tmp(), 'NoSuchMSP');
            expect(joining.height).to.be.at.least(0);
            await joining.close();
        });

        it('Given ended simulation, When used again, Then SIMULATION_DONE', () => {
            const sim = l.newTxSimulator('t10');
            sim.results();
            expect(() => sim.putState(CC, 'k', Buffer.from('v')))
                .to.throw(SimulationError)
                .with.property('code', 'SIMULATION_DONE');
        });
    });

    describe('validation', () => {
        let net: Net;
        let l: KvLedger;
        let f: LedgerFixture;
        before(async () => {
            net = await network(['SeoulMSP']);
            l = net.peers.get('SeoulMSP')!;
            f = net.f;
            const w = await simulateTx(l, f.user('SeoulMSP', 'User1'), majority(f), (sim) => {
                sim.putState(CC, 'counter', Buffer.from('0'));
                sim.putState(CC, 'r1', Buffer.from('x'));
                sim.putState(CC, 'r3', Buffer.from('x'));
            });
            expect(await net.commit([w.env])).to.deep.equal([C.VALID]);
        });
        after(() => closeAll(net));
        const user = () => f.user('SeoulMSP', 'User1');

        it('Given two txs of one block that read and write the same key, Then the second is an MVCC_READ_CONFLICT', async () => {
            const inc = () =>
                simulateTx(l, user(), majority(f), async (sim) => {
                    const v = Number(text(await sim.getState(CC, 'counter')));
                    sim.putState(CC, 'counter', Buffer.from(String(v + 1)));
                });
            const a = await inc();
            const b = await inc();
            expect(await net.commit([a.env, b.env])).to.deep.equal([C.VALID, C.MVCC_READ_CONFLICT]);
            expect(text(await l.newQueryExecutor().getState(CC, 'counter'))).to.equal('1');
            expect((await l.blocks.getTxLocation(b.txId))!.validationCode).to.equal(C.MVCC_READ_CONFLICT);
        });

        it('Given a range read and an insert into that range earlier in the block, Then PHANTOM_READ_CONFLICT', async () => {
            const insert = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'r2', Buffer.from('new')));
            const count = await simulateTx(l, user(), majority(f), async (sim) => {
                const page = await sim.getStateRange(CC, 'r', 's', 0, '');
                sim.putState(CC, 'count', Buffer.from(String(page.results.length)));
            });
            expect(await net.commit([insert.env, count.env])).to.deep.equal([C.VALID, C.PHANTOM_READ_CONFLICT]);
        });

        it('Given a submitted read-only tx whose paginated query read one page of several, Then VALID: the range counts only as far as it was read (as Fabric)', async () => {
            const paged = await simulateTx(l, user(), majority(f), async (sim) => {
                const page = await sim.getStateRange(CC, 'r', 's', 1, '');
                expect([page.hasMore, page.bookmark]).to.deep.equal([true, 'r2']);
            });
            const whole = await simulateTx(l, user(), majority(f), async (sim) => {
                await sim.getStateRange(CC, 'r', 's', 100, '');
            });
            expect(await net.commit([paged.env, whole.env])).to.deep.equal([C.VALID, C.VALID]);
        });

        it('Given a page read and an insert earlier in the block inside the part read, Then PHANTOM_READ_CONFLICT; beyond the page, Then VALID', async () => {
            const pageOfTwo = () =>
                simulateTx(l, user(), majority(f), async (sim) => {
                    await sim.getStateRange(CC, 'r', 's', 2, '');
                });
            const inside = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'r15', Buffer.from('new')));
            const before = await pageOfTwo(); // reads r1, r2
            expect(await net.commit([inside.env, before.env])).to.deep.equal([C.VALID, C.PHANTOM_READ_CONFLICT]);
            const beyond = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'r25', Buffer.from('new')));
            const after = await pageOfTwo(); // reads r1, r15
            expect(await net.commit([beyond.env, after.env])).to.deep.equal([C.VALID, C.VALID]);
        });

        it('Given a tx that writes and deletes the empty key, Then it commits VALID as on Fabric v3.1.5 (no layer of the peer refuses a key)', async () => {
            const put = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, '', Buffer.from('empty')));
            expect(await net.commit([put.env])).to.deep.equal([C.VALID]);
            expect(text(await l.newQueryExecutor().getState(CC, ''))).to.equal('empty');
            const del = await simulateTx(l, user(), majority(f), (sim) => sim.deleteState(CC, ''));
            expect(await net.commit([del.env])).to.deep.equal([C.VALID]);
            expect(await l.newQueryExecutor().getState(CC, '')).to.equal(undefined);
        });

        it('Given a range read and an update of a key outside the range, Then the range tx stays valid', async () => {
            const other = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'zzz', Buffer.from('1')));
            const count = await simulateTx(l, user(), majority(f), async (sim) => {
                await sim.getStateRange(CC, 'r', 's', 0, '');
                sim.putState(CC, 'count', Buffer.from('3'));
            });
            expect(await net.commit([other.env, count.env])).to.deep.equal([C.VALID, C.VALID]);
        });

        it('Given the same tx twice in a block and again in a later block, Then DUPLICATE_TXID', async () => {
            const t = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'dup', Buffer.from('1')));
            expect(await net.commit([t.env, t.env])).to.deep.equal([C.VALID, C.DUPLICATE_TXID]);
            expect(await net.commit([t.env])).to.deep.equal([C.DUPLICATE_TXID]);
        });

        it('Refuses bad signatures, tx ids, channels, chaincodes and proposal hashes with Fabric codes', async () => {
            const write = (sim: { putState(ns: string, k: string, v: Uint8Array): void }) => sim.putState(CC, 'bad', Buffer.from('1'));
            const cases: [string, Promise<{ env: Uint8Array }>, number][] = [
                [
                    'creator signature',
                    simulateTx(l, user(), majority(f), write, { tamper: { creatorSignature: true } }),
                    C.BAD_CREATOR_SIGNATURE,
                ],
                ['tx id', simulateTx(l, user(), majority(f), write, { tamper: { txId: 'ab'.repeat(32) } }), C.BAD_PROPOSAL_TXID],
                ['channel', simulateTx(l, user(), majority(f), write, { tamper: { channelId: 'otherchannel' } }), C.TARGET_CHAIN_NOT_FOUND],
                ['unknown chaincode', simulateTx(l, user(), majority(f), write, { ccName: 'nosuchcc' }), C.INVALID_CHAINCODE],
                [
                    'inconsistent chaincode',
                    simulateTx(l, user(), majority(f), write, { tamper: { respCcName: 'other' } }),
                    C.INVALID_CHAINCODE,
                ],
                [
                    'proposal hash',
                    simulateTx(l, user(), majority(f), write, { tamper: { proposalHash: true } }),
                    C.INVALID_ENDORSER_TRANSACTION,
                ],
                [
                    'too few endorsements',
                    simulateTx(l, user(), [f.peer('SeoulMSP'), f.peer('MOISMSP')], write),
                    C.ENDORSEMENT_POLICY_FAILURE,
                ],
                [
                    'bad endorsement signatures',
                    simulateTx(l, user(), majority(f), write, { tamper: { endorsementSignature: true } }),
                    C.ENDORSEMENT_POLICY_FAILURE,
                ],
                [
                    'same endorser thrice',
                    simulateTx(l, user(), [f.peer('SeoulMSP'), f.peer('SeoulMSP'), f.peer('SeoulMSP')], write),
                    C.ENDORSEMENT_POLICY_FAILURE,
                ],
            ];
            const envs = await Promise.all(cases.map((c) => c[1]));
            const badPayload = new common.Envelope();
            badPayload.setPayload(new Uint8Array([0xff, 0xff, 0xff]));
            const codes = await net.commit([...envs.map((e) => e.env), new Uint8Array([1, 2, 3]), badPayload.serializeBinary()]);
            expect(codes).to.deep.equal([...cases.map((c) => c[2]), C.INVALID_OTHER_REASON, C.BAD_PAYLOAD]);
            expect(await l.newQueryExecutor().getState(CC, 'bad')).to.equal(undefined);
        });

        it('Given a block of random garbage envelopes, Then each gets an invalid code and the block commits', async () => {
            const garbage: Uint8Array[] = Array.from({ length: 60 }, (_, i) =>
                i % 3 === 0 ? new Uint8Array(0) : randomBytes(1 + ((i * 37) % 300)),
            );
            // Also well-formed envelopes whose payload is garbage.
            for (let i = 0; i < 20; i++) {
                const env = new common.Envelope();
                env.setPayload(randomBytes(1 + i * 11));
                env.setSignature(randomBytes(70));
                garbage.push(env.serializeBinary());
            }
            const before = l.height;
            const codes = await net.commit(garbage);
            expect(l.height).to.equal(before + 1);
            expect(codes).to.have.length(garbage.length);
            expect(codes.every((c) => c !== C.VALID)).to.equal(true);
        });

        it('Given a collection with its own endorsement policy, Then its writes need that policy, not the chaincode one', async () => {
            const seoulOnly = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) =>
                sim.putPrivateData(CC, PRIVATE, 'k', Buffer.from('v')),
            );
            const othersOnly = await simulateTx(l, user(), [f.peer('MOISMSP'), f.peer('MOHWMSP'), f.peer('AuditMSP')], (sim) =>
                sim.putPrivateData(CC, PRIVATE, 'k2', Buffer.from('v')),
            );
            const publicBySeoul = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) => {
                sim.putPrivateData(CC, PRIVATE, 'k3', Buffer.from('v'));
                sim.putState(CC, 'pub', Buffer.from('v'));
            });
            const sharedBySeoul = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) =>
                sim.putPrivateData(CC, SHARED, 'k4', Buffer.from('v')),
            );
            expect(await net.commit([seoulOnly.env, othersOnly.env, publicBySeoul.env, sharedBySeoul.env])).to.deep.equal([
                C.VALID,
                C.ENDORSEMENT_POLICY_FAILURE,
                C.ENDORSEMENT_POLICY_FAILURE,
                C.ENDORSEMENT_POLICY_FAILURE,
            ]);
        });

        it('Given a key-level endorsement policy (VALIDATION_PARAMETER), Then writes of that key need it instead of the chaincode policy', async () => {
            const seoulOnly = Buffer.from(parseSignaturePolicy("OR('SeoulMSP.peer')").serializeBinary());
            const set = await simulateTx(l, user(), majority(f), (sim) => {
                sim.putState(CC, 'sbe', Buffer.from('0'));
                sim.setStateMetadata(CC, 'sbe', { VALIDATION_PARAMETER: seoulOnly });
            });
            expect(await net.commit([set.env])).to.deep.equal([C.VALID]);
            expect(Buffer.from((await l.newQueryExecutor().getStateMetadata(CC, 'sbe'))!.VALIDATION_PARAMETER).equals(seoulOnly)).to.equal(
                true,
            );
            const bySeoul = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) => sim.putState(CC, 'sbe', Buffer.from('1')));
            const byOthers = await simulateTx(l, user(), [f.peer('MOISMSP'), f.peer('MOHWMSP'), f.peer('AuditMSP')], (sim) =>
                sim.putState(CC, 'sbe', Buffer.from('2')),
            );
            const plusPlainKey = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) => {
                sim.putState(CC, 'sbe', Buffer.from('3'));
                sim.putState(CC, 'plain', Buffer.from('3'));
            });
            expect(await net.commit([bySeoul.env, byOthers.env, plusPlainKey.env])).to.deep.equal([
                C.VALID,
                C.ENDORSEMENT_POLICY_FAILURE,
                C.ENDORSEMENT_POLICY_FAILURE,
            ]);
            // The value write kept the metadata.
            expect((await l.newQueryExecutor().getStateMetadata(CC, 'sbe'))!.VALIDATION_PARAMETER).to.not.equal(undefined);
            // A policy change earlier in the block invalidates later writes of the key (as Fabric).
            const change = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) =>
                sim.setStateMetadata(CC, 'sbe', { VALIDATION_PARAMETER: seoulOnly }),
            );
            const after = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) => sim.putState(CC, 'sbe', Buffer.from('4')));
            expect(await net.commit([change.env, after.env])).to.deep.equal([C.VALID, C.ENDORSEMENT_POLICY_FAILURE]);
        });

        it('Given a write to a collection the chaincode does not define, Then ENDORSEMENT_POLICY_FAILURE (no such collection)', async () => {
            const t = await simulateTx(l, user(), majority(f), (sim) => sim.putPrivateData(CC, 'nosuch', 'k', Buffer.from('v')));
            expect(await net.commit([t.env])).to.deep.equal([C.ENDORSEMENT_POLICY_FAILURE]);
        });

        it('Given a malformed chaincode definition in _lifecycle, Then its transactions are INVALID_CHAINCODE and commits go on', async () => {
            const bad = await simulateTx(
                l,
                f.user('SeoulMSP', 'Admin'),
                majority(f),
                (sim) => {
                    // Metadata of a ChaincodeDefinition whose Sequence field is not an Int64.
                    putDefinition(sim, { ...definition, name: 'broken' });
                    sim.putState('_lifecycle', 'namespaces/fields/broken/Sequence', Buffer.from('1a0178', 'hex'));
                },
                { ccName: '_lifecycle' },
            );
            expect(await net.commit([bad.env])).to.deep.equal([C.VALID]);
            let err: { code?: string } = {};
            await l.chaincodeDefinition('broken').catch((e) => (err = e));
            expect(err.code).to.equal('LEDGER_CORRUPT');
            expect((await l.chaincodeDefinitions()).map((d) => d.name)).to.deep.equal([CC]);
            const t = await simulateTx(l, user(), majority(f), (sim) => sim.putState('broken', 'k', Buffer.from('v')), {
                ccName: 'broken',
            });
            expect(await net.commit([t.env])).to.deep.equal([C.INVALID_CHAINCODE]);
        });

        it('Given a _lifecycle write, Then it is checked against /Channel/Application/LifecycleEndorsement', async () => {
            const few = await simulateTx(
                l,
                f.user('SeoulMSP', 'Admin'),
                [f.peer('SeoulMSP')],
                (sim) => putDefinition(sim, { ...definition, name: 'x' }),
                { ccName: '_lifecycle' },
            );
            expect(await net.commit([few.env])).to.deep.equal([C.ENDORSEMENT_POLICY_FAILURE]);
        });

        it('Given a stale hashed private read, Then MVCC_READ_CONFLICT', async () => {
            const w1 = await simulateTx(l, user(), [f.peer('SeoulMSP')], (sim) => sim.putPrivateData(CC, PRIVATE, 'h', Buffer.from('1')));
            expect(await net.commit([w1.env])).to.deep.equal([C.VALID]);
            const reader = () =>
                simulateTx(l, user(), [f.peer('SeoulMSP')], async (sim) => {
                    await sim.getPrivateData(CC, PRIVATE, 'h');
                    sim.putPrivateData(CC, PRIVATE, 'h', Buffer.from('2'));
                });
            const a = await reader();
            const b = await reader();
            expect(await net.commit([a.env, b.env])).to.deep.equal([C.VALID, C.MVCC_READ_CONFLICT]);
            expect(text(await l.newQueryExecutor().getPrivateData(CC, PRIVATE, 'h'))).to.equal('2');
        });

        it('Refuses out-of-order and tampered blocks with stable codes', async () => {
            const t = await simulateTx(l, user(), majority(f), (sim) => sim.putState(CC, 'o', Buffer.from('1')));
            const block = net.chain.next([t.env]);
            const skipped = Chain.copy(block);
            skipped.getHeader()!.setNumber(block.getHeader()!.getNumber() + 1);
            let err: { code?: string } = {};
            await l.commit(skipped).catch((e) => (err = e));
            expect(err.code).to.equal('LEDGER_BLOCK_OUT_OF_ORDER');
            const tampered = Chain.copy(block);
            tampered.getData()!.setDataList([new Uint8Array([1])]);
            await l.commit(tampered).catch((e) => (err = e));
            expect(err.code).to.equal('LEDGER_BAD_DATA_HASH');
            const badPrev = Chain.copy(block);
            badPrev.getHeader()!.setPreviousHash(new Uint8Array(32));
            await l.commit(badPrev).catch((e) => (err = e));
            expect(err.code).to.equal('LEDGER_BAD_PREVIOUS_HASH');
            expect((await l.commit(Chain.copy(block))).validationCodes).to.deep.equal([C.VALID]);
        });

        it('Given several writes of a key, Then history lists them newest first with tx ids and deletes', async () => {
            const ids: string[] = [];
            for (const v of ['h1', 'h2', null]) {
                const t = await simulateTx(l, user(), majority(f), (sim) =>
                    v ? sim.putState(CC, 'hist', Buffer.from(v)) : sim.deleteState(CC, 'hist'),
                );
                ids.push(t.txId);
                await net.commit([t.env]);
            }
            const h = await l.newQueryExecutor().getHistoryForKey(CC, 'hist');
            expect(h.map((e) => [e.txId, text(e.value), e.isDelete])).to.deep.equal([
                [ids[2], '', true],
                [ids[1], 'h2', false],
                [ids[0], 'h1', false],
            ]);
            expect(h[0].timestamp.seconds).to.be.greaterThan(0);
        });
    });

    describe('commit, recovery and digests', () => {
        it('Given two ledgers fed the same blocks, Then their state digests are equal (and change with state)', async () => {
            const net = await network(['SeoulMSP', 'MOISMSP']);
            const [a, b] = [...net.peers.values()];
            const d0 = await a.stateDigest();
            const t = await simulateTx(a, net.f.user('SeoulMSP', 'User1'), majority(net.f), (sim) =>
                sim.putState(CC, 'k', Buffer.from('v')),
            );
            await net.commit([t.env]);
            expect(await a.stateDigest()).to.equal(await b.stateDigest());
            expect(await a.stateDigest()).to.not.equal(d0);
            await closeAll(net);
        });

        it('Given a crash after the block store append, When reopened, Then the state is replayed and equals an uncrashed peer', async () => {
            const f = await ledgerFixture();
            const net = await network(['SeoulMSP', 'MOISMSP']);
            const [good] = [...net.peers.values()];
            const crashDir = net.dirs.get('MOISMSP')!;
            await net.peers.get('MOISMSP')!.close();
            const crashing = await f.open(crashDir, 'MOISMSP', { crashAt: 'afterBlockStore' });
            const t = await simulateTx(good, f.user('SeoulMSP', 'User1'), majority(f), (sim) => {
                sim.putState(CC, 'k1', Buffer.from('v1'));
                sim.deleteState(CC, 'nothing');
            });
            const block = net.chain.next([t.env]);
            await good.commit(Chain.copy(block));
            let err: Error | undefined;
            await crashing.commit(Chain.copy(block)).catch((e) => (err = e));
            expect(err?.message).to.match(/simulated crash/);
            expect(crashing.height).to.equal(good.height);
            expect(await crashing.newQueryExecutor().getState(CC, 'k1')).to.equal(undefined);
            await crashing.close();
            // A commit that failed after the block store, in a live process: the next commit replays it first.
            const liveDir = f.tmp();
            const live = await f.open(liveDir, 'MOISMSP', { crashAt: 'afterBlockStore' });
            const stored = [f.genesis, (await good.blocks.getBlock(1))!, (await good.blocks.getBlock(2))!];
            for (const b of stored.slice(0, 2)) {
                let failed = false;
                await live.commit(Chain.copy(b)).catch(() => (failed = true));
                expect(failed).to.equal(true);
            }
            (live as unknown as { opts: { crashAt?: string } }).opts.crashAt = undefined;
            await live.commit(Chain.copy(stored[2]));
            expect(live.height).to.equal(3);
            expect(await live.stateDigest()).to.equal(await good.stateDigest());
            await live.close();
            const reopened = await f.open(crashDir, 'MOISMSP');
            expect(text(await reopened.newQueryExecutor().getState(CC, 'k1'))).to.equal('v1');
            expect(await reopened.stateDigest()).to.equal(await good.stateDigest());
            // Reopening again applies nothing twice.
            await reopened.close();
            const again = await f.open(crashDir, 'MOISMSP');
            expect(await again.stateDigest()).to.equal(await good.stateDigest());
            await again.close();
            await good.close();
        });
    });

    describe('config blocks', () => {
        it("Given a config block putting MOHW's CRL (welfare and MOHW's peer) into MOHW's MSP, signed by MOHW's admin alone, Then welfare's transaction simulated before is BAD_CREATOR_SIGNATURE, an endorsement of MOHW's peer no longer counts, and others commit", async () => {
            const net = await network(['SeoulMSP']);
            const f = net.f;
            const welfare = f.user('MOHWMSP', 'welfare');
            const before = await simulateTx(net.peers.get('SeoulMSP')!, welfare, majority(f), (sim) =>
                sim.putState(CC, 'revoked-creator', Buffer.from('1')),
            );
            const ca = await loadCa(caFiles(orgInfo(f.topology, 'MOHWMSP')));
            const serialOf = (pem: string) => new X509Certificate(pem).serialNumber.toLowerCase().replace(/^0+/, '');
            const crl = crlToPem(
                await createCrlDer({
                    caCert: new X509Certificate(ca.pem),
                    caKey: ca.key,
                    revoked: [welfare, f.peer('MOHWMSP')].map((id) => ({ serial: serialOf(id.certificatePem), revokedAt: new Date() })),
                    thisUpdate: new Date(),
                    nextUpdate: new Date(Date.now() + 86_400_000),
                }),
            );
            const channelId = f.channelConfig.channelId;
            const current = f.channelConfig.config!;
            const updated = common.Config.deserializeBinary(current.serializeBinary());
            for (const g of ['Application', 'Orderer']) {
                const value = updated.getChannelGroup()!.getGroupsMap().get(g)?.getGroupsMap().get('MOHWMSP')?.getValuesMap().get('MSP');
                if (!value) continue;
                const wrapped = msp.MSPConfig.deserializeBinary(value.getValue_asU8());
                const fabricMsp = msp.FabricMSPConfig.deserializeBinary(wrapped.getConfig_asU8());
                fabricMsp.setRevocationListList([Buffer.from(crl)]);
                wrapped.setConfig(fabricMsp.serializeBinary());
                value.setValue(wrapped.serializeBinary());
            }
            const update = signConfigUpdate(
                configUpdateEnvelope(channelId, computeUpdate(channelId, current, updated)),
                channelId,
                f.user('MOHWMSP', 'Admin'),
            );
            const proposed = new ConfigValidator(
                channelId,
                current,
                new PolicyManager(f.channelConfig.policies, f.msps),
            ).proposeConfigUpdate(update);
            const config = createSignedEnvelope(common.HeaderType.CONFIG, channelId, f.orderer(), proposed.serializeBinary());
            expect(await net.commit([config.serializeBinary()])).to.deep.equal([C.VALID]);

            const seoulUser = f.user('SeoulMSP', 'User1');
            const l = net.peers.get('SeoulMSP')!;
            const withMohwPeer = await simulateTx(l, seoulUser, majority(f), (sim) =>
                sim.putState(CC, 'revoked-endorser', Buffer.from('1')),
            );
            const withoutIt = await simulateTx(
                l,
                seoulUser,
                ['SeoulMSP', 'MOISMSP', 'AuditMSP'].map((m) => f.peer(m)),
                (sim) => sim.putState(CC, 'other-endorsers', Buffer.from('1')),
            );
            expect(await net.commit([before.env, withMohwPeer.env, withoutIt.env])).to.deep.equal([
                C.BAD_CREATOR_SIGNATURE,
                C.ENDORSEMENT_POLICY_FAILURE,
                C.VALID,
            ]);
            expect(text(await l.newQueryExecutor().getState(CC, 'revoked-creator'))).to.equal(undefined);
            await closeAll(net);
        });

        it('Given a config block after genesis whose update a majority of admins signed, Then it commits VALID with no state change, the new config is announced and restored on reopen; one whose update is not authorized is not committed', async () => {
            const net = await network(['SeoulMSP']);
            const dir = net.dirs.get('SeoulMSP')!;
            const l = net.peers.get('SeoulMSP')!;
            const digest = await l.stateDigest();
            const updates: number[] = [];
            l.onConfig((u) => updates.push(u.blockNumber));
            // A channel update (one ACL made stricter) signed by admins, as the orderer orders it.
            const channelId = net.f.channelConfig.channelId;
            const current = net.f.channelConfig.config!;
            const updated = common.Config.deserializeBinary(current.serializeBinary());
            const aclsValue = updated.getChannelGroup()!.getGroupsMap().get('Application')!.getValuesMap().get('ACLs')!;
            const acls = peer.ACLs.deserializeBinary(aclsValue.getValue_asU8());
            acls.getAclsMap().get('qscc/GetChainInfo')!.setPolicyRef('/Channel/Application/Writers');
            aclsValue.setValue(acls.serializeBinary());
            const configEnvelope = (signers: string[]) => {
                let update = configUpdateEnvelope(channelId, computeUpdate(channelId, current, updated));
                for (const mspId of signers) update = signConfigUpdate(update, channelId, net.f.user(mspId, 'Admin'));
                const validator = new ConfigValidator(channelId, current, new PolicyManager(net.f.channelConfig.policies, net.f.msps));
                return validator.proposeConfigUpdate(update);
            };
            const accepted = configEnvelope(['SeoulMSP', 'MOISMSP', 'MOHWMSP']);
            const configEnv = createSignedEnvelope(
                common.HeaderType.CONFIG,
                channelId,
                net.f.orderer(),
                accepted.serializeBinary(),
            ).serializeBinary();
            const forged = createSignedEnvelope(common.HeaderType.CONFIG, channelId, net.f.orderer(), accepted.serializeBinary());
            forged.setSignature(net.f.orderer().sign(Buffer.from('other')));
            expect(await net.commit([forged.serializeBinary()])).to.deep.equal([C.BAD_CREATOR_SIGNATURE]);
            expect(updates).to.deep.equal([]);
            expect(await net.commit([configEnv])).to.deep.equal([C.VALID]);
            expect(updates).to.deep.equal([l.height - 1]);
            expect(l.config.channelId).to.equal(net.f.channelConfig.channelId);
            expect(l.config.sequence).to.equal(1);
            // Only the height moved.
            expect(await l.stateDigest()).to.not.equal(digest);
            await l.close();
            const reopened = await net.f.open(dir, 'SeoulMSP');
            net.peers.set('SeoulMSP', reopened);
            expect(reopened.config.applicationOrgs).to.have.members(net.f.channelConfig.applicationOrgs);
            expect(reopened.config.sequence).to.equal(1);
            const t = await simulateTx(reopened, net.f.user('SeoulMSP', 'User1'), majority(net.f), (sim) =>
                sim.putState(CC, 'after-config', Buffer.from('1')),
            );
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            // The genesis config again, in a block the orderer signed, as if it were sequence 2: no update authorizes it.
            const genesisPayload = common.Payload.deserializeBinary(
                common.Envelope.deserializeBinary(net.f.genesis.getData()!.getDataList_asU8()[0]).getPayload_asU8(),
            );
            const height = reopened.height;
            const unauthorized = createSignedEnvelope(common.HeaderType.CONFIG, channelId, net.f.orderer(), genesisPayload.getData_asU8());
            const refused = await net.commit([unauthorized.serializeBinary()]).catch((e: Error & { code?: string }) => e);
            expect((refused as { code?: string }).code).to.equal('LEDGER_BAD_CONFIG');
            expect(reopened.height).to.equal(height);
            await closeAll(net);
        });
    });

    describe('private data', () => {
        let net: Net;
        let f: LedgerFixture;
        before(async () => {
            net = await network(['SeoulMSP', 'MOISMSP', 'MOHWMSP']);
            f = net.f;
        });
        after(() => closeAll(net));

        it('Given a private write, Then only member peers keep it, checked against the block hashes, and the transient store empties', async () => {
            const seoul = net.peers.get('SeoulMSP')!;
            const mois = net.peers.get('MOISMSP')!;
            const events: number[] = [];
            const off = seoul.onCommit((e) => events.push(e.privateData.size));
            // The private set reached every peer's transient store (a non-member must still not keep it).
            const t = await simulateTx(
                seoul,
                f.user('SeoulMSP', 'User1'),
                [f.peer('SeoulMSP')],
                (sim) => sim.putPrivateData(CC, PRIVATE, 'pk', Buffer.from('pv')),
                {
                    persistOn: [...net.peers.values()],
                },
            );
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            off();
            expect(events).to.deep.equal([1]);
            expect(text(await seoul.newQueryExecutor().getPrivateData(CC, PRIVATE, 'pk'))).to.equal('pv');
            // As Fabric's query executor: a peer holding the hash but not the value says so.
            let refusal: Error | undefined;
            await mois
                .newQueryExecutor()
                .getPrivateData(CC, PRIVATE, 'pk')
                .catch((e: Error) => (refusal = e));
            expect(refusal?.message).to.equal(
                `private data matching public hash version is not available. Public hash version = {BlockNum: ${mois.height - 1}, TxNum: 0}, Private data version = <nil>`,
            );
            expect(Buffer.from((await mois.newQueryExecutor().getPrivateDataHash(CC, PRIVATE, 'pk'))!).equals(sha('pv'))).to.equal(true);
            expect((await seoul.privateDataForBlock(seoul.height - 1)).size).to.equal(1);
            expect((await mois.privateDataForBlock(mois.height - 1)).size).to.equal(0);
            for (const l of net.peers.values()) expect(l.transientSize).to.equal(0);
        });

        it('Given a transient set that does not match the block hash, Then it is not kept', async () => {
            const seoul = net.peers.get('SeoulMSP')!;
            const tx = newTx(f.user('SeoulMSP', 'User1'));
            const sim = seoul.newTxSimulator(tx.txId);
            sim.putPrivateData(CC, PRIVATE, 'forged', Buffer.from('real'));
            const res = sim.results();
            const other = seoul.newTxSimulator(tx.txId);
            other.putPrivateData(CC, PRIVATE, 'forged', Buffer.from('forged'));
            seoul.persistTransient(tx.txId, other.results().private!);
            expect(await net.commit([envelope(tx, res, [f.peer('SeoulMSP')], seoul.channelId)])).to.deep.equal([C.VALID]);
            const refusal = await seoul
                .newQueryExecutor()
                .getPrivateData(CC, PRIVATE, 'forged')
                .then(
                    () => undefined,
                    (e: Error) => e.message,
                );
            expect(refusal).to.match(
                /^private data matching public hash version is not available\. Public hash version = \{BlockNum: \d+, TxNum: 0\}, Private data version = <nil>$/,
            );
            expect((await seoul.missingPrivateData()).map((m) => [m.ns, m.coll])).to.deep.equal([[CC, PRIVATE]]);
        });

        it('Given a purge, Then the value is gone from every file under the member peer dir before commit returns, and never was on non-members or in blocks', async () => {
            const seoul = net.peers.get('SeoulMSP')!;
            const marker = Buffer.from(`MARKER-${randomBytes(16).toString('hex')}`);
            const kept = Buffer.from(`KEPT-${randomBytes(16).toString('hex')}`);
            const put = await simulateTx(
                seoul,
                f.user('SeoulMSP', 'User1'),
                [f.peer('SeoulMSP')],
                (sim) => {
                    sim.putPrivateData(CC, PRIVATE, 'erase-me', marker);
                    sim.putPrivateData(CC, PRIVATE, 'keep-me', kept);
                },
                { persistOn: [...net.peers.values()] },
            );
            expect(await net.commit([put.env])).to.deep.equal([C.VALID]);
            // A second version of the key, so the purge must remove every historical version.
            const put2 = await simulateTx(seoul, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], (sim) =>
                sim.putPrivateData(CC, PRIVATE, 'erase-me', Buffer.concat([marker, Buffer.from('-v2')])),
            );
            expect(await net.commit([put2.env])).to.deep.equal([C.VALID]);
            const seoulDir = net.dirs.get('SeoulMSP')!;
            expect(filesContaining(seoulDir, marker)).to.not.have.length(0); // the scan does see it
            for (const org of ['MOISMSP', 'MOHWMSP']) expect(filesContaining(net.dirs.get(org)!, marker), org).to.deep.equal([]);
            expect(filesContaining(path.join(seoulDir, 'chains'), marker)).to.deep.equal([]);

            const purge = await simulateTx(seoul, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], (sim) =>
                sim.purgePrivateData(CC, PRIVATE, 'erase-me'),
            );
            expect(await net.commit([purge.env])).to.deep.equal([C.VALID]);
            expect(filesContaining(seoulDir, marker)).to.deep.equal([]);
            expect(await seoul.newQueryExecutor().getPrivateData(CC, PRIVATE, 'erase-me')).to.equal(undefined);
            expect(await seoul.newQueryExecutor().getPrivateDataHash(CC, PRIVATE, 'erase-me')).to.equal(undefined);
            for (const l of net.peers.values())
                expect(await l.newQueryExecutor().getPrivateDataHash(CC, PRIVATE, 'erase-me')).to.equal(undefined);
            // Other data survives, in state and in the pvtdata store.
            expect(text(await seoul.newQueryExecutor().getPrivateData(CC, PRIVATE, 'keep-me'))).to.equal(kept.toString());
            expect(filesContaining(seoulDir, kept)).to.not.have.length(0);
            // The value hash left the state databases of every peer too (it stays in the block, as in Fabric).
            for (const [org, dir] of net.dirs) expect(filesContaining(path.join(dir, 'statedb'), sha(marker)), org).to.deep.equal([]);
            const stored = await seoul.privateDataForBlock(seoul.height - 3);
            const coll = stored.get(0)!.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0];
            const keys = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(coll.getRwset_asU8())
                .getWritesList()
                .map((w) => w.getKey());
            expect(keys).to.deep.equal(['keep-me']);
            // Still gone after a restart.
            await seoul.close();
            const reopened = await f.open(seoulDir, 'SeoulMSP');
            net.peers.set('SeoulMSP', reopened);
            expect(filesContaining(seoulDir, marker)).to.deep.equal([]);
            expect(await reopened.newQueryExecutor().getPrivateData(CC, PRIVATE, 'erase-me')).to.equal(undefined);
            // A value that already sits in compacted table files is erased as well.
            const marker2 = Buffer.from(`MARKER-${randomBytes(16).toString('hex')}`);
            const put3 = await simulateTx(reopened, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], (sim) =>
                sim.putPrivateData(CC, PRIVATE, 'erase-me-too', marker2),
            );
            expect(await net.commit([put3.env])).to.deep.equal([C.VALID]);
            await (reopened as unknown as { pvt: { compact(): Promise<void> } }).pvt.compact();
            expect(filesContaining(seoulDir, marker2)).to.not.have.length(0);
            const purge2 = await simulateTx(reopened, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], (sim) =>
                sim.purgePrivateData(CC, PRIVATE, 'erase-me-too'),
            );
            expect(await net.commit([purge2.env])).to.deep.equal([C.VALID]);
            expect(filesContaining(seoulDir, marker2)).to.deep.equal([]);
        });

        it('Given a write, a purge and a new write of one key in one block, Then only the last value remains, on disk too', async () => {
            const seoul = net.peers.get('SeoulMSP')!;
            const marker = Buffer.from(`MARKER-${randomBytes(16).toString('hex')}`);
            const endorse = (run: (sim: TxSimulator) => void) => simulateTx(seoul, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], run);
            const w1 = await endorse((sim) => sim.putPrivateData(CC, PRIVATE, 'same-block', marker));
            const purge = await endorse((sim) => sim.purgePrivateData(CC, PRIVATE, 'same-block'));
            const w2 = await endorse((sim) => sim.putPrivateData(CC, PRIVATE, 'same-block', Buffer.from('after')));
            expect(await net.commit([w1.env, purge.env, w2.env])).to.deep.equal([C.VALID, C.VALID, C.VALID]);
            expect(text(await seoul.newQueryExecutor().getPrivateData(CC, PRIVATE, 'same-block'))).to.equal('after');
            expect(
                Buffer.from((await seoul.newQueryExecutor().getPrivateDataHash(CC, PRIVATE, 'same-block'))!).equals(sha('after')),
            ).to.equal(true);
            expect(filesContaining(net.dirs.get('SeoulMSP')!, marker)).to.deep.equal([]);
            const kept = await seoul.privateDataForBlock(seoul.height - 1);
            expect([...kept.keys()]).to.deep.equal([2]);
        });

        it('Given a crash after the private data store but before the block store, When the block comes again, Then its private data is kept', async () => {
            const seoulDir = net.dirs.get('SeoulMSP')!;
            await net.peers.get('SeoulMSP')!.close();
            const crashing = await f.open(seoulDir, 'SeoulMSP', { crashAt: 'afterPvtStore' });
            const t = await simulateTx(crashing, f.user('SeoulMSP', 'User1'), [f.peer('SeoulMSP')], (sim) =>
                sim.putPrivateData(CC, PRIVATE, 'crash-pvt', Buffer.from('survives')),
            );
            const block = net.chain.next([t.env]);
            let err: Error | undefined;
            await crashing.commit(Chain.copy(block)).catch((e) => (err = e));
            expect(err?.message).to.match(/simulated crash/);
            const height = crashing.height;
            await crashing.close();
            const reopened = await f.open(seoulDir, 'SeoulMSP');
            net.peers.set('SeoulMSP', reopened);
            expect(reopened.height).to.equal(height);
            // The transient store did not survive; the private data store did.
            const event = await reopened.commit(Chain.copy(block));
            expect(event.validationCodes).to.deep.equal([C.VALID]);
            expect(event.privateData.size).to.equal(1);
            for (const [org, l] of net.peers) if (org !== 'SeoulMSP') await l.commit(Chain.copy(block));
            expect(text(await reopened.newQueryExecutor().getPrivateData(CC, PRIVATE, 'crash-pvt'))).to.equal('survives');
        });

        it('Given a collection with blockToLive 3, Then its data expires after 3 more blocks on members', async () => {
            const seoul = net.peers.get('SeoulMSP')!;
            const mohw = net.peers.get('MOHWMSP')!;
            const t = await simulateTx(
                seoul,
                f.user('SeoulMSP', 'User1'),
                majority(f),
                (sim) => sim.putPrivateData(CC, SHARED, 'ttl', Buffer.from('short-lived')),
                {
                    persistOn: [...net.peers.values()],
                },
            );
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            const written = seoul.height - 1;
            for (let i = 0; i < 3; i++) {
                expect(text(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'ttl')), `after ${i} blocks`).to.equal('short-lived');
                expect(await net.peers.get('MOISMSP')!.newQueryExecutor().getPrivateDataHash(CC, SHARED, 'ttl')).to.not.equal(undefined);
                await net.commit([]);
            }
            expect(seoul.height - 1).to.equal(written + 3);
            await net.commit([]);
            expect(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'ttl')).to.equal(undefined);
            expect(await seoul.newQueryExecutor().getPrivateData(CC, SHARED, 'ttl')).to.equal(undefined);
            expect((await seoul.privateDataForBlock(written)).size).to.equal(0);
            // The hashes expire too, on members and non-members alike.
            for (const l of net.peers.values())
                expect(await l.newQueryExecutor().getPrivateDataHash(CC, SHARED, 'ttl')).to.equal(undefined);
            const digests = await Promise.all([...net.peers.values()].map((l) => l.stateDigest()));
            expect(new Set(digests).size).to.equal(1);
            for (const [org, dir] of net.dirs) expect(filesContaining(dir, Buffer.from('short-lived')), org).to.deep.equal([]);
        });

        it('Given blockToLive data written before the peers restart, Then it still expires on time after the restart', async () => {
            // The stores keep the earliest due expiry in memory: a reopened store must read it from disk.
            const t = await simulateTx(
                net.peers.get('SeoulMSP')!,
                f.user('SeoulMSP', 'User1'),
                majority(f),
                (sim) => sim.putPrivateData(CC, SHARED, 'ttl-restart', Buffer.from('short-lived too')),
                { persistOn: [...net.peers.values()] },
            );
            expect(await net.commit([t.env])).to.deep.equal([C.VALID]);
            await net.commit([]);
            for (const [org, dir] of net.dirs) {
                await net.peers.get(org)!.close();
                net.peers.set(org, await f.open(dir, org));
            }
            const mohw = net.peers.get('MOHWMSP')!;
            await net.commit([]);
            await net.commit([]);
            expect(text(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'ttl-restart'))).to.equal('short-lived too');
            await net.commit([]);
            expect(await mohw.newQueryExecutor().getPrivateData(CC, SHARED, 'ttl-restart')).to.equal(undefined);
            for (const l of net.peers.values())
                expect(await l.newQueryExecutor().getPrivateDataHash(CC, SHARED, 'ttl-restart')).to.equal(undefined);
        });
    });
});
