// The gateway service over real gRPC, called by the unmodified fabric-gateway client: results,
// commit status and events arrive, and failures surface as EndorseError / SubmitError /
// GatewayError with the status codes and ErrorDetail entries the client parses.
import { expect } from 'chai';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { common, gateway as gatewayProto } from '@hyperledger/fabric-protos';
import { connect, EndorseError, Gateway, GatewayError, signers } from '@hyperledger/fabric-gateway';
import type { SubmitError } from '@hyperledger/fabric-gateway';
import { GatewayServer, gatewayService } from '../../../network/devnet/peer/gateway';
import { parseSignaturePolicy } from '../../../network/devnet/common/policies';
import { withDeadline } from '../../deadline';
import { FakeLedger, FakeOrderer, Script, block, broadcastResponse, layoutOracle, proposalResponse, registryOf, CHANNEL } from './fakes';

describe('peer gateway over gRPC with fabric-gateway', () => {
    let server: grpc.Server;
    let client: grpc.Client;
    let gw: Gateway;
    let ledger: FakeLedger;
    let script: Script;
    let ordererAnswer: () => ReturnType<typeof broadcastResponse> | Error;

    before(async () => {
        const { registry } = registryOf((org) => script(org));
        ledger = new FakeLedger();
        const oracle = layoutOracle();
        const orderer = new FakeOrderer((env) => {
            const a = ordererAnswer();
            if (!(a instanceof Error) && a.getStatus() === common.Status.SUCCESS) {
                // Commit what was ordered, as the network would, with the tx id from the envelope.
                const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
                const txId = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8()).getTxId();
                setTimeout(() => ledger.commit(block(ledger.store.height, [{ txId, event: { name: 'Done' } }])), 10);
            }
            return a;
        });
        const server_ = new GatewayServer({
            channelId: CHANNEL,
            registry,
            orderer,
            ledger,
            policies: { orgLayouts: (p) => oracle.orgLayouts(p), evaluate: () => ({ ok: true, signers: [] }) },
            parseSignaturePolicy,
        });
        server = new grpc.Server();
        server.addService(gatewayProto.GatewayService, gatewayService(server_));
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
        );
        client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
        gw = connect({
            client,
            identity: { mspId: 'SeoulMSP', credentials: Buffer.from('-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n') },
            signer: signers.newPrivateKeySigner(privateKey),
        });
    });

    after(() => {
        gw?.close();
        client?.close();
        server?.forceShutdown();
    });

    beforeEach(() => {
        script = (org) => ({ response: proposalResponse(org, { writes: ['k'], result: 'done' }) });
        ordererAnswer = () => broadcastResponse(common.Status.SUCCESS);
    });

    it('evaluates and submits: result, commit status and chaincode events reach the client', async () => {
        const contract = gw.getNetwork(CHANNEL).getContract('citizencard');
        expect(Buffer.from(await contract.evaluateTransaction('Read')).toString()).to.equal('done');
        const start = BigInt(ledger.store.height);
        const result = await contract.submitTransaction('Write', 'x');
        expect(Buffer.from(result).toString()).to.equal('done');
        const events = await gw.getNetwork(CHANNEL).getChaincodeEvents('citizencard', { startBlock: start });
        try {
            const first = await withDeadline('the first chaincode event', 10_000, events[Symbol.asyncIterator]().next(), () =>
                events.close(),
            );
            expect(first.value).to.include({ chaincodeName: 'citizencard', eventName: 'Done', blockNumber: start });
        } finally {
            events.close();
        }
    });

    it('turns a payload mismatch into an EndorseError with ABORTED and details', async () => {
        script = (org) => ({ response: proposalResponse(org, { writes: ['k'], result: `r-${org}` }) });
        const contract = gw.getNetwork(CHANNEL).getContract('citizencard');
        try {
            await contract.submitTransaction('Write', 'x');
            expect.fail('should have failed');
        } catch (err) {
            expect(err).to.be.instanceOf(EndorseError);
            const e = err as EndorseError;
            expect(e.code).to.equal(grpc.status.ABORTED);
            expect(e.message).to.include('ProposalResponsePayloads do not match');
            expect(e.details.map((d) => d.mspId)).to.include('MOISMSP');
            expect(e.details[0].message).to.include('"r-SeoulMSP"');
        }
    });

    it('turns a chaincode error at evaluation into a GatewayError with UNKNOWN', async () => {
        script = (org) => ({ response: proposalResponse(org, { status: 500, message: 'CARD_NOT_FOUND: c9' }) });
        try {
            await gw.getNetwork(CHANNEL).getContract('citizencard').evaluateTransaction('Read');
            expect.fail('should have failed');
        } catch (err) {
            expect(err).to.be.instanceOf(GatewayError);
            expect((err as GatewayError).code).to.equal(grpc.status.UNKNOWN);
            expect((err as GatewayError).details[0]).to.deep.include({
                mspId: 'SeoulMSP',
                message: 'chaincode response 500, CARD_NOT_FOUND: c9',
            });
        }
    });

    it('turns an orderer refusal into a SubmitError', async () => {
        ordererAnswer = () => broadcastResponse(common.Status.BAD_REQUEST, 'bad');
        try {
            await gw.getNetwork(CHANNEL).getContract('citizencard').submitTransaction('Write');
            expect.fail('should have failed');
        } catch (err) {
            // SubmitError is exported as a type only: its name tells it apart.
            expect((err as Error).name).to.equal('SubmitError');
            expect((err as SubmitError).code).to.equal(grpc.status.ABORTED);
        }
    });
});
