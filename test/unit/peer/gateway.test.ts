import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { common, gateway, orderer, peer } from '@hyperledger/fabric-protos';
import { GatewayServer, startBlock } from '../../../network/devnet/peer/gateway';
import { RpcError } from '../../../network/devnet/peer/gateway/apiutils';
import { parseSignaturePolicy } from '../../../network/devnet/common/policies';
import { DeadlineError, withDeadline } from '../../deadline';
import {
    FakeLedger,
    FakeOrderer,
    Script,
    block,
    broadcastResponse,
    endorseRequest,
    evaluateRequest,
    layoutOracle,
    proposalResponse,
    registryOf,
    signedProposal,
    CHANNEL,
} from './fakes';

function setup(script: Script, options: { readersOk?: boolean; orderer?: FakeOrderer } = {}) {
    const { registry, endorsers } = registryOf(script);
    const ledger = new FakeLedger();
    const ord = options.orderer ?? new FakeOrderer();
    const oracle = layoutOracle();
    const gw = new GatewayServer({
        channelId: CHANNEL,
        registry,
        orderer: ord,
        ledger,
        policies: {
            orgLayouts: (p) => oracle.orgLayouts(p),
            evaluate: () =>
                options.readersOk === false
                    ? { ok: false, reason: 'POLICY_NOT_SATISFIED: not a reader', signers: [] }
                    : { ok: true, signers: [] },
        },
        parseSignaturePolicy,
        options: { endorsementTimeoutMs: 1000, broadcastTimeoutMs: 1000 },
    });
    return { gw, registry, endorsers, ledger, ord };
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
    try {
        await withDeadline('the refusal (an RpcError)', 5000, p);
    } catch (err) {
        if (err instanceof DeadlineError) throw err;
        expect(err).to.be.instanceOf(RpcError);
        return err as RpcError;
    }
    throw new Error('expected a rejection');
}

function endorsementsOf(envelope: common.Envelope): {
    endorsers: string[];
    cpp: peer.ChaincodeProposalPayload;
    result: string;
    header: common.Header;
} {
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
    const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
    const prp = peer.ProposalResponsePayload.deserializeBinary(cap.getAction()!.getProposalResponsePayload_asU8());
    const action = peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8());
    return {
        endorsers: cap
            .getAction()!
            .getEndorsementsList()
            .map((e) => Buffer.from(e.getEndorser_asU8()).toString()),
        cpp: peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8()),
        result: Buffer.from(action.getResponse()!.getPayload_asU8()).toString(),
        header: payload.getHeader()!,
    };
}

const ok: Script = (org) => ({ response: proposalResponse(org, { writes: ['card1'] }) });

describe('peer gateway: Endorse', () => {
    it('Given MAJORITY, When the client names no orgs, Then the local peer and two more endorse and the envelope is assembled as Fabric does', async () => {
        const { gw, endorsers } = setup(ok);
        const sp = signedProposal({ transient: {} });
        const res = await gw.endorse(endorseRequest(sp));
        const env = res.getPreparedTransaction()!;
        expect(env.getSignature_asU8()).to.have.length(0);
        const parsed = endorsementsOf(env);
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP', 'peer0 of MOISMSP', 'peer0 of MOHWMSP']);
        expect(parsed.result).to.equal('ok');
        expect(parsed.cpp.getTransientmapMap().getLength()).to.equal(0);
        const proposal = peer.Proposal.deserializeBinary(sp.getProposalBytes_asU8());
        expect(Buffer.from(parsed.header.serializeBinary()).equals(Buffer.from(proposal.getHeader_asU8()))).to.equal(true);
        expect(endorsers.get('AuditMSP')!.calls).to.equal(0);
    });

    it('Given an org whose peer is down, Then another layout is used and that peer is tried last next time', async () => {
        const { gw, registry } = setup((org) => (org === 'MOISMSP' ? { error: new Error('connect ECONNREFUSED') } : ok(org)));
        const parsed = endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!);
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP', 'peer0 of MOHWMSP', 'peer0 of AuditMSP']);
        expect(registry.penalty('MOISMSP')).to.equal(1);
    });

    it('Given nondeterministic chaincode, Then Endorse fails ABORTED with a message naming both results', async () => {
        const { gw, endorsers } = setup((org) => ({
            response: proposalResponse(org, { writes: ['k'], result: org === 'SeoulMSP' ? 'result-A' : `result-${org}` }),
        }));
        const err = await rejection(gw.endorse(endorseRequest(signedProposal())));
        expect(err.code).to.equal(grpc.status.ABORTED);
        expect(endorsers.get('MOISMSP')!.calls).to.equal(3);
        expect(err.message).to.match(
            /^failed to collect enough transaction endorsements, see attached details for more info: ProposalResponsePayloads do not match/,
        );
        expect(err.message)
            .to.include('"result-A"')
            .and.include('"result-MOISMSP"')
            .and.include('SeoulMSP')
            .and.include('not deterministic');
        expect(err.errorDetails.map((d) => d.getMspId())).to.deep.equal(['MOISMSP', 'MOHWMSP']);
        expect(err.metadata.get('grpc-status-details-bin')).to.have.length(1);
    });

    it('Given a peer one block behind (other result), Then it is asked once more and its fresh endorsement is used', async () => {
        let mohwCalls = 0;
        const { gw } = setup((org) => {
            if (org === 'MOISMSP') return { error: new Error('down') };
            const stale = org === 'MOHWMSP' && mohwCalls++ === 0;
            return { response: proposalResponse(org, { writes: [stale ? 'old-version' : 'k'], result: stale ? '1' : '2' }) };
        });
        const parsed = endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!);
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP', 'peer0 of MOHWMSP', 'peer0 of AuditMSP']);
        expect(mohwCalls).to.equal(2);
    });

    it('Given the function was endorsed before, Then the same orgs are asked together with the local peer (one round trip)', async () => {
        let localDone = false;
        const remoteWhileLocalPending: string[] = [];
        const { gw } = setup(async (org) => {
            if (org === 'SeoulMSP') {
                await new Promise((r) => setTimeout(r, 20));
                localDone = true;
            } else if (!localDone) remoteWhileLocalPending.push(org);
            return ok(org);
        });
        await gw.endorse(endorseRequest(signedProposal()));
        expect(remoteWhileLocalPending).to.deep.equal([]);
        localDone = false;
        const parsed = endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!);
        expect(remoteWhileLocalPending).to.deep.equal(['MOISMSP', 'MOHWMSP']);
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP', 'peer0 of MOISMSP', 'peer0 of MOHWMSP']);
    });

    it('Given transient data, Then nothing is sent ahead to the orgs remembered for the function', async () => {
        let transient = false;
        const { gw, endorsers } = setup((org) =>
            transient ? { response: proposalResponse(org, { collections: { personalData: { writes: 1 } } }) } : ok(org),
        );
        await gw.endorse(endorseRequest(signedProposal()));
        const before = ['MOISMSP', 'MOHWMSP', 'AuditMSP'].map((o) => endorsers.get(o)!.calls);
        transient = true;
        const parsed = endorsementsOf(
            (await gw.endorse(endorseRequest(signedProposal({ transient: { personal: 'secret' } })))).getPreparedTransaction()!,
        );
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP']);
        expect(['MOISMSP', 'MOHWMSP', 'AuditMSP'].map((o) => endorsers.get(o)!.calls)).to.deep.equal(before);
    });

    it('Given one org of four differs, Then the others still make a layout (the odd one is left out)', async () => {
        const { gw } = setup((org) => ({ response: proposalResponse(org, { writes: ['k'], result: org === 'MOISMSP' ? 'odd' : 'same' }) }));
        const parsed = endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!);
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP', 'peer0 of MOHWMSP', 'peer0 of AuditMSP']);
    });

    it('Given the client names the endorsing orgs, Then exactly those endorse', async () => {
        const { gw, endorsers } = setup(ok);
        const parsed = endorsementsOf(
            (await gw.endorse(endorseRequest(signedProposal(), ['MOHWMSP', 'AuditMSP']))).getPreparedTransaction()!,
        );
        expect(parsed.endorsers).to.deep.equal(['peer0 of MOHWMSP', 'peer0 of AuditMSP']);
        expect(endorsers.get('SeoulMSP')!.calls).to.equal(0);
        expect(endorsers.get('MOISMSP')!.calls).to.equal(0);
    });

    it('refuses named orgs without a peer (UNAVAILABLE) and a named org that fails (ABORTED with its detail)', async () => {
        const { gw } = setup((org) => (org === 'AuditMSP' ? { error: new Error('down') } : ok(org)));
        expect((await rejection(gw.endorse(endorseRequest(signedProposal(), ['NopeMSP'])))).code).to.equal(grpc.status.UNAVAILABLE);
        const err = await rejection(gw.endorse(endorseRequest(signedProposal(), ['SeoulMSP', 'AuditMSP'])));
        expect(err.code).to.equal(grpc.status.ABORTED);
        expect(err.errorDetails.map((d) => [d.getMspId(), d.getMessage()])).to.deep.equal([['AuditMSP', 'down']]);
    });

    it('Given transient data written to the issuer-only collection only, Then only the issuer peer sees the proposal', async () => {
        const { gw, endorsers } = setup((org) => ({ response: proposalResponse(org, { collections: { personalData: { writes: 1 } } }) }));
        const parsed = endorsementsOf(
            (await gw.endorse(endorseRequest(signedProposal({ transient: { personal: 'secret' } })))).getPreparedTransaction()!,
        );
        expect(parsed.endorsers).to.deep.equal(['peer0 of SeoulMSP']);
        for (const org of ['MOISMSP', 'MOHWMSP', 'AuditMSP']) expect(endorsers.get(org)!.calls).to.equal(0);
    });

    it('Given transient data and public writes needing non-members, Then FAILED_PRECONDITION and no non-member sees the proposal', async () => {
        const { gw, endorsers } = setup((org) => ({
            response: proposalResponse(org, { writes: ['card'], collections: { personalData: { writes: 1 } } }),
        }));
        const err = await rejection(gw.endorse(endorseRequest(signedProposal({ transient: { personal: 'secret' } }))));
        expect(err.code).to.equal(grpc.status.FAILED_PRECONDITION);
        expect(err.message).to.include('not in the distribution policy of the private data collection(s): [personalData]');
        for (const org of ['MOISMSP', 'MOHWMSP', 'AuditMSP']) expect(endorsers.get(org)!.calls).to.equal(0);
    });

    it('Given the local chaincode fails, Then ABORTED "failed to endorse transaction" with the chaincode response as detail', async () => {
        const { gw } = setup((org) => ({ response: proposalResponse(org, { status: 500, message: 'CARD_REVOKED: card c1 is revoked' }) }));
        const err = await rejection(gw.endorse(endorseRequest(signedProposal())));
        expect(err.code).to.equal(grpc.status.ABORTED);
        expect(err.message).to.equal('failed to endorse transaction, see attached details for more info');
        expect(err.errorDetails[0].getMessage()).to.equal('chaincode response 500, CARD_REVOKED: card c1 is revoked');
    });

    it('Given a cached chaincode definition, Then a committed _lifecycle transaction makes the next plan use the new one', async () => {
        const { gw, ledger } = setup(ok);
        expect(endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!).endorsers).to.have.length(3);
        ledger.definitions.set('citizencard', { ...ledger.definitions.get('citizencard')!, endorsementPolicy: "OR('SeoulMSP.peer')" });
        expect(endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!).endorsers).to.have.length(3);
        ledger.commit(block(0, [{ txId: 'upgrade', chaincode: '_lifecycle' }]));
        expect(endorsementsOf((await gw.endorse(endorseRequest(signedProposal()))).getPreparedTransaction()!).endorsers).to.deep.equal([
            'peer0 of SeoulMSP',
        ]);
    });

    it('refuses a request without a proposal, a garbled proposal and another channel', async () => {
        const { gw } = setup(ok);
        expect((await rejection(gw.endorse(new gateway.EndorseRequest()))).code).to.equal(grpc.status.INVALID_ARGUMENT);
        const bad = new peer.SignedProposal();
        bad.setProposalBytes(Buffer.from([0xff, 0xff, 0xff]));
        expect((await rejection(gw.endorse(endorseRequest(bad)))).code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect((await rejection(gw.endorse(endorseRequest(signedProposal({ channel: 'other' }))))).code).to.equal(grpc.status.UNAVAILABLE);
    });
});

describe('peer gateway: Evaluate', () => {
    it('evaluates on the local peer and returns the result from the proposal response payload', async () => {
        const { gw, endorsers } = setup((org) => ({ response: proposalResponse(org, { result: `from ${org}` }) }));
        const res = await gw.evaluate(evaluateRequest(signedProposal()));
        expect(Buffer.from(res.getResult()!.getPayload_asU8()).toString()).to.equal('from SeoulMSP');
        expect(endorsers.get('MOISMSP')!.calls).to.equal(0);
    });

    it('Given target organizations, Then only their peers are asked (a department reads from the issuer)', async () => {
        const { gw, endorsers } = setup((org) => ({ response: proposalResponse(org, { result: `from ${org}` }) }), {});
        const res = await gw.evaluate(evaluateRequest(signedProposal({ transient: { q: 'x' } }), ['MOHWMSP']));
        expect(Buffer.from(res.getResult()!.getPayload_asU8()).toString()).to.equal('from MOHWMSP');
        expect(endorsers.get('SeoulMSP')!.calls).to.equal(0);
    });

    it('Given transient data and no targets, Then only the local org is used', async () => {
        const { gw, endorsers } = setup((org) => (org === 'SeoulMSP' ? { error: new Error('down') } : { response: proposalResponse(org) }));
        const err = await rejection(gw.evaluate(evaluateRequest(signedProposal({ transient: { q: 'x' } }))));
        expect(err.code).to.equal(grpc.status.UNAVAILABLE);
        expect(err.message).to.equal('failed to evaluate transaction, see attached details for more info');
        for (const org of ['MOISMSP', 'MOHWMSP', 'AuditMSP']) expect(endorsers.get(org)!.calls).to.equal(0);
    });

    it('Given the local peer is down and no transient data, Then another org answers', async () => {
        const { gw } = setup((org) =>
            org === 'SeoulMSP' ? { error: new Error('down') } : { response: proposalResponse(org, { result: org }) },
        );
        const res = await gw.evaluate(evaluateRequest(signedProposal()));
        expect(Buffer.from(res.getResult()!.getPayload_asU8()).toString()).to.equal('MOISMSP');
    });

    it('Given a chaincode error, Then UNKNOWN with "chaincode response" and no retry elsewhere', async () => {
        const { gw, endorsers } = setup((org) => ({
            response: proposalResponse(org, { status: 500, message: 'CONSENT_REQUIRED: no consent' }),
        }));
        const err = await rejection(gw.evaluate(evaluateRequest(signedProposal())));
        expect(err.code).to.equal(grpc.status.UNKNOWN);
        expect(err.message).to.equal('evaluate call to endorser returned error: chaincode response 500, CONSENT_REQUIRED: no consent');
        expect(err.errorDetails[0].getMspId()).to.equal('SeoulMSP');
        expect(endorsers.get('MOISMSP')!.calls).to.equal(0);
    });

    it('Given a proposal refused by the endorser (error with response), Then FAILED_PRECONDITION', async () => {
        const { gw } = setup((org) => ({
            error: new Error('access denied: creator not a writer'),
            response: proposalResponse(org, { status: 500 }),
        }));
        const err = await rejection(gw.evaluate(evaluateRequest(signedProposal())));
        expect(err.code).to.equal(grpc.status.FAILED_PRECONDITION);
    });

    it('Given no peer of the target orgs, Then FAILED_PRECONDITION', async () => {
        const { gw } = setup(ok);
        expect((await rejection(gw.evaluate(evaluateRequest(signedProposal(), ['NopeMSP'])))).code).to.equal(
            grpc.status.FAILED_PRECONDITION,
        );
    });
});

describe('peer gateway: Submit', () => {
    const submitRequest = (signed = true) => {
        const env = new common.Envelope();
        env.setPayload(Buffer.from('payload'));
        if (signed) env.setSignature(Buffer.from('sig'));
        const r = new gateway.SubmitRequest();
        r.setTransactionId('tx1');
        r.setChannelId(CHANNEL);
        r.setPreparedTransaction(env);
        return r;
    };

    it('forwards the signed envelope to the orderer', async () => {
        const { gw, ord } = setup(ok);
        await gw.submit(submitRequest());
        expect(ord.sent).to.have.length(1);
    });

    it('maps orderer refusals: 4xx ABORTED, transport errors and 5xx UNAVAILABLE with details, unsigned INVALID_ARGUMENT', async () => {
        const bad = setup(ok, { orderer: new FakeOrderer(() => broadcastResponse(common.Status.BAD_REQUEST, 'bad envelope')) });
        const e1 = await rejection(bad.gw.submit(submitRequest()));
        expect(e1.code).to.equal(grpc.status.ABORTED);
        expect(e1.message).to.equal('received unsuccessful response from orderer: status=BAD_REQUEST, info=bad envelope');
        const down = setup(ok, { orderer: new FakeOrderer(() => new Error('connect ECONNREFUSED')) });
        const e2 = await rejection(down.gw.submit(submitRequest()));
        expect(e2.code).to.equal(grpc.status.UNAVAILABLE);
        expect(e2.errorDetails[0].getMessage()).to.equal('connect ECONNREFUSED');
        const busy = setup(ok, { orderer: new FakeOrderer(() => broadcastResponse(common.Status.SERVICE_UNAVAILABLE, 'busy')) });
        expect((await rejection(busy.gw.submit(submitRequest()))).code).to.equal(grpc.status.UNAVAILABLE);
        expect((await rejection(bad.gw.submit(submitRequest(false)))).code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect((await rejection(bad.gw.submit(undefined))).code).to.equal(grpc.status.INVALID_ARGUMENT);
    });
});

/** A signed envelope whose channel header carries the transaction id. */
function prepared(txId: string): common.Envelope {
    const ch = new common.ChannelHeader();
    ch.setChannelId(CHANNEL);
    ch.setTxId(txId);
    const header = new common.Header();
    header.setChannelHeader(ch.serializeBinary());
    const payload = new common.Payload();
    payload.setHeader(header);
    const env = new common.Envelope();
    env.setPayload(payload.serializeBinary());
    env.setSignature(Buffer.from('sig'));
    return env;
}

function commitStatusRequest(txId: string, channel = CHANNEL): gateway.SignedCommitStatusRequest {
    const r = new gateway.CommitStatusRequest();
    r.setChannelId(channel);
    r.setTransactionId(txId);
    r.setIdentity(Buffer.from('creator'));
    const s = new gateway.SignedCommitStatusRequest();
    s.setRequest(r.serializeBinary());
    s.setSignature(Buffer.from('sig'));
    return s;
}

/** A CommitStatus answer that waits for a commit, within 5 s: TIMEOUT names the transaction. */
const answerOf = <T>(txId: string, answer: Promise<T>): Promise<T> => withDeadline(`the CommitStatus answer for ${txId}`, 5000, answer);

describe('peer gateway: CommitStatus', () => {
    it('Given the transaction already committed, Then it answers at once with code and block', async () => {
        const { gw, ledger } = setup(ok);
        ledger.commit(block(0, [{ txId: 'a' }]));
        ledger.commit(block(1, [{ txId: 'b' }, { txId: 'c', code: peer.TxValidationCode.MVCC_READ_CONFLICT }]));
        const res = await gw.commitStatus(commitStatusRequest('c'));
        expect(res.getResult()).to.equal(peer.TxValidationCode.MVCC_READ_CONFLICT);
        expect(res.getBlockNumber()).to.equal(1);
    });

    it('Given the transaction not yet committed, Then it waits for the commit', async () => {
        const { gw, ledger } = setup(ok);
        const pending = answerOf('later', gw.commitStatus(commitStatusRequest('later')));
        await new Promise((r) => setTimeout(r, 20));
        ledger.commit(block(0, [{ txId: 'other' }]));
        ledger.commit(block(1, [{ txId: 'later' }]));
        const res = await pending;
        expect(res.getResult()).to.equal(peer.TxValidationCode.VALID);
        expect(res.getBlockNumber()).to.equal(1);
    });

    it('Given the block is stored but its state not yet applied, Then the answer waits for the end of the commit', async () => {
        const { gw, ledger } = setup(ok);
        const b = block(0, [{ txId: 'mid' }]);
        ledger.store.append(b);
        let answered = false;
        const pending = answerOf('mid', gw.commitStatus(commitStatusRequest('mid'))).then((r) => {
            answered = true;
            return r;
        });
        await new Promise((r) => setTimeout(r, 20));
        expect(answered).to.equal(false);
        ledger.notify(b);
        expect((await pending).getBlockNumber()).to.equal(0);
    });

    it('Given a transaction this gateway just submitted, Then its status is awaited without asking the block store', async () => {
        const { gw, ledger } = setup(ok);
        const env = prepared('sub1');
        const submit = new gateway.SubmitRequest();
        submit.setTransactionId('whatever-the-client-says');
        submit.setChannelId(CHANNEL);
        submit.setPreparedTransaction(env);
        await gw.submit(submit);
        let lookups = 0;
        const original = ledger.store.getTxLocation.bind(ledger.store);
        ledger.store.getTxLocation = (id: string) => {
            lookups++;
            return original(id);
        };
        const pending = answerOf('sub1', gw.commitStatus(commitStatusRequest('sub1')));
        setTimeout(() => ledger.commit(block(0, [{ txId: 'sub1' }])), 10);
        expect((await pending).getBlockNumber()).to.equal(0);
        expect(lookups).to.equal(0);
        // Another id still goes to the store.
        await gw.commitStatus(commitStatusRequest('sub1'));
        const other = gw.commitStatus(commitStatusRequest('unknown'), AbortSignal.timeout(20));
        await other.catch(() => undefined);
        expect(lookups).to.equal(1);
    });

    it('Given the client cancels, Then the wait ends with CANCELLED', async () => {
        const { gw } = setup(ok);
        const abort = new AbortController();
        const pending = gw.commitStatus(commitStatusRequest('never'), abort.signal);
        setTimeout(() => abort.abort(), 10);
        expect((await rejection(pending)).code).to.equal(grpc.status.CANCELLED);
    });

    it('refuses non-readers (PERMISSION_DENIED) and incomplete requests (INVALID_ARGUMENT)', async () => {
        const denied = setup(ok, { readersOk: false });
        expect((await rejection(denied.gw.commitStatus(commitStatusRequest('x')))).code).to.equal(grpc.status.PERMISSION_DENIED);
        const { gw } = setup(ok);
        expect((await rejection(gw.commitStatus(commitStatusRequest('')))).code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect((await rejection(gw.commitStatus(new gateway.SignedCommitStatusRequest()))).code).to.equal(grpc.status.INVALID_ARGUMENT);
        expect((await rejection(gw.commitStatus(commitStatusRequest('x', 'other')))).code).to.equal(grpc.status.PERMISSION_DENIED);
    });
});

function eventsRequest(options: { start?: number; after?: string; chaincode?: string }): gateway.SignedChaincodeEventsRequest {
    const r = new gateway.ChaincodeEventsRequest();
    r.setChannelId(CHANNEL);
    r.setChaincodeId(options.chaincode ?? 'citizencard');
    r.setIdentity(Buffer.from('creator'));
    const pos = new orderer.SeekPosition();
    if (options.start !== undefined) {
        const s = new orderer.SeekSpecified();
        s.setNumber(options.start);
        pos.setSpecified(s);
    } else pos.setNextCommit(new orderer.SeekNextCommit());
    r.setStartPosition(pos);
    if (options.after) r.setAfterTransactionId(options.after);
    const s = new gateway.SignedChaincodeEventsRequest();
    s.setRequest(r.serializeBinary());
    s.setSignature(Buffer.from('sig'));
    return s;
}

async function collect(
    gw: GatewayServer,
    req: gateway.SignedChaincodeEventsRequest,
    want: number,
): Promise<{ block: number; txIds: string[] }[]> {
    const abort = new AbortController();
    const got: { block: number; txIds: string[] }[] = [];
    let count = 0;
    const done = gw.chaincodeEvents(req, {
        signal: abort.signal,
        async write(r) {
            got.push({ block: r.getBlockNumber(), txIds: r.getEventsList().map((e) => e.getTxId()) });
            count += r.getEventsList().length;
            if (count >= want) abort.abort();
        },
    });
    await withDeadline(
        () => `${want} chaincode event(s) (${count} so far)`,
        5000,
        done,
        () => abort.abort(),
    );
    return got;
}

describe('peer gateway: ChaincodeEvents', () => {
    function ledgerWithEvents(l: FakeLedger) {
        l.commit(block(0, [{ txId: 't0', event: { name: 'Issued' } }]));
        l.commit(
            block(1, [
                { txId: 't1', event: { name: 'Issued' } },
                { txId: 't2', event: { name: 'Bad' }, code: peer.TxValidationCode.MVCC_READ_CONFLICT },
                { txId: 't3', event: { name: 'Other', chaincode: 'fixture' } },
                { txId: 't4', event: { name: 'Issued' } },
            ]),
        );
        l.commit(block(2, [{ txId: 't5' }]));
    }

    it('streams events of valid transactions of the chaincode, per block, from a block number', async () => {
        const { gw, ledger } = setup(ok);
        ledgerWithEvents(ledger);
        const got = await collect(gw, eventsRequest({ start: 0 }), 3);
        expect(got).to.deep.equal([
            { block: 0, txIds: ['t0'] },
            { block: 1, txIds: ['t1', 't4'] },
        ]);
    });

    it('Given a checkpoint after a transaction, Then it resumes after it within the same block, with none lost or repeated', async () => {
        const { gw, ledger } = setup(ok);
        ledgerWithEvents(ledger);
        const pending = collect(gw, eventsRequest({ start: 0, after: 't1' }), 2);
        await new Promise((r) => setTimeout(r, 10));
        ledger.commit(block(3, [{ txId: 't6', event: { name: 'Issued' } }]));
        expect(await pending).to.deep.equal([
            { block: 1, txIds: ['t4'] },
            { block: 3, txIds: ['t6'] },
        ]);
    });

    it('Given no start block, Then it starts at the next commit', async () => {
        const { gw, ledger } = setup(ok);
        ledgerWithEvents(ledger);
        const pending = collect(gw, eventsRequest({}), 1);
        await new Promise((r) => setTimeout(r, 10));
        ledger.commit(block(3, [{ txId: 't7', event: { name: 'Issued' } }]));
        expect(await pending).to.deep.equal([{ block: 3, txIds: ['t7'] }]);
    });

    it('refuses non-readers and empty requests', async () => {
        const denied = setup(ok, { readersOk: false });
        const sink = { signal: new AbortController().signal, write: async () => undefined };
        expect((await rejection(denied.gw.chaincodeEvents(eventsRequest({ start: 0 }), sink))).code).to.equal(
            grpc.status.PERMISSION_DENIED,
        );
        expect((await rejection(denied.gw.chaincodeEvents(new gateway.SignedChaincodeEventsRequest(), sink))).code).to.equal(
            grpc.status.INVALID_ARGUMENT,
        );
    });

    it('computes start blocks: specified, oldest, newest, next commit', () => {
        const pos = new orderer.SeekPosition();
        expect(startBlock(undefined, 7)).to.equal(7);
        pos.setOldest(new orderer.SeekOldest());
        expect(startBlock(pos, 7)).to.equal(0);
        pos.setNewest(new orderer.SeekNewest());
        expect(startBlock(pos, 7)).to.equal(6);
    });
});
