// The peer's ledger for one channel (core/ledger/kvledger/kv_ledger.go): block store, state
// database with history index, private data store, transient store and the block validator.
//
// Commit order, chosen so that kill -9 at any moment loses nothing and applies nothing twice:
//   1. validate the block (codes into its TRANSACTIONS_FILTER metadata);
//   2. private data of the block + its purges and expiries, with the private savepoint, in one
//      synced batch (the transient store is in memory: the private data must be durable before
//      the block is, or a crash between the two would lose it for good);
//   3. append the block to the block store (fsynced: from here the block is committed);
//   4. public state, hashed private state, history and the state savepoint in one batch;
//   5. compaction of both databases when something private was erased.
// On open, blocks above the state savepoint are re-applied from the block store using the codes
// stored in their filter; a block whose private data was already written is not written again.
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { BlockStore } from '../../common/ledger/blkstorage';
import { ChannelConfigDetails, parseChannelConfig } from '../../common/configtx';
import { ConfigValidator } from '../../common/configvalidator';
import { MspManager } from '../../msp/msp';
import { PolicyManager } from '../../common/policies';
import { CollectionConfig } from '../../../client/topology';
import { ChaincodeDefinition, CommitEvent, HistoryEntry, MissingPvtData, PeerLedger, QueryExecutor, TxSimulator } from './types';
import { StateDB, UpdateBatch, u64 } from './statedb';
import { PvtBlockUpdate, PvtDataStore, PvtWrite, ReconciledPvtData, sha256 } from './pvtdatastore';
import { CHAINCODE_DEFINITION_TYPE, ledgerDefinition, localApproval, NAMESPACES, readCommittedDefinition } from '../scc/lifecycle-state';
import { collectionConfig, collectionMemberOrgs, implicitCollectionName } from '../privdata/collections';
import { TransientStore, TransientStoreOptions } from './transientstore';
import { LedgerQueryExecutor, LedgerReaders, LedgerTxSimulator } from './txsimulator';
import { historyForKey } from './history';
import { applyTxToBatch, BlockValidator, LIFECYCLE_NS, ValidatedTx } from './validation';
import { isDelete, parseEndorserTx, parseEnvelopeHeader } from './rwsetutil';
import { verifyBlockSignature } from './blockverifier';

/** Where committed definitions' metadata keys live in _lifecycle's public state (Fabric's layout). */
export const CHAINCODE_DEFINITION_PREFIX = `${NAMESPACES}/metadata/`;
const FILTER = common.BlockMetadataIndex.TRANSACTIONS_FILTER;

/** Stable refusal codes of the ledger. */
export class LedgerError extends Error {
    constructor(
        readonly code:
            | 'LEDGER_BAD_ARGUMENT'
            | 'LEDGER_BLOCK_OUT_OF_ORDER'
            | 'LEDGER_BAD_PREVIOUS_HASH'
            | 'LEDGER_BAD_DATA_HASH'
            | 'LEDGER_BAD_BLOCK'
            | 'LEDGER_BAD_CONFIG'
            | 'LEDGER_CLOSED'
            | 'LEDGER_CORRUPT',
        message: string,
    ) {
        super(`${code}: ${message}`);
    }
}

export interface OpenPeerLedgerOptions {
    dir: string;
    channelConfig: ChannelConfigDetails;
    msps: MspManager;
    policies: PolicyManager;
    /** This peer's org: private data is kept only for collections it is a member of. */
    mspId: string;
    transient?: TransientStoreOptions;
    log?: (msg: string) => void;
    /** Test seam: stop a commit at this point, as a crash would. */
    crashAt?: 'afterPvtStore' | 'afterBlockStore';
}

export interface ConfigUpdate {
    blockNumber: number;
    channelConfig: ChannelConfigDetails;
    msps: MspManager;
    policies: PolicyManager;
}

/** MSP ids named by a collection's member policy, e.g. OR('SeoulMSP.member', 'MOISMSP.peer'). */
export const collectionMembers = collectionMemberOrgs;

/** SHA-256 of the concatenated envelopes (protoutil.ComputeBlockDataHash). */
export function computeBlockDataHash(block: common.Block): Buffer {
    const h = createHash('sha256');
    for (const d of block.getData()?.getDataList() ?? []) h.update(d as Uint8Array);
    return h.digest();
}

export class KvLedger implements PeerLedger {
    readonly channelId: string;
    private readonly listeners = new Set<(e: CommitEvent) => void>();
    private readonly configListeners = new Set<(u: ConfigUpdate) => void>();
    private readonly transient: TransientStore;
    private readonly readers: LedgerReaders;
    private queue: Promise<unknown> = Promise.resolve();
    private closed = false;
    /** Set when a commit failed after its block reached the block store. */
    private stateBehind = false;
    private validator: BlockValidator;

    private constructor(
        readonly blocks: BlockStore,
        private readonly state: StateDB,
        private readonly pvt: PvtDataStore,
        private channelConfig: ChannelConfigDetails,
        private msps: MspManager,
        private policies: PolicyManager,
        private readonly opts: OpenPeerLedgerOptions,
    ) {
        this.channelId = channelConfig.channelId;
        this.transient = new TransientStore(opts.transient);
        this.readers = { state, pvt, history: (ns, key) => this.getHistory(ns, key) };
        this.validator = this.newValidator();
    }

    static async open(opts: OpenPeerLedgerOptions): Promise<KvLedger> {
        if (typeof opts.dir !== 'string' || opts.dir === '') throw new LedgerError('LEDGER_BAD_ARGUMENT', 'dir must name a folder');
        if (!opts.channelConfig?.channelId) throw new LedgerError('LEDGER_BAD_ARGUMENT', 'channelConfig must carry the channel id');
        // The peer's org need not be in the genesis config: an org that joined later starts from
        // block 0 and is a member from the config block that added it (as Fabric's peer channel join).
        const blocks = await BlockStore.open(path.join(opts.dir, 'chains'));
        const state = await StateDB.open(path.join(opts.dir, 'statedb'));
        const pvt = await PvtDataStore.open(path.join(opts.dir, 'pvtdata'));
        const l = new KvLedger(blocks, state, pvt, opts.channelConfig, opts.msps, opts.policies, opts);
        await l.recover();
        return l;
    }

    private newValidator(): BlockValidator {
        return new BlockValidator({
            channelId: this.channelId,
            msps: this.msps,
            policies: this.policies,
            state: this.state,
            blocks: this.blocks,
            definition: (name) => this.definitionOrUndefined(name),
            implicitCollectionPolicy: (mspId) => implicitCollectionPolicy(this.channelConfig, mspId),
            log: this.opts.log,
        });
    }

    private log(msg: string): void {
        this.opts.log?.(msg);
    }

    get height(): number {
        return this.blocks.height;
    }

    /** The channel configuration in force (updated by config blocks). */
    get config(): ChannelConfigDetails {
        return this.channelConfig;
    }

    /** Re-applies blocks the block store has but the state database does not (crash recovery). */
    private async recover(): Promise<void> {
        const sp = await this.state.savepoint();
        for (let n = sp + 1; n < this.blocks.height; n++) {
            const block = await this.blocks.getBlock(n);
            if (!block) throw new LedgerError('LEDGER_CORRUPT', `block ${n} missing from the block store`);
            const filter = block.getMetadata()?.getMetadataList()[FILTER] as Uint8Array | undefined;
            const data = block.getData()?.getDataList() ?? [];
            const batch = new UpdateBatch();
            // The genesis block holds the (unsigned) channel config only.
            if (n === 0) batch.configBlock = true;
            for (let txNum = 0; n > 0 && txNum < data.length; txNum++) {
                if (!filter || filter[txNum] !== peer.TxValidationCode.VALID) continue;
                const head = parseEnvelopeHeader(data[txNum] as Uint8Array);
                if (head.channelHeader.getType() === common.HeaderType.CONFIG) {
                    batch.configBlock = true;
                    continue;
                }
                if (head.channelHeader.getType() !== common.HeaderType.ENDORSER_TRANSACTION) continue;
                await applyTxToBatch(batch, parseEndorserTx(head).rwsets, n, txNum, this.state);
            }
            if ((await this.pvt.savepoint()) < n) {
                // Nothing durable was recorded for this block: it had no private data (its savepoint
                // is not fsynced then), or the store was created after it. Apply its purges, go on.
                this.log(`ledger ${this.channelId}: no private data recorded for block ${n}; purges of the block are applied`);
                await this.pvt.commitBlock(n, {
                    kept: new Map(),
                    writes: [],
                    purges: batch.purges.map((p) => ({ ns: p.ns, coll: p.coll, keyHash: p.keyHash, txNum: p.version.txNum })),
                });
            }
            await this.prepareExpiry(n, batch);
            const erases = batch.purges.length > 0 || batch.expired.some((e) => e.erase);
            if (erases) await this.state.flush();
            await this.state.applyBlock(n, batch);
            if (erases) await this.compactAfterErase(batch);
            this.log(`ledger ${this.channelId}: recovered block ${n} into the state database`);
        }
        // A crash between an erasing batch and its compaction leaves erased bytes in table files
        // or the log: finish the erasure now (the private store is small; the hashed range too).
        await this.pvt.compact();
        await this.state.compactAllHashed();
        const cfgBlock = await this.state.lastConfigBlock();
        if (cfgBlock > 0) {
            const block = await this.blocks.getBlock(cfgBlock);
            if (block) this.applyConfig(block);
        }
    }

    /**
     * As Fabric's committer (txvalidator v20, ChannelResources.Apply): a config block's update is
     * authorized again against the config in force and must produce exactly the block's config;
     * otherwise the block is not committed (Fabric's peer stops there too).
     */
    private checkConfigUpdate(block: common.Block): void {
        const current = this.channelConfig.config;
        if (!current) return; // a config built by hand (tests) carries no proto to check against
        try {
            const { payload } = parseEnvelopeHeader(block.getData()!.getDataList_asU8()[0]);
            const envelope = common.ConfigEnvelope.deserializeBinary(payload.getData_asU8());
            new ConfigValidator(this.channelId, current, this.policies).validate(envelope);
        } catch (e) {
            throw new LedgerError(
                'LEDGER_BAD_CONFIG',
                `block ${block.getHeader()!.getNumber()}: error validating config which passed initial validity checks: ${(e as Error).message}`,
            );
        }
    }

    private applyConfig(block: common.Block): void {
        const cfg = parseChannelConfig(block, this.channelConfig.applicationOrgs);
        this.channelConfig = cfg;
        this.msps = new MspManager(cfg.msps);
        this.policies = new PolicyManager(cfg.policies, this.msps);
        this.validator = this.newValidator();
        const update: ConfigUpdate = {
            blockNumber: block.getHeader()!.getNumber(),
            channelConfig: cfg,
            msps: this.msps,
            policies: this.policies,
        };
        for (const l of this.configListeners) {
            try {
                l(update);
            } catch (e) {
                this.log(`ledger ${this.channelId}: config listener failed: ${(e as Error).message}`);
            }
        }
    }

    /**
     * Called when a config block commits (a channel update: new org, new policies), with the MSPs
     * and policies now in force; the endorser and gateway should switch to them. Returns an
     * unsubscribe function.
     */
    onConfig(listener: (update: ConfigUpdate) => void): () => void {
        this.configListeners.add(listener);
        return () => this.configListeners.delete(listener);
    }

    /** The channel's MSPs and policies in force (they change with config blocks). */
    get mspManager(): MspManager {
        return this.msps;
    }
    get policyManager(): PolicyManager {
        return this.policies;
    }

    /** Throws unless the orderer's signatures satisfy /Channel/Orderer/BlockValidation (block 0 is unsigned). */
    verifyBlockSignature(block: common.Block): void {
        verifyBlockSignature(this.policies, block);
    }

    newTxSimulator(txId: string): TxSimulator {
        this.checkOpen();
        if (typeof txId !== 'string' || txId === '') throw new LedgerError('LEDGER_BAD_ARGUMENT', 'a simulator needs the transaction id');
        return new LedgerTxSimulator(this.readers, txId);
    }

    newQueryExecutor(): QueryExecutor {
        this.checkOpen();
        return new LedgerQueryExecutor(this.readers);
    }

    private checkOpen(): void {
        if (this.closed) throw new LedgerError('LEDGER_CLOSED', `ledger ${this.channelId} is closed`);
    }

    private getHistory(ns: string, key: string): Promise<HistoryEntry[]> {
        return historyForKey(this.state, this.blocks, ns, key);
    }

    /**
     * Committed definitions by name: every proposal and every validated transaction asks, and
     * they change only when a block writes the _lifecycle namespace (the cache is dropped then).
     */
    private readonly definitions = new Map<string, Promise<ChaincodeDefinition | undefined>>();

    chaincodeDefinition(name: string): Promise<ChaincodeDefinition | undefined> {
        let cached = this.definitions.get(name);
        if (!cached) {
            cached = this.readDefinition(name);
            // A definition that fails to read or parse is asked again next time.
            cached.catch(() => this.definitions.delete(name));
            this.definitions.set(name, cached);
        }
        return cached;
    }

    /** The committed definition in Fabric's layout, and whether this peer's org approved it (the lifecycle cache). */
    private async readDefinition(name: string): Promise<ChaincodeDefinition | undefined> {
        let committed: Awaited<ReturnType<typeof readCommittedDefinition>>;
        let definition: ChaincodeDefinition;
        try {
            committed = await readCommittedDefinition({ get: async (key) => (await this.state.getState(LIFECYCLE_NS, key))?.value }, name);
            if (!committed) return undefined;
            definition = ledgerDefinition(name, committed);
        } catch (e) {
            if (e instanceof LedgerError) throw e;
            throw new LedgerError('LEDGER_CORRUPT', `chaincode definition of ${name} is unusable: ${(e as Error).message}`);
        }
        const own = implicitCollectionName(this.opts.mspId);
        definition.localApproval = await localApproval(
            { collection: own, hash: async (key) => (await this.state.getHashed(LIFECYCLE_NS, own, sha256(key)))?.value },
            name,
            committed,
        );
        return definition;
    }

    async chaincodeDefinitions(): Promise<ChaincodeDefinition[]> {
        // '0' follows '/': the range covers every namespaces/metadata/<name> key.
        const rows = await this.state.getRange(LIFECYCLE_NS, CHAINCODE_DEFINITION_PREFIX, `${NAMESPACES}/metadata0`, 0);
        const out: ChaincodeDefinition[] = [];
        for (const r of rows) {
            const name = r.key.slice(CHAINCODE_DEFINITION_PREFIX.length);
            try {
                if (peer.lifecycle.StateMetadata.deserializeBinary(r.value).getDatatype() !== CHAINCODE_DEFINITION_TYPE) continue;
                const def = await this.chaincodeDefinition(name);
                if (def) out.push(def);
            } catch (e) {
                this.log(`ledger ${this.channelId}: ${r.key} is not a chaincode definition: ${(e as Error).message}`);
            }
        }
        return out;
    }

    /** A definition that does not parse counts as undefined for validation: a bad entry must not halt commits. */
    private async definitionOrUndefined(name: string): Promise<ChaincodeDefinition | undefined> {
        try {
            return await this.chaincodeDefinition(name);
        } catch (e) {
            this.log(`ledger ${this.channelId}: chaincode definition of ${name} is unusable: ${(e as Error).message}`);
            return undefined;
        }
    }

    persistTransient(txId: string, pvt: ledger.rwset.TxPvtReadWriteSet): void {
        this.checkOpen();
        if (typeof txId !== 'string' || !/^[0-9a-f]{64}$/.test(txId))
            throw new LedgerError('LEDGER_BAD_ARGUMENT', `transaction id ${JSON.stringify(txId)} is not 64 lowercase hex digits`);
        if (!(pvt instanceof ledger.rwset.TxPvtReadWriteSet))
            throw new LedgerError('LEDGER_BAD_ARGUMENT', 'private write set must be a TxPvtReadWriteSet');
        this.transient.persist(txId, pvt, this.height);
    }

    /** Number of transactions waiting in the transient store (for tests and metrics). */
    get transientSize(): number {
        return this.transient.size;
    }

    commit(block: common.Block): Promise<CommitEvent> {
        // Commits are strictly sequential.
        const run = this.queue.then(() => this.commitNow(block));
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async commitNow(block: common.Block): Promise<CommitEvent> {
        this.checkOpen();
        if (this.stateBehind) {
            // A failure after an earlier block reached the block store: bring state up first.
            await this.recover();
            this.stateBehind = false;
        }
        const header = block.getHeader();
        if (!header) throw new LedgerError('LEDGER_BAD_BLOCK', 'block has no header');
        const n = header.getNumber();
        if (n !== this.blocks.height) throw new LedgerError('LEDGER_BLOCK_OUT_OF_ORDER', `expected block ${this.blocks.height}, got ${n}`);
        if (n > 0 && !Buffer.from(header.getPreviousHash_asU8()).equals(Buffer.from(this.blocks.lastBlockHash))) {
            throw new LedgerError('LEDGER_BAD_PREVIOUS_HASH', `block ${n} does not chain to block ${n - 1}`);
        }
        if (!computeBlockDataHash(block).equals(Buffer.from(header.getDataHash_asU8()))) {
            throw new LedgerError('LEDGER_BAD_DATA_HASH', `block ${n} data hash does not match its data`);
        }

        const began = performance.now();
        const validated = await this.validator.validate(block);
        if (validated.batch.configBlock && n > 0) this.checkConfigUpdate(block);
        setTransactionsFilter(block, validated.codes);

        const validatedAt = performance.now();
        let kept: Map<number, ledger.rwset.TxPvtReadWriteSet>;
        let missing: MissingPvtData[] = [];
        let erased = validated.batch.purges.length > 0;
        if ((await this.pvt.savepoint()) < n) {
            const update = await this.privateUpdate(n, validated.txs, validated.batch);
            erased = (await this.pvt.commitBlock(n, update)) || erased;
            kept = update.kept;
            missing = update.missing ?? [];
            if (this.opts.crashAt === 'afterPvtStore')
                throw new LedgerError('LEDGER_CLOSED', 'simulated crash after the private data store');
        } else {
            // Written before a crash that stopped this block short of the block store.
            kept = await this.pvt.getBlock(n);
        }
        await this.blocks.append(block);
        const storedAt = performance.now();
        try {
            if (this.opts.crashAt === 'afterBlockStore')
                throw new LedgerError('LEDGER_CLOSED', 'simulated crash after the block store append');
            await this.prepareExpiry(n, validated.batch);
            if (validated.batch.purges.length > 0 || validated.batch.expired.some((e) => e.erase)) {
                erased = true;
                await this.state.flush();
            }
            await this.state.applyBlock(n, validated.batch);
            // Definitions (public) and approvals (hashes of the orgs' implicit collections) are cached.
            if ([...validated.batch.pub.values(), ...validated.batch.hashed.values()].some((u) => u.ns === LIFECYCLE_NS))
                this.definitions.clear();
            // Erased private bytes leave the disk before the commit returns.
            if (erased) await this.compactAfterErase(validated.batch);
        } catch (e) {
            // The block is committed but state may lag it: the next commit (or open) replays it.
            this.stateBehind = true;
            throw e;
        }
        this.transient.purgeAfterCommit(
            validated.txs.map((t) => t.txId).filter((id): id is string => id !== undefined),
            this.blocks.height,
        );
        if (validated.batch.configBlock && n > 0) {
            try {
                this.applyConfig(block);
            } catch (e) {
                this.log(`ledger ${this.channelId}: config block ${n} not applied: ${(e as Error).message}`);
            }
        }
        const phases = {
            stateValidationMs: validatedAt - began,
            blockAndPvtdataCommitMs: storedAt - validatedAt,
            stateCommitMs: performance.now() - storedAt,
        };
        const event: CommitEvent = { block, validationCodes: validated.codes, privateData: kept, phases, missing };
        for (const l of this.listeners) {
            try {
                l(event);
            } catch (e) {
                this.log(`ledger ${this.channelId}: commit listener failed: ${(e as Error).message}`);
            }
        }
        return event;
    }

    /**
     * A collection of a namespace as this peer sees it: explicit ones of the committed definition,
     * implicit ones of any org; _lifecycle has only implicit ones. Definitions are read once per block.
     */
    private async collectionOf(
        defs: Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>,
        ns: string,
        coll: string,
    ): Promise<CollectionConfig | undefined> {
        if (!defs.has(ns)) defs.set(ns, ns === LIFECYCLE_NS ? { collections: [] } : await this.definitionOrUndefined(ns));
        const def = defs.get(ns);
        return def ? collectionConfig(def, coll, this.opts.mspId) : undefined;
    }

    private isMember(config: CollectionConfig | undefined): config is CollectionConfig {
        return config !== undefined && collectionMembers(config.policy).has(this.opts.mspId);
    }

    /**
     * Private data to keep for the valid transactions of a block: member collections only, checked
     * against the block's hashes; a member collection whose data is not in the transient store
     * (neither endorsed here nor pushed by an endorser) is recorded as missing, for reconciliation.
     */
    private async privateUpdate(blockNum: number, txs: ValidatedTx[], batch: UpdateBatch): Promise<PvtBlockUpdate> {
        const kept = new Map<number, ledger.rwset.TxPvtReadWriteSet>();
        const writes: PvtWrite[] = [];
        const missing: MissingPvtData[] = [];
        const defs = new Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>();
        for (const t of txs) {
            if (t.code !== peer.TxValidationCode.VALID || !t.tx || !t.txId) continue;
            const candidates = this.transient.get(t.txId);
            const out = new ledger.rwset.TxPvtReadWriteSet();
            out.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
            for (const ns of t.tx.rwsets) {
                const nsOut = new ledger.rwset.NsPvtReadWriteSet();
                nsOut.setNamespace(ns.ns);
                for (const c of ns.colls) {
                    const expected = Buffer.from(c.pvtRwsetHash);
                    if (expected.length === 0) continue; // reads only
                    const config = await this.collectionOf(defs, ns.ns, c.coll);
                    if (!this.isMember(config)) continue; // never kept on a non-member
                    const found = findCollection(candidates, ns.ns, c.coll, expected);
                    if (!found) {
                        this.log(
                            `ledger ${this.channelId}: block ${blockNum} tx ${t.txNum} (${t.txId}): private data of ${ns.ns}/${c.coll} is missing on this peer; it will be reconciled`,
                        );
                        missing.push({ blockNum, txNum: t.txNum, txId: t.txId, ns: ns.ns, coll: c.coll, hash: new Uint8Array(expected) });
                        continue;
                    }
                    const purged = new Set(
                        c.hashed
                            .getHashedWritesList()
                            .filter((w) => w.getIsPurge())
                            .map((w) => Buffer.from(w.getKeyHash_asU8()).toString('hex')),
                    );
                    const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(found.getRwset_asU8());
                    let stored = false;
                    for (const w of kv.getWritesList()) {
                        if (purged.has(sha256(w.getKey()).toString('hex'))) continue; // the purge itself is handled by hash below
                        stored = true;
                        writes.push({
                            ns: ns.ns,
                            coll: c.coll,
                            key: w.getKey(),
                            value: isDelete(w) ? undefined : w.getValue_asU8(),
                            blockNum,
                            txNum: t.txNum,
                            blockToLive: config.blockToLive ?? 0,
                        });
                    }
                    if (stored) nsOut.addCollectionPvtRwset(found);
                }
                if (nsOut.getCollectionPvtRwsetList().length > 0) out.addNsPvtRwset(nsOut);
            }
            if (out.getNsPvtRwsetList().length > 0) kept.set(t.txNum, out);
        }
        // Purges apply on every peer that holds the collection; the hashed delete is in the public batch.
        const purges: PvtBlockUpdate['purges'] = [];
        for (const p of batch.purges) {
            if (this.isMember(await this.collectionOf(defs, p.ns, p.coll)))
                purges.push({ ns: p.ns, coll: p.coll, keyHash: p.keyHash, txNum: p.version.txNum });
        }
        return { kept, writes, purges, missing };
    }

    // ---- reconciliation (Fabric's gossip/privdata reconciler, the ledger's side) ----

    /** Private data this peer should hold and lacks, oldest first. */
    missingPrivateData(limit = 0): Promise<MissingPvtData[]> {
        return this.pvt.missing(limit);
    }

    /**
     * What this peer can serve of one collection of a transaction to a member that lacks it: the
     * write set kept for a committed block, or (block not committed here yet) the candidates of its
     * transient store. The requester checks the hash against its block.
     */
    async privateDataFor(blockNum: number, txNum: number, txId: string, ns: string, coll: string): Promise<Uint8Array[]> {
        this.checkOpen();
        const sets = blockNum < this.blocks.height ? [await this.pvt.getTx(blockNum, txNum)] : this.transient.get(txId);
        const out: Uint8Array[] = [];
        for (const set of sets) {
            for (const n of set?.getNsPvtRwsetList() ?? []) {
                if (n.getNamespace() !== ns) continue;
                for (const c of n.getCollectionPvtRwsetList()) if (c.getCollectionName() === coll) out.push(c.getRwset_asU8());
            }
        }
        return out;
    }

    /**
     * Stores private data fetched for missing entries (Fabric's CommitPvtDataOfOldBlocks): a
     * write set must hash to what the block says; a write is applied only while the key's hash in
     * state is still that transaction's (a later write, purge or expiry wins: nothing purged comes
     * back), a delete removes an older value. Runs between block commits. Returns the entries filled.
     */
    commitReconciled(fetched: { entry: MissingPvtData; rwset: Uint8Array }[]): Promise<MissingPvtData[]> {
        const run = this.queue.then(() => this.commitReconciledNow(fetched));
        this.queue = run.catch(() => undefined);
        return run;
    }

    private async commitReconciledNow(fetched: { entry: MissingPvtData; rwset: Uint8Array }[]): Promise<MissingPvtData[]> {
        this.checkOpen();
        const defs = new Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>();
        const items: ReconciledPvtData[] = [];
        const pending = new Set((await this.pvt.missing()).map((m) => missingId(m)));
        for (const { entry, rwset } of fetched) {
            if (!pending.has(missingId(entry)) || !sha256(rwset).equals(Buffer.from(entry.hash))) continue;
            pending.delete(missingId(entry));
            const config = await this.collectionOf(defs, entry.ns, entry.coll);
            const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(rwset);
            const current: ledger.rwset.kvrwset.KVWrite[] = [];
            const item: ReconciledPvtData = { entry, writes: [], deletes: [] };
            for (const w of kv.getWritesList()) {
                const hashed = await this.state.getHashed(entry.ns, entry.coll, sha256(w.getKey()));
                if (isDelete(w)) {
                    const old = await this.pvt.getPrivate(entry.ns, entry.coll, w.getKey());
                    if (!hashed && old && isOlder(old.version, entry))
                        item.deletes.push({ ns: entry.ns, coll: entry.coll, key: w.getKey() });
                    continue;
                }
                const value = w.getValue_asU8();
                const stillCurrent =
                    hashed !== undefined &&
                    hashed.version.blockNum === entry.blockNum &&
                    hashed.version.txNum === entry.txNum &&
                    sha256(value).equals(Buffer.from(hashed.value));
                if (!stillCurrent) continue;
                current.push(w);
                item.writes.push({
                    ns: entry.ns,
                    coll: entry.coll,
                    key: w.getKey(),
                    value,
                    blockNum: entry.blockNum,
                    txNum: entry.txNum,
                    blockToLive: config?.blockToLive ?? 0,
                });
            }
            if (current.length > 0) {
                // Only what the private state now holds is kept with the block (a later purge finds it through the index).
                const keptSet =
                    current.length === kv.getWritesList().length && kv.getMetadataWritesList().length === 0
                        ? kv
                        : new ledger.rwset.kvrwset.KVRWSet();
                if (keptSet !== kv) keptSet.setWritesList(current);
                const c = new ledger.rwset.CollectionPvtReadWriteSet();
                c.setCollectionName(entry.coll);
                c.setRwset(keptSet === kv ? rwset : keptSet.serializeBinary());
                item.kept = c;
            }
            items.push(item);
        }
        await this.pvt.commitReconciled(items);
        for (const item of items)
            this.log(
                `ledger ${this.channelId}: reconciled private data of ${item.entry.ns}/${item.entry.coll} for block ${item.entry.blockNum} tx ${item.entry.txNum} (${item.writes.length} write(s) applied)`,
            );
        return items.map((i) => i.entry);
    }

    /** Forgets missing entries whose collection's blockToLive has passed (nothing can be fetched any more). */
    async dropExpiredMissing(): Promise<number> {
        const defs = new Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>();
        const expired: MissingPvtData[] = [];
        for (const m of await this.pvt.missing()) {
            const btl = (await this.collectionOf(defs, m.ns, m.coll))?.blockToLive ?? 0;
            if (btl > 0 && m.blockNum + btl + 1 <= this.blocks.height - 1) expired.push(m);
        }
        await this.pvt.dropMissing(expired);
        return expired.length;
    }

    /**
     * blockToLive of the hashed private state, on every peer (Fabric purges the hashes of expired
     * private data too): schedules this block's hashed writes of collections with a blockToLive,
     * and erases the hashes whose time came, unless a later write replaced them.
     */
    private async prepareExpiry(blockNum: number, batch: UpdateBatch): Promise<void> {
        const defs = new Map<string, Pick<ChaincodeDefinition, 'collections'> | undefined>();
        for (const u of batch.hashed.values()) {
            if (u.valueHash === undefined) continue;
            const btl = (await this.collectionOf(defs, u.ns, u.coll))?.blockToLive ?? 0;
            if (btl > 0)
                batch.expiries.push({
                    ns: u.ns,
                    coll: u.coll,
                    keyHash: u.keyHash,
                    version: u.version,
                    expiringAt: u.version.blockNum + btl + 1,
                });
        }
        for (const e of await this.state.expiringBy(blockNum)) {
            // A write of this very block is newer than anything expiring.
            const rewritten = batch.hashed.has(UpdateBatch.hashedId(e.ns, e.coll, e.keyHash));
            const current = rewritten ? undefined : await this.state.getHashed(e.ns, e.coll, e.keyHash);
            batch.expired.push({
                ...e,
                erase:
                    current !== undefined && current.version.blockNum === e.version.blockNum && current.version.txNum === e.version.txNum,
            });
        }
    }

    private async compactAfterErase(batch: UpdateBatch): Promise<void> {
        await this.pvt.compact();
        const seen = new Set<string>();
        for (const p of [...batch.purges, ...batch.expired.filter((e) => e.erase)]) {
            const id = `${p.ns}\u0000${p.coll}`;
            if (seen.has(id)) continue;
            seen.add(id);
            await this.state.compactHashed(p.ns, p.coll);
        }
    }

    onCommit(listener: (event: CommitEvent) => void): () => void {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
    }

    privateDataForBlock(blockNumber: number): Promise<Map<number, ledger.rwset.TxPvtReadWriteSet>> {
        return this.pvt.getBlock(blockNumber);
    }

    async stateDigest(): Promise<string> {
        // The snapshot is taken between commits (state savepoint = height - 1), then read while
        // later blocks commit.
        const taken = this.queue.then(() => ({ height: this.blocks.height, view: this.state.snapshotRecords() }));
        this.queue = taken.catch(() => undefined);
        const { height, view } = await taken;
        const h = createHash('sha256');
        h.update(u64(height));
        for await (const [k, v] of view.records) {
            h.update(u64(k.length)).update(k).update(u64(v.length)).update(v);
        }
        if ((await view.savepoint) !== height - 1)
            throw new LedgerError('LEDGER_CORRUPT', `state savepoint ${await view.savepoint} does not match height ${height}`);
        return h.digest('hex');
    }

    async close(): Promise<void> {
        if (this.closed) return;
        await this.queue;
        this.closed = true;
        await this.state.close();
        await this.pvt.close();
        await this.blocks.close();
    }
}

/**
 * Fabric's ImplicitCollectionEndorsementPolicyAsBytes: the org's Endorsement policy in the channel
 * config, else any member of the org; undefined when no application org has that MSP id.
 */
export function implicitCollectionPolicy(config: ChannelConfigDetails, mspId: string): string | undefined {
    const group = config.applicationOrgs.find((g) => (config.applicationMspIds?.[g] ?? g) === mspId);
    if (group === undefined) return undefined;
    const path = `/Channel/Application/${group}/Endorsement`;
    return config.policies.has(path) ? path : `OR('${mspId}.member')`;
}

const missingId = (m: MissingPvtData): string => `${m.blockNum}\u0000${m.txNum}\u0000${m.ns}\u0000${m.coll}`;

function isOlder(v: { blockNum: number; txNum: number }, than: { blockNum: number; txNum: number }): boolean {
    return v.blockNum < than.blockNum || (v.blockNum === than.blockNum && v.txNum < than.txNum);
}

function findCollection(
    candidates: ledger.rwset.TxPvtReadWriteSet[],
    ns: string,
    coll: string,
    expectedHash: Buffer,
): ledger.rwset.CollectionPvtReadWriteSet | undefined {
    // Newest endorsement first: a retried endorsement replaces an older one.
    for (let i = candidates.length - 1; i >= 0; i--) {
        for (const n of candidates[i].getNsPvtRwsetList()) {
            if (n.getNamespace() !== ns) continue;
            for (const c of n.getCollectionPvtRwsetList()) {
                if (c.getCollectionName() === coll && sha256(c.getRwset_asU8()).equals(expectedHash)) return c;
            }
        }
    }
    return undefined;
}

/** Writes one TxValidationCode per transaction into the block's TRANSACTIONS_FILTER metadata. */
export function setTransactionsFilter(block: common.Block, codes: number[]): void {
    let md = block.getMetadata();
    if (!md) {
        md = new common.BlockMetadata();
        block.setMetadata(md);
    }
    const list = md.getMetadataList().slice();
    while (list.length <= common.BlockMetadataIndex.COMMIT_HASH) list.push(new Uint8Array(0));
    list[FILTER] = Uint8Array.from(codes);
    md.setMetadataList(list);
}

export async function openPeerLedger(opts: OpenPeerLedgerOptions): Promise<KvLedger> {
    return KvLedger.open(opts);
}
