// The Fabric layer as the HTTP side sees it: a narrow interface so that HTTP tests can replace it
// with a fake, and so that nothing above it knows about gRPC or fabric-gateway.
import type { Checkpointer } from '@hyperledger/fabric-gateway';

export interface EvaluateRequest {
    fn: string;
    args: string[];
    transient?: Record<string, Uint8Array>;
    /** Orgs whose peers must answer (e.g. the issuer for personal data). */
    targetOrgs?: string[];
}

export interface SubmitRequest extends EvaluateRequest {
    /** Restrict endorsement (e.g. transient personal data must only reach the issuer's peers). */
    endorsingOrgs?: string[];
}

/** An endorsed, signed transaction: kept by the idempotency store so a retry never makes a second one. */
export interface PreparedTransaction {
    transactionId: string;
    /** fabric-gateway's Transaction.getBytes(): the signed PreparedTransaction, resendable as is. */
    bytes: Uint8Array;
    /** The chaincode's result from the endorsement. */
    result: Uint8Array;
}

export interface SubmitResult {
    transactionId: string;
    blockNumber: bigint;
    result: Uint8Array;
}

export interface SubmitHooks {
    /** Called after each successful endorsement and awaited before the transaction is sent to the orderer (a throw sends nothing). */
    onPrepared?(tx: PreparedTransaction): void | Promise<void>;
}

export interface ChaincodeEventMessage {
    blockNumber: bigint;
    transactionId: string;
    eventName: string;
    payload: Uint8Array;
}

export interface EventStream extends AsyncIterable<ChaincodeEventMessage> {
    close(): void;
}

export interface TransactionProof {
    transactionId: string;
    blockNumber: string;
    validationCode: string;
    valid: boolean;
    channel: string;
    chaincode: string;
    creatorMspId: string;
    endorsingOrgs: string[];
    timestamp: string;
}

/** qscc GetChainInfo: the height and the hash of the last block's header (hex). */
export interface ChainInfo {
    height: string;
    currentBlockHash: string;
    previousBlockHash: string;
}

/** What an envelope says about its transaction. */
export interface TransactionSummary {
    transactionId: string;
    /** Header type: ENDORSER_TRANSACTION, CONFIG, ... */
    type: string;
    channel: string;
    chaincode: string;
    creatorMspId: string;
    endorsingOrgs: string[];
    timestamp: string;
}

export interface BlockTransaction extends TransactionSummary {
    index: number;
    validationCode: string;
    valid: boolean;
    /** base64 of the envelope bytes as they are in the block (what the data hash covers). */
    envelope: string;
}

/** A block: header fields (hex) and its transactions. */
export interface BlockView {
    number: string;
    previousHash: string;
    dataHash: string;
    transactions: BlockTransaction[];
}

export interface FabricLayer {
    /** Evaluates a transaction function (no ledger change) as the named identity. */
    evaluate(identity: string, req: EvaluateRequest): Promise<Uint8Array>;
    /** Endorses, submits and waits for commit, with the retry policy of gateway/errors.ts. */
    submit(identity: string, req: SubmitRequest, hooks?: SubmitHooks): Promise<SubmitResult>;
    /**
     * Completes a transaction that was prepared before (by this process or one that crashed):
     * finds it on the ledger, or sends the same signed bytes again. Never a new proposal.
     */
    resume(identity: string, tx: PreparedTransaction): Promise<SubmitResult>;
    /** Chaincode events from the checkpoint on (or from startBlock when the checkpoint is empty). */
    chaincodeEvents(identity: string, opts: { checkpoint?: Checkpointer; startBlock?: bigint }): Promise<EventStream>;
    /** Where and how a transaction committed: block, validation code, endorsing orgs. */
    transactionProof(identity: string, transactionId: string): Promise<TransactionProof>;
    /** The channel's height and last block hash (qscc GetChainInfo). */
    chainInfo(identity: string): Promise<ChainInfo>;
    /** One block by number (qscc GetBlockByNumber). */
    block(identity: string, blockNumber: bigint): Promise<BlockView>;
    /** The MSP ids of the channel's application orgs, from its current config (cscc GetChannelConfig). */
    channelOrgs(identity: string): Promise<string[]>;
    /** This org's CA certificates and CRLs as the channel's current config holds them (cscc GetChannelConfig). */
    orgRevocations(identity: string): Promise<{ caCertsPem: string[]; crlsPem: string[] }>;
    /** True when the org's peer answers within the readiness deadline. */
    ready(): Promise<boolean>;
    close(): Promise<void>;
}
