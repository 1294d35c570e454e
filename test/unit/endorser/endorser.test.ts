// The endorser: what it signs, what it refuses (and how: thrown as Fabric's gRPC errors, or as a
// 500 response), evaluation, the gRPC service, and the system chaincodes qscc and _lifecycle.
import { ChildProcess } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, ledger as ledgerpb, peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { parseSignaturePolicy } from '../../../network/devnet/common/policies';
import type { ExecutionResult } from '../../../network/devnet/peer/chaincode/handler';
import {
    ChaincodeExecutor,
    ChaincodeSupport,
    ExecuteRequest,
    RICH_QUERY_UNSUPPORTED,
} from '../../../network/devnet/peer/chaincode/support';
import { addEndorserService, collectionMembership, Endorser, EndorserError } from '../../../network/devnet/peer/endorser';
import {
    approveDefinitionArgs,
    commitDefinitionArgs,
    Lifecycle,
    lifecycleCallArgs,
    queryDefinitionArgs,
    signaturePolicyText,
} from '../../../network/devnet/peer/scc/lifecycle';
import { Cscc } from '../../../network/devnet/peer/scc/cscc';
import { Qscc } from '../../../network/devnet/peer/scc/qscc';
import type { ChaincodeConfig } from '../../../network/client/topology';
import { withDeadline } from '../../deadline';
import {
    CHANNEL,
    FakeMsps,
    FakePolicies,
    freePort,
    MemoryLedger,
    MemorySimulator,
    makeIdentity,
    memberOfPolicy,
    signedProposal,
    startChaincodeServer,
    stopChaincodeServer,
    TestIdentity,
    CC,
    COLLECTIONS,
} from './helpers';

/** A chaincode executor that runs a scripted function against the simulator. */
class ScriptedChaincode implements ChaincodeExecutor {
    readonly requests: ExecuteRequest[] = [];
    script: (req: ExecuteRequest) => Promise<Partial<ExecutionResult> & { status?: number; message?: string; payload?: string }> =
        async () => ({});
    async execute(req: ExecuteRequest): Promise<ExecutionResult> {
        this.requests.push(req);
        const out = await this.script(req);
        const response = out.response ?? new peer.Response();
        if (!out.response) {
            response.setStatus(out.status ?? 200);
            if (out.message) response.setMessage(out.message);
            if (out.payload) response.setPayload(Buffer.from(out.payload));
        }
        return { response, event: out.event, privateReads: out.privateReads ?? new Set() };
    }
}

describe('endorser', function () {
    this.timeout(30000);
    let seoul: TestIdentity;
    let mois: TestIdentity;
    let evil: TestIdentity;
    let admin: TestIdentity;
    let stranger: TestIdentity;
    let peerId: TestIdentity;
    let moisAdmin: TestIdentity;
    let ledger: MemoryLedger;
    let chaincode: ScriptedChaincode;
    let endorser: Endorser;
    let policies: FakePolicies;

    before(async () => {
        [seoul, mois, evil, admin, stranger, peerId] = await Promise.all([
            makeIdentity('SeoulMSP', 'client', { role: 'issuer' }),
            makeIdentity('MOISMSP', 'client'),
            makeIdentity('EvilMSP', 'client'),
            makeIdentity('SeoulMSP', 'admin'),
            makeIdentity('SeoulMSP', 'client'),
            makeIdentity('SeoulMSP', 'peer'),
        ]);
        moisAdmin = await makeIdentity('MOISMSP', 'admin');
    });

    function newEndorser(executor: ChaincodeExecutor = chaincode): Endorser {
        return new Endorser(endorserOptions(executor));
    }

    function endorserOptions(executor: ChaincodeExecutor = chaincode): ConstructorParameters<typeof Endorser>[0] {
        return {
            channelId: CHANNEL,
            ledger: ledger.asPeerLedger(),
            msps: new FakeMsps().add(seoul, mois, evil, admin, peerId, moisAdmin),
            policies,
            signer: peerId.signer,
            chaincodes: executor,
            systemChaincodes: [
                new Qscc(ledger.asPeerLedger()),
                new Cscc(ledger.asPeerLedger()),
                new Lifecycle({ mspId: 'SeoulMSP', applicationOrgs: () => ['SeoulMSP', 'MOISMSP'] }),
            ],
            isCollectionMember: collectionMembership(),
        };
    }

    beforeEach(() => {
        ledger = new MemoryLedger();
        ledger.definitions.set(CC, {
            name: CC,
            version: '1.0',
            sequence: 1,
            endorsementPolicy: 'MAJORITY Endorsement',
            collections: COLLECTIONS,
        });
        chaincode = new ScriptedChaincode();
        policies = new FakePolicies(['EvilMSP']);
        endorser = newEndorser();
    });

    async function refusal(sp: peer.SignedProposal): Promise<EndorserError> {
        try {
            await endorser.processProposal(sp);
        } catch (err) {
            expect(err).to.be.instanceOf(EndorserError);
            return err as EndorserError;
        }
        throw new Error('the proposal was not refused');
    }

    const decodeAction = (pr: peer.ProposalResponse) => {
        const prp = peer.ProposalResponsePayload.deserializeBinary(pr.getPayload_asU8());
        return { prp, action: peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()) };
    };

    describe('endorsing', () => {
        it('signs payload ‖ endorser identity, with the proposal hash and ChaincodeAction as Fabric builds them', async () => {
            chaincode.script = async (req) => {
                req.simulator.putState(CC, 'k', Buffer.from('v'));
                const event = new peer.ChaincodeEvent();
                event.setEventName('Put');
                event.setChaincodeId(CC);
                event.setTxId(req.txId);
                return { payload: 'done', event };
            };
            const { sp, proposal, txId } = signedProposal({
                signer: seoul.signer,
                chaincode: CC,
                args: ['Put', 'k', 'v'],
                transient: { secret: 'not hashed' },
            });
            const pr = await endorser.processProposal(sp);
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            expect(pr.getVersion()).to.equal(1);
            const endorsement = pr.getEndorsement()!;
            expect(Buffer.from(endorsement.getEndorser_asU8())).to.deep.equal(Buffer.from(peerId.signer.serialize()));
            const signed = Buffer.concat([pr.getPayload_asU8(), endorsement.getEndorser_asU8()]);
            expect(crypto.verify('sha256', signed, peerId.publicKey, endorsement.getSignature_asU8())).to.equal(true);

            const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
            const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
            const noTransient = new peer.ChaincodeProposalPayload();
            noTransient.setInput(payload.getInput_asU8());
            const expectedHash = crypto
                .createHash('sha256')
                .update(header.getChannelHeader_asU8())
                .update(header.getSignatureHeader_asU8())
                .update(noTransient.serializeBinary())
                .digest();
            const { prp, action } = decodeAction(pr);
            expect(Buffer.from(prp.getProposalHash_asU8())).to.deep.equal(expectedHash);
            expect(action.getChaincodeId()!.getName()).to.equal(CC);
            expect(action.getChaincodeId()!.getVersion()).to.equal('1.0');
            expect(Buffer.from(action.getResponse()!.getPayload_asU8()).toString()).to.equal('done');
            expect(peer.ChaincodeEvent.deserializeBinary(action.getEvents_asU8()).getTxId()).to.equal(txId);
            const rwset = ledgerpb.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
            expect(rwset.getNsRwsetList().map((n) => n.getNamespace())).to.deep.equal([CC]);
            expect(
                pr
                    .getInterest()!
                    .getChaincodesList()
                    .map((c) => c.getName()),
            ).to.deep.equal([CC]);
            expect(Buffer.from(chaincode.requests[0].transient!.get('secret')!).toString()).to.equal('not hashed');
        });

        it('hands the private write set to the transient store and names the collection in the interest', async () => {
            chaincode.script = async (req) => {
                req.simulator.putPrivateData(CC, 'seoulOnly', 'k', Buffer.from('secret'));
                return {};
            };
            const { sp, txId } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['PutPrivate'] });
            const pr = await endorser.processProposal(sp);
            expect(ledger.transient.has(txId)).to.equal(true);
            const calls = pr.getInterest()!.getChaincodesList();
            expect(calls).to.have.length(1);
            expect(calls[0].getName()).to.equal(CC);
            expect(calls[0].getCollectionNamesList()).to.deep.equal(['seoulOnly']);
            expect(calls[0].getNoPrivateReads()).to.equal(true);
        });

        it("passes the collections and the creator's membership (collection member policy) to the chaincode", async () => {
            await endorser.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] }).sp);
            await endorser.processProposal(signedProposal({ signer: mois.signer, chaincode: CC, args: ['x'] }).sp);
            const [bySeoul, byMois] = chaincode.requests;
            expect(bySeoul.collections).to.deep.equal(COLLECTIONS);
            expect(bySeoul.isCollectionMember!(COLLECTIONS[0])).to.equal(true);
            expect(byMois.isCollectionMember!(COLLECTIONS[0])).to.equal(false);
        });

        it('an evaluation goes through the same path but leaves nothing in the transient store', async () => {
            chaincode.script = async (req) => {
                req.simulator.putPrivateData(CC, 'seoulOnly', 'k', Buffer.from('secret'));
                return { payload: 'read' };
            };
            const { sp, txId } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Get'] });
            const pr = await endorser.processProposal(sp, { isEvaluate: true });
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            expect(chaincode.requests[0].isEvaluate).to.equal(true);
            expect(ledger.transient.has(txId)).to.equal(false);
        });

        it('a chaincode response of 400..499 is returned alone, without payload or endorsement', async () => {
            chaincode.script = async () => ({ status: 404, message: 'NOT_FOUND' });
            const pr = await endorser.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Get'] }).sp);
            expect(pr.getResponse()!.getStatus()).to.equal(404);
            expect(pr.hasEndorsement()).to.equal(false);
            expect(pr.getPayload_asU8()).to.have.length(0);
        });

        it('a chaincode response of 500 carries the payload but no endorsement, and nothing reaches the transient store', async () => {
            chaincode.script = async (req) => {
                req.simulator.putPrivateData(CC, 'seoulOnly', 'k', Buffer.from('secret'));
                return { status: 500, message: 'CARD_REVOKED: no' };
            };
            const { sp, txId } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Fail'] });
            const pr = await endorser.processProposal(sp);
            expect(pr.getResponse()!.getMessage()).to.equal('CARD_REVOKED: no');
            expect(pr.hasEndorsement()).to.equal(false);
            expect(decodeAction(pr).action.getResponse()!.getStatus()).to.equal(500);
            expect(ledger.transient.has(txId)).to.equal(false);
        });

        it('an execution failure becomes a 500 "error in simulation" response', async () => {
            chaincode.script = async () => {
                throw new Error('transaction returned with failure: boom');
            };
            const pr = await endorser.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] }).sp);
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.equal('error in simulation: transaction returned with failure: boom');
        });
    });

    describe('refusals', () => {
        it('a bad signature: access denied', async () => {
            const { sp } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] });
            sp.setSignature(mois.signer.sign(sp.getProposalBytes_asU8()));
            const err = await refusal(sp);
            expect(err.code).to.equal('ACCESS_DENIED');
            expect(err.message).to.equal(`error validating proposal: access denied: channel [${CHANNEL}] creator org [SeoulMSP]`);
            expect(err.response.getResponse()!.getStatus()).to.equal(500);
            expect(chaincode.requests).to.have.length(0);
        });

        it('an empty signature', async () => {
            const { sp } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] });
            sp.setSignature(new Uint8Array());
            expect((await refusal(sp)).code).to.equal('SIGNATURE_EMPTY');
        });

        it('an unknown creator: creator org unknown', async () => {
            const err = await refusal(signedProposal({ signer: stranger.signer, chaincode: CC, args: ['x'] }).sp);
            expect(err.code).to.equal('CREATOR_MALFORMED');
            expect(err.message).to.contain('creator org unknown, creator is malformed');
        });

        it("an expired creator: 'proposal client identity expired' (Fabric's ExpirationCheck auth filter), for an evaluation too, before any other check", async () => {
            const day = 86_400_000;
            const expired = await makeIdentity(
                'SeoulMSP',
                'client',
                {},
                { notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() - 1000) },
            );
            const msps = new FakeMsps().add(seoul, mois, evil, admin, peerId, moisAdmin, expired);
            endorser = new Endorser({ ...endorserOptions(), msps });
            const { sp } = signedProposal({ signer: expired.signer, chaincode: CC, args: ['x'] });
            for (const isEvaluate of [false, true]) {
                try {
                    await endorser.processProposal(sp, { isEvaluate });
                    expect.fail('the proposal was endorsed');
                } catch (err) {
                    expect(err).to.be.instanceOf(EndorserError);
                    expect((err as EndorserError).code).to.equal('IDENTITY_EXPIRED');
                    expect((err as EndorserError).message).to.equal('proposal client identity expired');
                }
            }
            // Even with a bad signature, expiry is what is reported: the filter runs first.
            sp.setSignature(mois.signer.sign(sp.getProposalBytes_asU8()));
            expect((await refusal(sp)).code).to.equal('IDENTITY_EXPIRED');
            expect(chaincode.requests).to.have.length(0);
            // The same creator a second before its NotAfter is endorsed.
            const valid = await makeIdentity(
                'SeoulMSP',
                'client',
                {},
                { notBefore: new Date(Date.now() - 2 * day), notAfter: new Date(Date.now() + 60_000) },
            );
            endorser = new Endorser({ ...endorserOptions(), msps: new FakeMsps().add(peerId, valid) });
            const pr = await endorser.processProposal(signedProposal({ signer: valid.signer, chaincode: CC, args: ['x'] }).sp);
            expect(pr.getResponse()!.getStatus()).to.equal(200);
        });

        it('a tx id that is not SHA-256(nonce ‖ creator)', async () => {
            const err = await refusal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'], txId: 'f'.repeat(64) }).sp);
            expect(err.code).to.equal('TXID_MISMATCH');
            expect(err.message).to.match(/^error validating proposal: incorrectly computed txid 'f{64}' -- expected '[0-9a-f]{64}'$/);
        });

        it('a replayed tx id: duplicate transaction found', async () => {
            const { sp, txId } = signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] });
            ledger.committedTxIds.set(txId, { blockNumber: 3, txNumber: 0, validationCode: 0 });
            const err = await refusal(sp);
            expect(err.code).to.equal('DUPLICATE_TXID');
            expect(err.message).to.equal(
                `duplicate transaction found [${txId}]. Creator [${Buffer.from(seoul.signer.serialize()).toString('hex')}]`,
            );
        });

        it('a creator outside /Channel/Application/Writers', async () => {
            const err = await refusal(signedProposal({ signer: evil.signer, chaincode: CC, args: ['x'] }).sp);
            expect(err.code).to.equal('ACCESS_DENIED');
            expect(err.message).to.contain(
                `Failed evaluating policy on signed data during check policy on channel [${CHANNEL}] with policy [/Channel/Application/Writers]`,
            );
        });

        it('a header type other than ENDORSER_TRANSACTION or CONFIG (Fabric lets CONFIG through)', async () => {
            const err = await refusal(
                signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'], headerType: common.HeaderType.MESSAGE }).sp,
            );
            expect(err.code).to.equal('HEADER_TYPE_INVALID');
            expect(err.message).to.equal('error validating proposal: invalid header type MESSAGE');
            const config = await endorser.processProposal(
                signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'], headerType: common.HeaderType.CONFIG }).sp,
            );
            expect(config.getResponse()!.getStatus()).to.equal(200);
        });

        it('bytes that are not a proposal', async () => {
            const sp = new peer.SignedProposal();
            sp.setProposalBytes(Buffer.from([0xff, 0xff, 0xff]));
            sp.setSignature(Buffer.from([1]));
            expect((await refusal(sp)).code).to.equal('PROPOSAL_MALFORMED');
        });

        it('another channel: a 500 response "channel not found"', async () => {
            const pr = await endorser.processProposal(
                signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'], channel: 'elsewhere' }).sp,
            );
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.equal("channel 'elsewhere' not found");
        });

        it("with a policy manager that evaluates verified identities, the creator's signature is verified once", async () => {
            const fast = Object.assign(new FakePolicies(['EvilMSP']), {
                evaluateIdentities(policy: string, ids: { mspId: string }[]) {
                    fast.evaluated.push(`ids:${policy}`);
                    return ids[0].mspId !== 'EvilMSP';
                },
            });
            policies = fast;
            endorser = newEndorser();
            await endorser.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] }).sp);
            expect(fast.evaluated).to.deep.equal(['ids:/Channel/Application/Writers']);
            const err = await refusal(signedProposal({ signer: evil.signer, chaincode: CC, args: ['x'] }).sp);
            expect(err.message).to.contain('with policy [/Channel/Application/Writers]: [signature set did not satisfy policy (EvilMSP)]');
        });

        it('an undefined chaincode: a 500 response as Fabric words it', async () => {
            const pr = await endorser.processProposal(signedProposal({ signer: seoul.signer, chaincode: 'nope', args: ['x'] }).sp);
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.equal(
                `make sure the chaincode nope has been successfully defined on channel ${CHANNEL} and try again: chaincode nope not found`,
            );
            expect(chaincode.requests).to.have.length(0);
        });
    });

    describe('with a real chaincode server', () => {
        let server: ChildProcess | undefined;
        let support: ChaincodeSupport;

        before(async () => {
            const port = await freePort();
            server = startChaincodeServer(port, `${CC}:1.0`);
            support = new ChaincodeSupport([{ name: CC, address: `127.0.0.1:${port}` }], { connectWaitMs: 15000 });
            support.start();
            expect(await support.waitReady(20000)).to.equal(true);
        });

        after(async () => {
            support?.close();
            await stopChaincodeServer(server);
        });

        it('endorses a write and refuses a rich query with a 500 response', async () => {
            const real = newEndorser(support);
            const ok = await real.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Put', 'k', 'v'] }).sp);
            expect(ok.getResponse()!.getStatus()).to.equal(200);
            expect(ok.hasEndorsement()).to.equal(true);
            const rich = await real.processProposal(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['Rich', '{}'] }).sp);
            expect(rich.getResponse()!.getStatus()).to.equal(500);
            expect(rich.getResponse()!.getMessage()).to.contain(RICH_QUERY_UNSUPPORTED);
            expect(rich.hasEndorsement()).to.equal(false);
        });

        it('a non-member cannot write a member-only collection through the endorser', async () => {
            const real = newEndorser(support);
            const pr = await real.processProposal(
                signedProposal({ signer: mois.signer, chaincode: CC, args: ['PutPrivate', 'seoulOnly', 'k'], transient: { value: 'x' } })
                    .sp,
            );
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.contain('does not have write access permission');
        });
    });

    describe('gRPC service', () => {
        let server: grpc.Server;
        let client: peer.EndorserClient;

        before(async () => {
            server = new grpc.Server();
            addEndorserService(server, { processProposal: (sp) => endorser.processProposal(sp) });
            const port = await new Promise<number>((resolve, reject) =>
                server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
            );
            client = new peer.EndorserClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        });

        after(() => {
            client?.close();
            server?.forceShutdown();
        });

        const call = (sp: peer.SignedProposal) =>
            withDeadline(
                "the endorser service's ProcessProposal answer",
                20_000,
                new Promise<peer.ProposalResponse>((resolve, reject) =>
                    client.processProposal(sp, (err, res) => (err ? reject(err) : resolve(res!))),
                ),
            );

        it("answers ProposalResponses, and refusals as gRPC errors with Fabric's message", async () => {
            const pr = await call(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'] }).sp);
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            const err = await call(signedProposal({ signer: seoul.signer, chaincode: CC, args: ['x'], txId: 'abc' }).sp).catch(
                (e: grpc.ServiceError) => e,
            );
            expect((err as grpc.ServiceError).code).to.equal(grpc.status.UNKNOWN);
            expect((err as grpc.ServiceError).details).to.contain("incorrectly computed txid 'abc'");
        });
    });

    describe('qscc', () => {
        const qscc = (id: TestIdentity, ...args: string[]) =>
            endorser.processProposal(signedProposal({ signer: id.signer, chaincode: 'qscc', args }).sp);

        it('GetChainInfo answers a BlockchainInfo, endorsed as a system chaincode', async () => {
            const block = new common.Block();
            const header = new common.BlockHeader();
            header.setNumber(0);
            header.setPreviousHash(Buffer.from('prev'));
            block.setHeader(header);
            ledger.blockList.push(block);
            const pr = await qscc(seoul, 'GetChainInfo', CHANNEL);
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            const info = common.BlockchainInfo.deserializeBinary(pr.getResponse()!.getPayload_asU8());
            expect(info.getHeight()).to.equal(1);
            expect(Buffer.from(info.getPreviousblockhash_asU8()).toString()).to.equal('prev');
            expect(decodeAction(pr).action.getChaincodeId()!.getVersion()).to.equal('syscc');
            expect(policies.evaluated).to.deep.equal(['/Channel/Application/Readers']);
        });

        it('GetTransactionByID answers a ProcessedTransaction with its validation code', async () => {
            const env = new common.Envelope();
            env.setPayload(Buffer.from('tx'));
            const block = new common.Block();
            const data = new common.BlockData();
            data.setDataList([env.serializeBinary()]);
            block.setData(data);
            const metadata = new common.BlockMetadata();
            metadata.setMetadataList([new Uint8Array(), new Uint8Array(), new Uint8Array([11]), new Uint8Array(), new Uint8Array()]);
            block.setMetadata(metadata);
            ledger.blockList.push(block);
            ledger.committedTxIds.set('tx1', { blockNumber: 0, txNumber: 0, validationCode: 0 });
            const pr = await qscc(seoul, 'GetTransactionByID', CHANNEL, 'tx1');
            const processed = peer.ProcessedTransaction.deserializeBinary(pr.getResponse()!.getPayload_asU8());
            expect(processed.getValidationcode()).to.equal(11);
            expect(Buffer.from(processed.getTransactionenvelope()!.getPayload_asU8()).toString()).to.equal('tx');
            const missing = await qscc(seoul, 'GetTransactionByID', CHANNEL, 'tx2');
            expect(missing.getResponse()!.getMessage()).to.equal(
                'Failed to get transaction with id tx2, error no such transaction ID [tx2] in index',
            );
        });

        it('refuses readers outside /Channel/Application/Readers, a wrong channel, missing args, unknown functions', async () => {
            expect((await qscc(evil, 'GetChainInfo', CHANNEL)).getResponse()!.getMessage()).to.match(
                /^access denied for \[GetChainInfo\]\[testchannel\]/,
            );
            expect((await qscc(seoul, 'GetChainInfo', 'other')).getResponse()!.getMessage()).to.equal('Invalid chain ID, other');
            expect((await qscc(seoul, 'GetBlockByNumber', CHANNEL)).getResponse()!.getMessage()).to.equal(
                'missing 3rd argument for GetBlockByNumber',
            );
            expect((await qscc(seoul, 'GetBlockByNumber', CHANNEL, 'x')).getResponse()!.getStatus()).to.equal(500);
            // Fabric's ACL names the function: an unknown one has no policy, before any "not found".
            expect((await qscc(seoul, 'Nope', CHANNEL, 'x')).getResponse()!.getMessage()).to.equal(
                'access denied for [Nope][testchannel]: [Unmapped policy for qscc/Nope]',
            );
        });
    });

    describe('channelless proposals (the peer CLI: getinfo, list, lifecycle queryinstalled)', () => {
        const channelless = (id: TestIdentity, chaincode: string, ...args: (string | Uint8Array)[]) =>
            endorser.processProposal(signedProposal({ signer: id.signer, chaincode, args, channel: '' }).sp);
        const genesis = () => {
            const block = new common.Block();
            const header = new common.BlockHeader();
            header.setNumber(0);
            block.setHeader(header);
            ledger.blockList.push(block);
        };

        it('Given an empty channel id, When qscc GetChainInfo names the channel, Then the peer answers the bare response, unendorsed, as Fabric', async () => {
            genesis();
            const pr = await channelless(seoul, 'qscc', 'GetChainInfo', CHANNEL);
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            expect(common.BlockchainInfo.deserializeBinary(pr.getResponse()!.getPayload_asU8()).getHeight()).to.equal(1);
            expect(pr.hasEndorsement()).to.equal(false);
            expect(pr.getPayload_asU8().length).to.equal(0);
            expect(pr.getVersion()).to.equal(0);
            // The ACL is the channel's, named in the arguments.
            expect(policies.evaluated).to.deep.equal(['/Channel/Application/Readers']);
            expect((await channelless(seoul, 'qscc', 'GetChainInfo', 'other')).getResponse()!.getMessage()).to.equal(
                'Invalid chain ID, other',
            );
        });

        it('Given an empty channel id, When the creator is of another org, Then the local MSP does not know it: refused as malformed', async () => {
            const err = await endorser
                .processProposal(
                    signedProposal({ signer: mois.signer, chaincode: 'qscc', args: ['GetChainInfo', CHANNEL], channel: '' }).sp,
                )
                .then(
                    () => undefined,
                    (e: EndorserError) => e,
                );
            expect(err?.code).to.equal('CREATOR_MALFORMED');
            expect(err?.message).to.equal('error validating proposal: access denied: channel [] creator org unknown, creator is malformed');
        });

        it('Given an empty channel id, When cscc GetChannels is asked, Then it lists the channel (any member of the local MSP)', async () => {
            const pr = await channelless(seoul, 'cscc', 'GetChannels');
            expect(pr.getResponse()!.getStatus()).to.equal(200);
            const answer = peer.ChannelQueryResponse.deserializeBinary(pr.getResponse()!.getPayload_asU8());
            expect(answer.getChannelsList().map((c) => c.getChannelId())).to.deep.equal([CHANNEL]);
        });

        it('Given cscc JoinChain, When a non-admin asks, Then access is denied; When an admin asks for the joined channel, Then the ledger already exists', async () => {
            const configBlockOf = (channel: string) => {
                const ch = new common.ChannelHeader();
                ch.setType(common.HeaderType.CONFIG);
                ch.setChannelId(channel);
                const header = new common.Header();
                header.setChannelHeader(ch.serializeBinary());
                const sh = new common.SignatureHeader();
                sh.setCreator(admin.signer.serialize());
                header.setSignatureHeader(sh.serializeBinary());
                const payload = new common.Payload();
                payload.setHeader(header);
                const env = new common.Envelope();
                env.setPayload(payload.serializeBinary());
                const data = new common.BlockData();
                data.setDataList([env.serializeBinary()]);
                const block = new common.Block();
                block.setData(data);
                return block.serializeBinary();
            };
            const block = configBlockOf(CHANNEL);
            expect((await channelless(seoul, 'cscc', 'JoinChain', block)).getResponse()!.getMessage()).to.match(
                /^access denied for \[JoinChain\]\[testchannel\]: \[Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy \[Admins\]/,
            );
            expect((await channelless(admin, 'cscc', 'JoinChain', block)).getResponse()!.getMessage()).to.equal(
                'ledger [testchannel] already exists with state [ACTIVE]',
            );
            expect((await channelless(admin, 'cscc', 'JoinChain', configBlockOf('other'))).getResponse()!.getMessage()).to.contain(
                'JOIN_UNSUPPORTED',
            );
            expect((await channelless(admin, 'cscc', 'Nope')).getResponse()!.getMessage()).to.equal('Incorrect number of arguments, 1');
            expect((await channelless(admin, 'cscc', 'Nope', 'x')).getResponse()!.getMessage()).to.equal(
                'Requested function Nope not found.',
            );
        });

        it("Given an empty channel id, When a user chaincode is invoked, Then it fails as Fabric: no channel config for channel ''", async () => {
            const pr = await channelless(seoul, CC, 'Get', 'k');
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.equal(
                `make sure the chaincode ${CC} has been successfully defined on channel  and try again: could not get channel config for channel ''`,
            );
            expect(chaincode.requests).to.have.length(0);
        });

        it('Given an empty channel id, When _lifecycle is asked, Then channel functions fail the local ACL and install functions need an admin', async () => {
            const definitions = await channelless(seoul, '_lifecycle', 'QueryChaincodeDefinitions', new Uint8Array());
            expect(definitions.getResponse()!.getMessage()).to.equal(
                'Failed to authorize invocation due to failed ACL check: Failed getting local MSP principal during channelless check policy with policy [/Channel/Application/Writers]: [MSP Principal role [/Channel/Application/Writers] not recognized]',
            );
            const byClient = await channelless(seoul, '_lifecycle', 'QueryInstalledChaincodes', new Uint8Array());
            expect(byClient.getResponse()!.getMessage()).to.match(
                /^Failed to authorize invocation due to failed ACL check: Failed verifying/,
            );
            const byAdmin = await channelless(admin, '_lifecycle', 'QueryInstalledChaincodes', new Uint8Array());
            expect(byAdmin.getResponse()!.getMessage()).to.contain('LIFECYCLE_UNSUPPORTED');
        });
    });

    describe('_lifecycle', () => {
        const cc: ChaincodeConfig = {
            name: 'cards',
            version: '2.0',
            sequence: 1,
            endorsementPolicy: "OR('SeoulMSP.peer', AND('MOISMSP.member', 'SeoulMSP.admin'))",
            collections: [{ ...COLLECTIONS[0], endorsementPolicy: { signaturePolicy: "OR('SeoulMSP.peer')" } }],
            server: { modulePath: 'x', ports: {}, tls: false },
        };
        const lifecycle = (id: TestIdentity, fn: string, args: { serializeBinary(): Uint8Array }) =>
            endorser.processProposal(signedProposal({ signer: id.signer, chaincode: '_lifecycle', args: lifecycleCallArgs(fn, args) }).sp);

        const approve = (id: TestIdentity, def: ChaincodeConfig = cc, packageId = 'cards_2.0:abc') =>
            lifecycle(id, 'ApproveChaincodeDefinitionForMyOrg', approveDefinitionArgs(def, packageId));
        const last = () => ledger.simulators.at(-1) as MemorySimulator;
        const key = (...parts: string[]) => parts.join('\u0000');

        it("Given the peer org's admin, When it approves, Then the approval goes to _implicit_org_SeoulMSP of _lifecycle in Fabric's layout, and nothing public is written", async () => {
            const pr = await approve(admin);
            expect(pr.getResponse()!.getStatus(), pr.getResponse()!.getMessage()).to.equal(200);
            expect(pr.hasEndorsement()).to.equal(true);
            const sim = last();
            expect(sim.writes.size).to.equal(0);
            expect([...sim.privateWrites.keys()].sort()).to.deep.equal(
                [
                    'chaincode-sources/fields/cards#1/PackageID',
                    'chaincode-sources/metadata/cards#1',
                    'namespaces/fields/cards#1/Collections',
                    'namespaces/fields/cards#1/EndorsementInfo',
                    'namespaces/fields/cards#1/ValidationInfo',
                    'namespaces/metadata/cards#1',
                ].map((k) => key('_lifecycle', '_implicit_org_SeoulMSP', k)),
            );
            // StateData{String: "cards_2.0:abc"}
            expect(
                Buffer.from(
                    sim.privateWrites.get(key('_lifecycle', '_implicit_org_SeoulMSP', 'chaincode-sources/fields/cards#1/PackageID'))!,
                ).toString('hex'),
            ).to.equal(`1a0d${Buffer.from('cards_2.0:abc').toString('hex')}`);
        });

        it("Given a client of the peer's org or another org's admin, When it approves, Then the peer-local Admins ACL refuses it", async () => {
            expect((await approve(seoul)).getResponse()!.getMessage()).to.equal(
                "Failed to authorize invocation due to failed ACL check: Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [The identity is not an admin under this MSP [SeoulMSP]: The identity does not contain OU [ADMIN], MSP: [SeoulMSP]]",
            );
            expect((await approve(moisAdmin)).getResponse()!.getMessage()).to.equal(
                'Failed to authorize invocation due to failed ACL check: Failed deserializing proposal creator during channelless check policy with policy [Admins]: [expected MSP ID SeoulMSP, received MOISMSP]',
            );
        });

        it("Given Seoul approved, When a Seoul client commits, Then Seoul's peer endorses it and writes the definition to _lifecycle's public state in Fabric's layout", async () => {
            await approve(admin);
            ledger.apply(last());
            const pr = await lifecycle(seoul, 'CommitChaincodeDefinition', commitDefinitionArgs(cc));
            expect(pr.getResponse()!.getStatus(), pr.getResponse()!.getMessage()).to.equal(200);
            expect(pr.hasEndorsement()).to.equal(true);
            const sim = last();
            expect([...sim.writes.keys()].sort()).to.deep.equal(
                [
                    'namespaces/fields/cards/Collections',
                    'namespaces/fields/cards/EndorsementInfo',
                    'namespaces/fields/cards/Sequence',
                    'namespaces/fields/cards/ValidationInfo',
                    'namespaces/metadata/cards',
                ].map((k) => key('_lifecycle', k)),
            );
            expect(Buffer.from(sim.writes.get(key('_lifecycle', 'namespaces/fields/cards/Sequence'))!).toString('hex')).to.equal('0801');
            expect(pr.getInterest()!.getChaincodesList()).to.have.length(0);
        });

        it("Given Seoul did not approve (MOIS did not matter), When committed on Seoul's peer, Then 500 'chaincode definition not agreed to by this org (SeoulMSP)' and no endorsement", async () => {
            const pr = await lifecycle(admin, 'CommitChaincodeDefinition', commitDefinitionArgs(cc));
            expect(pr.getResponse()!.getStatus()).to.equal(500);
            expect(pr.getResponse()!.getMessage()).to.equal(
                "failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (SeoulMSP)",
            );
            expect(pr.hasEndorsement()).to.equal(false);
        });

        it('refuses a sequence that is not current + 1, collections of orgs outside the channel and system chaincode names', async () => {
            const skip = await lifecycle(admin, 'CommitChaincodeDefinition', commitDefinitionArgs({ ...cc, sequence: 2 }));
            expect(skip.getResponse()!.getMessage()).to.equal(
                "failed to invoke backing implementation of 'CommitChaincodeDefinition': requested sequence is 2, but new definition must be sequence 1",
            );
            const foreign = await approve(admin, { ...cc, collections: [{ ...COLLECTIONS[0], policy: "OR('AuditMSP.member')" }] });
            expect(foreign.getResponse()!.getMessage()).to.equal(
                "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: collection-name: seoulOnly -- collection member 'AuditMSP' is not part of the channel",
            );
            const sys = await approve(admin, { ...cc, name: 'qscc' });
            expect(sys.getResponse()!.getMessage()).to.equal(
                "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: chaincode name 'qscc' is the name of a system chaincode",
            );
        });

        it("QueryChaincodeDefinition(s) answer Fabric's results with each org's approval; an undefined chaincode is status 404", async () => {
            await approve(admin);
            ledger.apply(last());
            await lifecycle(seoul, 'CommitChaincodeDefinition', commitDefinitionArgs(cc));
            ledger.apply(last());
            const pr = await lifecycle(seoul, 'QueryChaincodeDefinition', queryDefinitionArgs('cards'));
            expect(pr.getResponse()!.getStatus(), pr.getResponse()!.getMessage()).to.equal(200);
            const result = peer.lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(pr.getResponse()!.getPayload_asU8());
            expect(result.getSequence()).to.equal(1);
            expect(result.getVersion()).to.equal('2.0');
            expect(Object.fromEntries(result.getApprovalsMap().getEntryList())).to.deep.equal({ MOISMSP: false, SeoulMSP: true });
            const policy = peer.ApplicationPolicy.deserializeBinary(result.getValidationParameter_asU8());
            expect(signaturePolicyText(policy.getSignaturePolicy()!)).to.equal(cc.endorsementPolicy);
            expect(result.getCollections()!.getConfigList()[0].getStaticCollectionConfig()!.getName()).to.equal('seoulOnly');
            const all = await lifecycle(seoul, 'QueryChaincodeDefinitions', new peer.lifecycle.QueryChaincodeDefinitionsArgs());
            const list = peer.lifecycle.QueryChaincodeDefinitionsResult.deserializeBinary(all.getResponse()!.getPayload_asU8());
            expect(list.getChaincodeDefinitionsList().map((d) => d.getName())).to.deep.equal(['cards']);
            const missing = await lifecycle(seoul, 'QueryChaincodeDefinition', queryDefinitionArgs('none'));
            expect(missing.getResponse()!.getStatus()).to.equal(404);
            expect(missing.getResponse()!.getMessage()).to.equal('namespace none is not defined');
            const next = await approve(admin, { ...cc, sequence: 2, collections: [] });
            expect(next.getResponse()!.getMessage()).to.equal(
                "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: the proposed collection config does not contain previously defined collections",
            );
        });

        it('signature policies print back to the text they were parsed from', () => {
            for (const text of [
                "OR('A.member')",
                "AND('A.peer', 'B.admin')",
                "OutOf(2, 'A.member', 'B.member', 'C.client')",
                "OR('A.peer', AND('B.member', 'C.orderer'))",
            ]) {
                expect(signaturePolicyText(parseSignaturePolicy(text))).to.equal(text);
            }
        });
    });

    it('membership helper used by the peer matches the policy text helper of the tests', () => {
        expect(memberOfPolicy("OR('SeoulMSP.member')", seoul.verified)).to.equal(true);
    });
});
