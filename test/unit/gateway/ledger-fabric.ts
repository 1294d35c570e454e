// A Fabric layer for the gateway's tests that runs the real chaincode (the chaincode tests'
// harness: fabric-shim's dispatcher over an in-memory ledger, endorsed on several peers), so that
// every answer the gateway shapes is built from what the contracts really return. Refusals come
// back as fabric-gateway's errors do; each submit commits one block, and qscc's views (proofs,
// blocks, chain info) are made from those blocks as the real layer parses them (fabric/proof.ts).
import * as crypto from 'node:crypto';
import { GatewayError, type Checkpointer } from '@hyperledger/fabric-gateway';
import type {
    BlockView,
    ChainInfo,
    EvaluateRequest,
    EventStream,
    FabricLayer,
    PreparedTransaction,
    SubmitHooks,
    SubmitRequest,
    SubmitResult,
    TransactionProof,
} from '../../../gateway/fabric/types';
import { PUBLIC_ENDORSERS, Refusal, type TestNet } from '../chaincode/harness';
import type { TestIdentity } from '../chaincode/identities';
import { chaincodeEndorseError, chaincodeEvaluateError } from './fixture';

const CHANNEL = 'citizencards';
const sha256 = (data: string | Uint8Array) => crypto.createHash('sha256').update(data).digest();

/** One call the gateway made, by the app identity it named. */
export interface LedgerCall {
    identity: string;
    fn: string;
    kind: 'submit' | 'evaluate';
}

export class LedgerFabric implements FabricLayer {
    readonly calls: LedgerCall[] = [];
    readonly blocks: BlockView[];
    #tx = 0;

    constructor(
        readonly net: TestNet,
        /** The gateway's identity names (apps' `identity`) and who they are on the ledger. */
        readonly identities: Record<string, TestIdentity>,
        readonly orgs: string[] = ['AuditMSP', 'MOHWMSP', 'MOISMSP', 'SeoulMSP'],
    ) {
        // Block 0: the channel's configuration, made by the orderer (no transaction id, no creator).
        this.blocks = [this.#block('', 'CONFIG', '', [], new Date(net.now).toISOString())];
    }

    #id(identity: string): TestIdentity {
        const id = this.identities[identity];
        if (!id) throw new Error(`LedgerFabric: no ledger identity for ${identity}`);
        return id;
    }

    #block(transactionId: string, type: string, creatorMspId: string, endorsingOrgs: string[], timestamp: string): BlockView {
        const previous = this.blocks?.at(-1);
        const envelope = Buffer.from(JSON.stringify({ transactionId, type, creatorMspId, timestamp }));
        return {
            number: String(this.blocks?.length ?? 0),
            previousHash: previous ? headerHash(previous) : '',
            dataHash: sha256(envelope).toString('hex'),
            transactions: [
                {
                    index: 0,
                    transactionId,
                    type,
                    channel: CHANNEL,
                    chaincode: type === 'CONFIG' ? '' : 'citizencard',
                    creatorMspId,
                    endorsingOrgs: [...endorsingOrgs].sort(),
                    timestamp,
                    validationCode: 'VALID',
                    valid: true,
                    envelope: envelope.toString('base64'),
                },
            ],
        };
    }

    async evaluate(identity: string, req: EvaluateRequest): Promise<Uint8Array> {
        this.calls.push({ identity, fn: req.fn, kind: 'evaluate' });
        const id = this.#id(identity);
        try {
            const out = await this.net.evaluate(id, req.fn, req.args[0], { transient: req.transient, peers: req.targetOrgs ?? [id.mspId] });
            return Buffer.from(out === undefined ? '' : JSON.stringify(out));
        } catch (err) {
            if (err instanceof Refusal) throw chaincodeEvaluateError(err.code, err.message.replace(/^[A-Z_]+: /, ''));
            throw err;
        }
    }

    async submit(identity: string, req: SubmitRequest, hooks: SubmitHooks = {}): Promise<SubmitResult> {
        this.calls.push({ identity, fn: req.fn, kind: 'submit' });
        const id = this.#id(identity);
        const transactionId = sha256(`ledger-fabric-tx-${++this.#tx}`).toString('hex');
        const peers = req.endorsingOrgs ?? PUBLIC_ENDORSERS;
        const timestamp = new Date(this.net.now).toISOString();
        let out: unknown;
        try {
            out = await this.net.submit(id, req.fn, req.args[0], { transient: req.transient, peers, txId: transactionId });
        } catch (err) {
            if (err instanceof Refusal) throw chaincodeEndorseError(err.code, err.message.replace(/^[A-Z_]+: /, ''));
            throw err;
        }
        const result = Buffer.from(out === undefined ? '' : JSON.stringify(out));
        hooks.onPrepared?.({ transactionId, bytes: Buffer.from(`signed-${transactionId}`), result });
        this.blocks.push(this.#block(transactionId, 'ENDORSER_TRANSACTION', id.mspId, peers, timestamp));
        return { transactionId, blockNumber: BigInt(this.blocks.length - 1), result };
    }

    async resume(_identity: string, tx: PreparedTransaction): Promise<SubmitResult> {
        throw new Error(`LedgerFabric: no resume (${tx.transactionId})`);
    }

    async chaincodeEvents(_identity: string, _opts: { checkpoint?: Checkpointer; startBlock?: bigint }): Promise<EventStream> {
        // The stream's answer is what is tested here, not its events: it ends at once.
        return {
            close: () => undefined,
            [Symbol.asyncIterator]: async function* () {},
        };
    }

    async transactionProof(_identity: string, transactionId: string): Promise<TransactionProof> {
        for (const b of this.blocks) {
            const t = b.transactions.find((x) => x.transactionId === transactionId && transactionId !== '');
            if (t) {
                const { envelope: _e, index: _i, type: _t, ...rest } = t;
                return { ...rest, blockNumber: b.number };
            }
        }
        // qscc answers an unknown transaction id with an error response (gRPC UNKNOWN).
        const cause = Object.assign(new Error(`no transaction ${transactionId}`), {
            code: 2,
            details: 'not found',
            metadata: undefined as never,
        });
        throw new GatewayError({ code: 2, details: [], cause, message: `2 UNKNOWN: no transaction ${transactionId}` });
    }

    async chainInfo(_identity: string): Promise<ChainInfo> {
        const last = this.blocks.at(-1) as BlockView;
        const before = this.blocks.at(-2);
        return {
            height: String(this.blocks.length),
            currentBlockHash: headerHash(last),
            previousBlockHash: before ? headerHash(before) : '',
        };
    }

    async block(_identity: string, blockNumber: bigint): Promise<BlockView> {
        return this.blocks[Number(blockNumber)] as BlockView;
    }

    async channelOrgs(_identity: string): Promise<string[]> {
        return this.orgs;
    }

    /** The org's CA certificates and CRLs the fake channel config holds (tests set them). */
    revocations: { caCertsPem: string[]; crlsPem: string[] } = { caCertsPem: [], crlsPem: [] };

    async orgRevocations(_identity: string): Promise<{ caCertsPem: string[]; crlsPem: string[] }> {
        return this.revocations;
    }

    async ready(): Promise<boolean> {
        return true;
    }

    async close(): Promise<void> {}
}

/** A stand-in for Fabric's header hash (the gateway passes it through; its shape is what counts here). */
function headerHash(b: BlockView): string {
    return sha256(`${b.number}|${b.previousHash}|${b.dataHash}`).toString('hex');
}
