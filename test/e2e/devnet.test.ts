// The test network (the devnet or real Fabric) through the real @hyperledger/fabric-gateway client,
// with identities of every org and the test chaincode `fixture`: endorsement policies, MVCC and
// phantom reads, nondeterminism, refused identities and replays, private data and purge, history,
// events with checkpoints, qscc.
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import { common, gateway as gatewayProtos, orderer, peer } from '@hyperledger/fabric-protos';
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { checkpointers, connect, EndorseError, GatewayError, StatusCode, Contract } from '@hyperledger/fabric-gateway';
import { testNetwork, NETWORK_LABEL } from './network';
import {
    closeConnections,
    connection,
    contractOf,
    eventually,
    filesContaining,
    filesOutsideIssuerPeer,
    marker,
    orgCaFiles,
    readEvents,
    utf8,
} from './helpers';
import { withDeadline } from '../deadline';
import { notRun, onlyOn } from '../not-run';
import { Topology, address, paths, issuerOrg, primaryOrderer } from '../../network/client/topology';
import { newPeerClient, loadUser } from '../../network/client/connection';
import { issueTestIdentity } from '../../network/devnet/msp/ca';
import { newFastSigner } from '../../network/client/signing';
import { createSignedEnvelope } from '../../network/devnet/common/protoutil';
import { newSigningIdentity } from '../../network/devnet/msp/identity';

const CC = 'fixture';

/** TLS credentials for a node of an org, checked against the org's TLS CA. */
const tlsTo = (t: Topology, mspId: string) => grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(t, mspId)));
/** docs/devnet.md: a purged private value is gone from every file of the member peer within this time. */
const PURGE_BOUND_MS = 2000;

describe(`fabric-gateway on ${NETWORK_LABEL}`, function () {
    this.timeout(180_000);
    let t: Topology;
    let seoul: Contract;
    let mois: Contract;
    const key = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

    before(async function () {
        t = (await testNetwork()).topology;
        if (!t.chaincodes.some((cc) => cc.name === CC)) {
            notRun(this, `the test chaincode ${CC} is not deployed on ${t.file} (the tests' own topology deploys it)`);
        }
        seoul = contractOf(t, connection(t, 'SeoulMSP').gateway, CC);
        mois = contractOf(t, connection(t, 'MOISMSP').gateway, CC);
    });
    after(closeConnections);

    /**
     * Waits until these orgs' peers have committed a submitted transaction too: each peer commits a
     * block on its own, so a read at another org right after the submitter's own peer committed may
     * not see the write yet (as on Fabric). Each peer's Gateway CommitStatus answers once it has.
     */
    async function committedAt(mspIds: string[], submitted: { getBytes(): Uint8Array }): Promise<void> {
        await Promise.all(mspIds.map((mspId) => connection(t, mspId).gateway.newCommit(submitted.getBytes()).getStatus()));
    }

    /** submitTransaction, then waits until every org's peer has committed it. */
    async function submitSeenByAll(contract: Contract, name: string, ...args: string[]): Promise<void> {
        const submitted = await contract.submitAsync(name, { arguments: args });
        const status = await submitted.getStatus();
        expect(status.code, `${name} commits VALID`).to.equal(StatusCode.VALID);
        await committedAt(
            t.orgs.map((o) => o.mspId),
            submitted,
        );
    }

    describe('Given a transaction from each org', () => {
        it('When each org submits and evaluates, Then every org reads every write', async () => {
            const keys: string[] = [];
            for (const org of t.orgs) {
                const contract = contractOf(t, connection(t, org.mspId).gateway, CC);
                const k = key(org.mspId);
                keys.push(k);
                await submitSeenByAll(contract, 'Put', k, `from ${org.mspId}`);
            }
            for (const org of t.orgs) {
                const contract = contractOf(t, connection(t, org.mspId).gateway, CC);
                for (const [i, k] of keys.entries()) {
                    expect(utf8(await contract.evaluateTransaction('Get', k))).to.equal(`from ${t.orgs[i].mspId}`);
                }
            }
        });

        it('When a transaction carries fewer endorsements than MAJORITY, Then it commits as ENDORSEMENT_POLICY_FAILURE and changes nothing', async () => {
            const k = key('underendorsed');
            const transaction = await seoul
                .newProposal('Put', { arguments: [k, 'x'], endorsingOrganizations: ['SeoulMSP', 'MOISMSP'] })
                .endorse();
            const status = await (await transaction.submit()).getStatus();
            expect(status.code).to.equal(StatusCode.ENDORSEMENT_POLICY_FAILURE);
            expect(status.successful).to.equal(false);
            await expectNotFound(mois, k);
        });

        it('When a transaction assembled by hand from one Endorser response is broadcast to the orderer, Then the committers mark it ENDORSEMENT_POLICY_FAILURE', async () => {
            // No peer gateway involved: the peers' Endorser and the orderer's Broadcast, as a hand-rolled client would.
            const k = key('byhand');
            const { gateway, signer } = connection(t, 'SeoulMSP');
            const proposal = contractOf(t, gateway, CC).newProposal('Put', { arguments: [k, 'by hand'] });
            // fabric-gateway's proposal bytes are a gateway.ProposedTransaction around the unsigned proposal.
            const proposalBytes =
                gatewayProtos.ProposedTransaction.deserializeBinary(proposal.getBytes()).getProposal()?.getProposalBytes_asU8() ??
                new Uint8Array();
            const signed = new peer.SignedProposal();
            signed.setProposalBytes(proposalBytes);
            signed.setSignature(await signer(proposal.getDigest()));
            const seoulOrg = issuerOrg(t);
            const endorser = new peer.EndorserClient(`${seoulOrg.peer.host}:${seoulOrg.peer.port}`, tlsTo(t, seoulOrg.mspId), {
                'grpc.ssl_target_name_override': paths.peerName(t, seoulOrg.mspId),
            });
            const response = await withDeadline(
                `the ProcessProposal answer of ${paths.peerName(t, seoulOrg.mspId)}`,
                20_000,
                new Promise<peer.ProposalResponse>((resolve, reject) =>
                    endorser.processProposal(signed, (err, r) => (err || !r ? reject(err) : resolve(r))),
                ),
                () => endorser.close(),
            );
            endorser.close();
            expect(response.getResponse()?.getStatus(), response.getResponse()?.getMessage()).to.equal(200);

            const prop = peer.Proposal.deserializeBinary(proposalBytes);
            const header = common.Header.deserializeBinary(prop.getHeader_asU8());
            const input = new peer.ChaincodeProposalPayload();
            input.setInput(peer.ChaincodeProposalPayload.deserializeBinary(prop.getPayload_asU8()).getInput_asU8());
            const endorsed = new peer.ChaincodeEndorsedAction();
            endorsed.setProposalResponsePayload(response.getPayload_asU8());
            endorsed.setEndorsementsList([response.getEndorsement() as peer.Endorsement]);
            const actionPayload = new peer.ChaincodeActionPayload();
            actionPayload.setChaincodeProposalPayload(input.serializeBinary());
            actionPayload.setAction(endorsed);
            const action = new peer.TransactionAction();
            action.setHeader(header.getSignatureHeader_asU8());
            action.setPayload(actionPayload.serializeBinary());
            const transaction = new peer.Transaction();
            transaction.setActionsList([action]);
            const payload = new common.Payload();
            payload.setHeader(header);
            payload.setData(transaction.serializeBinary());
            const envelope = new common.Envelope();
            envelope.setPayload(payload.serializeBinary());
            envelope.setSignature(await signer(createHash('sha256').update(envelope.getPayload_asU8()).digest()));

            const broadcaster = new orderer.AtomicBroadcastClient(address(primaryOrderer(t)), tlsTo(t, primaryOrderer(t).operatedBy), {
                'grpc.ssl_target_name_override': paths.ordererName(t),
            });
            const stream = broadcaster.broadcast();
            const answer = await withDeadline(
                "the orderer's Broadcast answer to the hand-made transaction",
                20_000,
                new Promise<orderer.BroadcastResponse>((resolve, reject) => {
                    stream.once('data', resolve);
                    stream.once('error', reject);
                    stream.write(envelope);
                }),
                () => stream.cancel(),
            );
            stream.end();
            broadcaster.close();
            expect(answer.getStatus()).to.equal(common.Status.SUCCESS);

            const qscc = contractOf(t, connection(t, 'MOHWMSP').gateway, 'qscc');
            const processed = await eventually('the transaction to commit', async () =>
                peer.ProcessedTransaction.deserializeBinary(
                    await qscc.evaluateTransaction('GetTransactionByID', t.channel, proposal.getTransactionId()),
                ),
            );
            expect(processed.getValidationcode()).to.equal(peer.TxValidationCode.ENDORSEMENT_POLICY_FAILURE);
            await expectNotFound(mois, k);
        });

        it('When exactly a majority of orgs endorse, Then it commits as VALID', async () => {
            const k = key('majority');
            const transaction = await seoul
                .newProposal('Put', { arguments: [k, 'y'], endorsingOrganizations: ['SeoulMSP', 'MOISMSP', 'AuditMSP'] })
                .endorse();
            const submitted = await transaction.submit();
            const status = await submitted.getStatus();
            expect(status.code).to.equal(StatusCode.VALID);
            await committedAt(['MOISMSP'], submitted);
            expect(utf8(await mois.evaluateTransaction('Get', k))).to.equal('y');
        });
    });

    describe('Given conflicting transactions', () => {
        it('When two transactions read and write the same key in one block, Then the second is MVCC_READ_CONFLICT', async () => {
            const k = key('counter');
            await seoul.submitTransaction('Increment', k);
            const first = await seoul.newProposal('Increment', { arguments: [k] }).endorse();
            const second = await mois.newProposal('Increment', { arguments: [k] }).endorse();
            // Submitted together through two peers: the orderer decides which comes first.
            const statuses = await Promise.all([first.submit(), second.submit()].map(async (s) => (await s).getStatus()));
            const valid = statuses.find((s) => s.code === StatusCode.VALID);
            const conflict = statuses.find((s) => s.code === StatusCode.MVCC_READ_CONFLICT);
            expect(valid, 'one VALID').to.not.equal(undefined);
            expect(conflict, 'one MVCC_READ_CONFLICT').to.not.equal(undefined);
            if (valid && conflict && valid.blockNumber === conflict.blockNumber) {
                const qscc = contractOf(t, connection(t, 'SeoulMSP').gateway, 'qscc');
                const block = common.Block.deserializeBinary(
                    await qscc.evaluateTransaction('GetBlockByNumber', t.channel, String(valid.blockNumber)),
                );
                const txIds = (block.getData()?.getDataList_asU8() ?? []).map((env) => {
                    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(env).getPayload_asU8());
                    return common.ChannelHeader.deserializeBinary(
                        payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(),
                    ).getTxId();
                });
                expect(txIds.indexOf(conflict.transactionId)).to.be.greaterThan(txIds.indexOf(valid.transactionId));
            } else {
                expect(Number(conflict?.blockNumber)).to.be.greaterThan(Number(valid?.blockNumber));
            }
            expect(utf8(await seoul.evaluateTransaction('Get', k))).to.equal('2');
        });

        it('When a key is inserted into a range another transaction read, Then that transaction is PHANTOM_READ_CONFLICT', async () => {
            const prefix = key('range');
            await submitSeenByAll(seoul, 'Put', `${prefix}-a`, '1');
            const counting = await seoul
                .newProposal('CountRange', { arguments: [`${prefix}-`, `${prefix}-~`, `${prefix}-count`] })
                .endorse();
            await mois.submitTransaction('Put', `${prefix}-b`, '2');
            const status = await (await counting.submit()).getStatus();
            expect(status.code).to.equal(StatusCode.PHANTOM_READ_CONFLICT);
            await expectNotFound(seoul, `${prefix}-count`);
        });
    });

    describe('Given a contract whose result differs by peer', () => {
        it('When it is endorsed, Then endorsement fails and names the mismatch', async () => {
            const error = await seoul.submitTransaction('Nondeterministic', key('nd')).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error).to.be.instanceOf(EndorseError);
            const text = `${(error as EndorseError).message} ${(error as EndorseError).details.map((d) => d.message).join(' ')}`;
            expect(text).to.match(/ProposalResponsePayloads do not match|mismatch/i);
        });
    });

    describe('Given identities and proposals the network must refuse', () => {
        const refused = async (run: () => Promise<unknown>): Promise<GatewayError> => {
            const error = await run().then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(error, 'the call should have been refused').to.be.instanceOf(GatewayError);
            return error as GatewayError;
        };

        it('When the signature does not match the proposal, Then the peer refuses it', async () => {
            const { identity, privateKeyPem } = loadUser(t, 'SeoulMSP', 'User1');
            const sign = newFastSigner(privateKeyPem);
            const gateway = connect({
                client: newPeerClient(t, 'SeoulMSP'),
                identity,
                signer: (digest) => sign(createHash('sha256').update(digest).update('tampered').digest()),
            });
            try {
                await refused(() => contractOf(t, gateway, CC).evaluateTransaction('Get', 'any'));
                await refused(() => contractOf(t, gateway, CC).submitTransaction('Put', key('badsig'), 'x'));
            } finally {
                gateway.close();
            }
        });

        it('When the certificate is from an unknown CA, Then the peer refuses it', async () => {
            const test = await issueTestIdentity({ topology: t, mspId: 'SeoulMSP', untrusted: true });
            const gateway = connect({
                client: newPeerClient(t, 'SeoulMSP'),
                identity: { mspId: 'SeoulMSP', credentials: Buffer.from(test.certificatePem) },
                signer: newFastSigner(test.privateKeyPem),
            });
            try {
                await refused(() => contractOf(t, gateway, CC).evaluateTransaction('Get', 'any'));
                await refused(() => contractOf(t, gateway, CC).submitTransaction('Put', key('untrusted'), 'x'));
            } finally {
                gateway.close();
            }
        });

        it('When the certificate is expired, Then the peers refuse its proposal (Fabric’s ExpirationCheck filter) and nothing changes', async () => {
            const test = await issueTestIdentity({ topology: t, mspId: 'SeoulMSP', expired: true, caFiles: orgCaFiles(t, 'SeoulMSP') });
            const gateway = connect({
                client: newPeerClient(t, 'SeoulMSP'),
                identity: { mspId: 'SeoulMSP', credentials: Buffer.from(test.certificatePem) },
                signer: newFastSigner(test.privateKeyPem),
            });
            try {
                const k = key('expired');
                const error = await refused(() => contractOf(t, gateway, CC).submitTransaction('Put', k, 'x'));
                expect(error).to.be.instanceOf(EndorseError);
                expect(`${error.message} ${error.details.map((d) => d.message).join(' ')}`).to.match(/proposal client identity expired/);
                await refused(() => contractOf(t, gateway, CC).evaluateTransaction('Get', k));
                await expectNotFound(seoul, k);
            } finally {
                gateway.close();
            }
        });

        it('When the expired certificate goes to the orderer itself, Then Broadcast answers BAD_REQUEST "broadcast client identity expired" (ExpirationRejectRule) and Deliver FORBIDDEN', async () => {
            const test = await issueTestIdentity({ topology: t, mspId: 'SeoulMSP', expired: true, caFiles: orgCaFiles(t, 'SeoulMSP') });
            const signer = newSigningIdentity('SeoulMSP', test.certificatePem, test.privateKeyPem);
            const node = primaryOrderer(t);
            const client = new orderer.AtomicBroadcastClient(address(node), tlsTo(t, node.operatedBy), {
                'grpc.ssl_target_name_override': paths.ordererName(t, node),
            });
            try {
                const broadcast = client.broadcast();
                const answer = await withDeadline(
                    "the orderer's Broadcast answer to an expired creator",
                    20_000,
                    new Promise<orderer.BroadcastResponse>((resolve, reject) => {
                        broadcast.once('data', resolve);
                        broadcast.once('error', reject);
                        broadcast.write(
                            createSignedEnvelope(common.HeaderType.ENDORSER_TRANSACTION, t.channel, signer, new Uint8Array([1])),
                        );
                    }),
                    () => broadcast.cancel(),
                );
                broadcast.end();
                expect(answer.getStatus()).to.equal(common.Status.BAD_REQUEST);
                // Fabric's Info is the rule's error itself; the devnet puts its stable code first and the time after.
                expect(answer.getInfo()).to.match(/broadcast client identity expired/);

                const newest = new orderer.SeekPosition();
                newest.setNewest(new orderer.SeekNewest());
                const seek = new orderer.SeekInfo();
                seek.setStart(newest);
                seek.setStop(newest);
                const deliver = client.deliver();
                const status = await withDeadline(
                    "the orderer's Deliver answer to an expired creator",
                    20_000,
                    new Promise<number>((resolve, reject) => {
                        deliver.on('data', (r: orderer.DeliverResponse) => {
                            if (r.getBlock()) reject(new Error('Deliver sent a block to an expired creator'));
                            else resolve(r.getStatus());
                        });
                        deliver.once('error', reject);
                        deliver.write(createSignedEnvelope(common.HeaderType.DELIVER_SEEK_INFO, t.channel, signer, seek.serializeBinary()));
                    }),
                    () => deliver.cancel(),
                );
                deliver.end();
                expect(status).to.equal(common.Status.FORBIDDEN);
            } finally {
                client.close();
            }
        });

        it('When a signed proposal is sent again after it committed, Then its transaction id is refused as a replay', async () => {
            const { gateway, signer } = connection(t, 'SeoulMSP');
            const proposal = contractOf(t, gateway, CC).newProposal('Put', { arguments: [key('replay'), 'once'] });
            const bytes = proposal.getBytes();
            const signature = await signer(proposal.getDigest());
            const status = await (await (await gateway.newSignedProposal(bytes, signature).endorse()).submit()).getStatus();
            expect(status.code).to.equal(StatusCode.VALID);
            const error = await refused(() => gateway.newSignedProposal(bytes, signature).endorse());
            expect(`${error.message} ${error.details.map((d) => d.message).join(' ')}`).to.match(/duplicate/i);
        });
    });

    describe('Given private data in a Seoul-only collection', () => {
        it('Then it is readable on the member peer only, its hash everywhere, and it never reaches a block or a non-member', async () => {
            const k = key('pvt');
            const value = marker('personal');
            await seoul.submit('PutPrivate', { arguments: [k], transientData: { value } });
            expect(utf8(await seoul.evaluateTransaction('GetPrivate', k))).to.equal(value);

            const onMois = await mois.evaluate('GetPrivate', { arguments: [k], endorsingOrganizations: ['MOISMSP'] }).then(
                () => 'read',
                () => 'refused',
            );
            expect(onMois).to.equal('refused');
            const hash = utf8(await mois.evaluate('GetPrivateHash', { arguments: [k], endorsingOrganizations: ['MOISMSP'] }));
            expect(hash).to.equal(createHash('sha256').update(value).digest('hex'));

            expect(filesOutsideIssuerPeer(t, value), 'outside Seoul’s peer (other peers, orderers, CAs, logs)').to.deep.equal([]);
            const seoulBlocks = filesContaining(paths.ledger(t, paths.peerName(t, issuerOrg(t).mspId)), value).filter((f) =>
                /chains|block/i.test(f),
            );
            expect(seoulBlocks, 'Seoul block files').to.deep.equal([]);
        });

        it('When it is purged, Then the member peer can no longer read it and its hash is gone', async () => {
            const k = key('purge');
            const value = marker('erase-me');
            await seoul.submit('PutPrivate', { arguments: [k], transientData: { value } });
            expect(utf8(await seoul.evaluateTransaction('GetPrivateHash', k))).to.not.equal('');
            await seoul.submitTransaction('PurgePrivate', k);
            const gone = await seoul.evaluateTransaction('GetPrivate', k).then(
                () => 'still there',
                () => 'gone',
            );
            expect(gone).to.equal('gone');
            expect(utf8(await seoul.evaluateTransaction('GetPrivateHash', k))).to.equal('');
        });

        it('When it is purged, Then it is gone from every file of the member peer within the stated bound', async function () {
            onlyOn(
                this,
                'devnet',
                'the bound is the devnet’s (docs/devnet.md); Fabric keeps a purged value in the private data store until its purge interval and in LevelDB write-ahead logs until they rotate (docs/operations.md)',
            );
            const k = key('purge');
            const value = marker('erase-me');
            await seoul.submit('PutPrivate', { arguments: [k], transientData: { value } });
            const seoulDir = paths.ledger(t, paths.peerName(t, issuerOrg(t).mspId));
            expect(filesContaining(seoulDir, value)).to.not.deep.equal([]);
            await seoul.submitTransaction('PurgePrivate', k);
            const purgedAt = Date.now();
            await eventually(
                'the purged value to leave the disk',
                async () => (filesContaining(seoulDir, value).length === 0 ? true : undefined),
                PURGE_BOUND_MS,
            );
            expect(Date.now() - purgedAt).to.be.at.most(PURGE_BOUND_MS);
        });
    });

    describe('Given the ledger history and events', () => {
        it('Then a key history lists every write and the delete, newest first', async () => {
            const k = key('history');
            const tx1 = await seoul.submitAsync('Put', { arguments: [k, 'v1'] });
            await tx1.getStatus();
            const tx2 = await seoul.submitAsync('Put', { arguments: [k, 'v2'] });
            await tx2.getStatus();
            const tx3 = await seoul.submitAsync('Delete', { arguments: [k] });
            await tx3.getStatus();
            const history = JSON.parse(utf8(await seoul.evaluateTransaction('History', k))) as {
                txId: string;
                value: string;
                isDelete: boolean;
            }[];
            expect(history.map((h) => h.txId)).to.deep.equal([tx3.getTransactionId(), tx2.getTransactionId(), tx1.getTransactionId()]);
            expect(history.map((h) => h.isDelete)).to.deep.equal([true, false, false]);
            expect(history[1].value).to.equal('v2');
        });

        it('When chaincode events are resumed from a checkpoint, Then none is lost or repeated', async () => {
            const network = connection(t, 'MOISMSP').gateway.getNetwork(t.channel);
            const checkpointer = checkpointers.inMemory();
            const first = await seoul.submitAsync('Put', { arguments: [key('ev'), '0'] });
            const start = (await first.getStatus()).blockNumber;
            const keys = [key('ev1'), key('ev2'), key('ev3'), key('ev4')];
            for (const k of keys.slice(0, 2)) await seoul.submitTransaction('Put', k, 'e');

            const seen: string[] = [];
            const events = await network.getChaincodeEvents(CC, { startBlock: start, checkpoint: checkpointer });
            await readEvents('the first two chaincode events', events, async (event) => {
                const { key: k } = JSON.parse(utf8(event.payload)) as { key: string };
                seen.push(k);
                await checkpointer.checkpointChaincodeEvent(event);
                return seen.length === 2;
            });
            for (const k of keys.slice(2)) await seoul.submitTransaction('Put', k, 'e');

            const resumed = await network.getChaincodeEvents(CC, { checkpoint: checkpointer, startBlock: start });
            await readEvents('the chaincode events resumed from the checkpoint, up to the last key', resumed, async (event) => {
                const { key: k } = JSON.parse(utf8(event.payload)) as { key: string };
                seen.push(k);
                await checkpointer.checkpointChaincodeEvent(event);
                return k === keys[3];
            });
            const ours = seen.filter((k) => k.startsWith('ev') || keys.includes(k));
            expect(ours.slice(-4)).to.deep.equal(keys);
            expect(new Set(seen).size).to.equal(seen.length);
        });

        it('Then block events deliver consecutive blocks with chained hashes', async () => {
            const network = connection(t, 'AuditMSP').gateway.getNetwork(t.channel);
            const blocks = await network.getBlockEvents({ startBlock: BigInt(0) });
            const seen: common.Block[] = [];
            await readEvents('the block events of blocks 0, 1 and 2', blocks, (block) => {
                seen.push(block);
                return seen.length === 3;
            });
            expect(seen.map((b) => Number(b.getHeader()?.getNumber()))).to.deep.equal([0, 1, 2]);
            expect(seen[0].getData()?.getDataList().length).to.equal(1);
        });

        it('Then qscc returns a committed transaction with its validation code and the block that holds it', async () => {
            const submitted = await seoul.submitAsync('Put', { arguments: [key('qscc'), 'q'] });
            const status = await submitted.getStatus();
            const qscc = contractOf(t, connection(t, 'AuditMSP').gateway, 'qscc');
            const processed = peer.ProcessedTransaction.deserializeBinary(
                await qscc.evaluateTransaction('GetTransactionByID', t.channel, submitted.getTransactionId()),
            );
            expect(processed.getValidationcode()).to.equal(peer.TxValidationCode.VALID);
            const block = common.Block.deserializeBinary(
                await qscc.evaluateTransaction('GetBlockByTxID', t.channel, submitted.getTransactionId()),
            );
            expect(block.getHeader()?.getNumber()).to.equal(Number(status.blockNumber));
            const info = common.BlockchainInfo.deserializeBinary(await qscc.evaluateTransaction('GetChainInfo', t.channel));
            expect(info.getHeight()).to.be.greaterThan(Number(status.blockNumber));
        });

        it('Then a rich query is refused as a LevelDB state database refuses it', async () => {
            const error = await seoul.evaluateTransaction('RichQuery', '{"selector":{}}').then(
                () => undefined,
                (e: GatewayError) => e,
            );
            expect(error).to.be.instanceOf(GatewayError);
            expect(`${error?.message} ${error?.details.map((d) => d.message).join(' ')}`).to.match(
                /ExecuteQuery not supported for leveldb/,
            );
        });
    });

    describe('Given behaviours checked side by side with Fabric v3.1.5', () => {
        it('When a submitted read-only transaction reads one page of a range holding more keys, Then it commits VALID (the range counts as far as it was read)', async () => {
            const prefix = key('paged');
            for (const i of [1, 2, 3]) await submitSeenByAll(seoul, 'Put', `${prefix}-${i}`, 'v');
            const submitted = await seoul.submitAsync('Page', { arguments: [prefix, `${prefix}~`, '2', ''] });
            const page = JSON.parse(utf8(submitted.getResult())) as { keys: string[]; bookmark: string };
            expect(page.keys).to.deep.equal([`${prefix}-1`, `${prefix}-2`]);
            expect(page.bookmark).to.equal(`${prefix}-3`);
            expect((await submitted.getStatus()).code).to.equal(StatusCode.VALID);
        });

        it('When a chaincode not defined on the channel is evaluated or submitted, Then FAILED_PRECONDITION: no peer offers it', async () => {
            const undefinedCc = contractOf(t, connection(t, 'SeoulMSP').gateway, 'nosuchcc');
            const evaluated = await undefinedCc.evaluateTransaction('Get', 'k').then(
                () => undefined,
                (e: GatewayError) => e,
            );
            expect(evaluated).to.be.instanceOf(GatewayError);
            expect(evaluated?.code).to.equal(grpc.status.FAILED_PRECONDITION);
            expect(evaluated?.message).to.contain(`no peers available to evaluate chaincode nosuchcc in channel ${t.channel}`);
            const submitted = await undefinedCc.submitTransaction('Put', 'k', 'v').then(
                () => undefined,
                (e: GatewayError) => e,
            );
            expect(submitted).to.be.instanceOf(GatewayError);
            expect(submitted?.code).to.equal(grpc.status.FAILED_PRECONDITION);
        });

        it('When a transaction writes the empty key, Then it commits VALID and the value reads back (Fabric refuses no key)', async () => {
            const value = key('empty-key-value');
            await submitSeenByAll(seoul, 'Put', '', value);
            expect(utf8(await mois.evaluateTransaction('Get', ''))).to.equal(value);
        });
    });

    async function expectNotFound(contract: Contract, k: string): Promise<void> {
        const outcome = await contract.evaluateTransaction('Get', k).then(
            (v) => `found ${utf8(v)}`,
            (e: GatewayError) => `${e.message} ${e.details.map((d) => d.message).join(' ')}`,
        );
        expect(outcome).to.match(/NOT_FOUND/);
    }
});
