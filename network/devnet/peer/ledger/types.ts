// The peer ledger's surface, as used by the chaincode support,
// the endorser and system chaincodes and the peer's gateway and deliver services.
// Names follow core/ledger: a TxSimulator records a read-write set while chaincode runs.
import { common, ledger } from '@hyperledger/fabric-protos';
import { BlockStore } from '../../common/ledger/blkstorage';
import { CollectionConfig } from '../../../client/topology';

export interface Version {
    blockNum: number;
    txNum: number;
}

export interface KV {
    key: string;
    value: Uint8Array;
}

/** One page of a range or partial-composite-key query. */
export interface RangePage {
    results: KV[];
    /** More results exist after this page (the iterator was not exhausted). */
    hasMore: boolean;
    /** Bookmark for the next page ('' when none), as the shim's QueryResponseMetadata carries it. */
    bookmark: string;
    fetchedRecordsCount: number;
}

export interface HistoryEntry {
    txId: string;
    value: Uint8Array;
    isDelete: boolean;
    /** Transaction timestamp, from the transaction's channel header. */
    timestamp: { seconds: number; nanos: number };
}

/** Read-only queries against committed state (used by evaluations too, via a simulator). */
export interface QueryExecutor {
    getState(ns: string, key: string): Promise<Uint8Array | undefined>;
    getStateMetadata(ns: string, key: string): Promise<Record<string, Uint8Array> | undefined>;
    /** Keys in [startKey, endKey) ('' endKey = to the end); pageSize 0 = unpaginated. */
    getStateRange(ns: string, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<RangePage>;
    getPrivateData(ns: string, collection: string, key: string): Promise<Uint8Array | undefined>;
    getPrivateDataHash(ns: string, collection: string, key: string): Promise<Uint8Array | undefined>;
    getPrivateDataRange(ns: string, collection: string, startKey: string, endKey: string): Promise<RangePage>;
    getHistoryForKey(ns: string, key: string): Promise<HistoryEntry[]>;
}

/**
 * Records reads (with committed versions), range-query infos (for phantom checks), writes,
 * metadata writes, private writes (hashed into the public set) and purges.
 */
export interface TxSimulator extends QueryExecutor {
    readonly txId: string;
    putState(ns: string, key: string, value: Uint8Array): void;
    deleteState(ns: string, key: string): void;
    setStateMetadata(ns: string, key: string, metadata: Record<string, Uint8Array>): void;
    putPrivateData(ns: string, collection: string, key: string, value: Uint8Array): void;
    deletePrivateData(ns: string, collection: string, key: string): void;
    purgePrivateData(ns: string, collection: string, key: string): void;
    /** Ends the simulation: the public read-write set (private writes as hashes) and the private one. */
    results(): SimulationResults;
}

export interface SimulationResults {
    /** rwset.TxReadWriteSet with hashed private read-write sets, as goes into the proposal response. */
    public: ledger.rwset.TxReadWriteSet;
    /** rwset.TxPvtReadWriteSet, or undefined when nothing private was written. */
    private?: ledger.rwset.TxPvtReadWriteSet;
    /** Namespaces and collections that were written (to plan endorsements). */
    writtenCollections: { ns: string; collection: string }[];
}

/** What the validator needs about a chaincode: its policy and collections, from _lifecycle state. */
export interface ChaincodeDefinition {
    name: string;
    version: string;
    sequence: number;
    /** "MAJORITY Endorsement" (a channel policy reference) or a signature policy text. */
    endorsementPolicy: string;
    collections: CollectionConfig[];
    /**
     * Whether the peer's own org approved this definition at its sequence, with a package id
     * (Fabric's lifecycle cache); absent when the ledger does not track approvals (test doubles).
     */
    localApproval?: 'approved' | 'not-approved' | 'no-package';
}

export interface CommitEvent {
    block: common.Block;
    /** Validation code per transaction, in block order. */
    validationCodes: number[];
    /** Private write sets that this peer kept, by transaction number (for DeliverWithPrivateData). */
    privateData: Map<number, ledger.rwset.TxPvtReadWriteSet>;
    /** Milliseconds per phase, as Fabric's "Committed block" log line gives them. */
    phases?: CommitPhases;
    /** Private data of member collections this peer should hold but did not receive (to reconcile). */
    missing?: MissingPvtData[];
}

/** One collection of one transaction whose private data a member peer lacks (Fabric's missing pvt data entry). */
export interface MissingPvtData {
    blockNum: number;
    txNum: number;
    txId: string;
    ns: string;
    coll: string;
    /** SHA-256 of the collection's private write set, as the block carries it. */
    hash: Uint8Array;
}

/** Fabric kvledger's commit phases: validation, block store and private data, state database. */
export interface CommitPhases {
    stateValidationMs: number;
    blockAndPvtdataCommitMs: number;
    stateCommitMs: number;
}

export interface PeerLedger {
    readonly channelId: string;
    readonly blocks: BlockStore;
    readonly height: number;
    newTxSimulator(txId: string): TxSimulator;
    newQueryExecutor(): QueryExecutor;
    /** Chaincode definitions committed in _lifecycle's namespace. */
    chaincodeDefinition(name: string): Promise<ChaincodeDefinition | undefined>;
    chaincodeDefinitions(): Promise<ChaincodeDefinition[]>;
    /** Keeps the private write set of an endorsement until its block commits (transient store). */
    persistTransient(txId: string, pvt: ledger.rwset.TxPvtReadWriteSet): void;
    /** Validates (MVCC, phantom, policies, signatures, duplicates) and commits one block atomically. */
    commit(block: common.Block): Promise<CommitEvent>;
    /** Called after each commit; returns an unsubscribe function. */
    onCommit(listener: (event: CommitEvent) => void): () => void;
    /** Private data kept for the transactions of a committed block (member collections only). */
    privateDataForBlock(blockNumber: number): Promise<Map<number, ledger.rwset.TxPvtReadWriteSet>>;
    /** SHA-256 over every public state key, value and version, and the height: equal peers, equal digest. */
    stateDigest(): Promise<string>;
    close(): Promise<void>;
}
