// The block validator: Fabric's txvalidator v20 (envelope, creator signature, tx id, duplicates,
// endorsement signatures and policies per written namespace and collection) followed by the
// ledger's MVCC validation (core/ledger/kvledger/txmgmt/validation: read versions, phantom reads
// by re-running range queries, hashed private reads), each transaction against committed state
// plus the writes of the earlier valid transactions of the same block.
import { createHash } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { BlockStore } from '../../ledger/blkstorage';
import { MspManager, VerifiedIdentity } from '../../msp/msp';
import { PolicyManager } from '../../common/policies';
import { ChaincodeDefinition, Version } from './types';
import { compareVersion, StateDB, UpdateBatch, VersionedKV } from './statedb';
import {
    isDelete,
    isHashDelete,
    metadataMap,
    NsRwSet,
    parseEndorserTx,
    parseEnvelopeHeader,
    ParsedEndorserTx,
    proposalHash,
    TxInvalid,
} from './rwsetutil';

const C = peer.TxValidationCode;
export const LIFECYCLE_NS = '_lifecycle';
export const LIFECYCLE_POLICY = '/Channel/Application/LifecycleEndorsement';

export interface ValidatorContext {
    channelId: string;
    msps: Pick<MspManager, 'verify'>;
    policies: Pick<PolicyManager, 'evaluateIdentities'>;
    state: StateDB;
    blocks: Pick<BlockStore, 'getTxLocation'>;
    /** Committed chaincode definition (from _lifecycle's namespace). */
    definition(name: string): Promise<ChaincodeDefinition | undefined>;
    log?: (msg: string) => void;
}

export interface ValidatedTx {
    txNum: number;
    code: number;
    txId?: string;
    /** Present for valid endorser transactions. */
    tx?: ParsedEndorserTx;
    isConfig: boolean;
    reason?: string;
}

export interface ValidatedBlock {
    codes: number[];
    txs: ValidatedTx[];
    batch: UpdateBatch;
}

/**
 * Policies are passed to the PolicyManager as text: a path (/Channel/Application/...), an implicit
 * meta rule ("MAJORITY Endorsement") or a signature policy ("OR('SeoulMSP.peer')"); it parses and
 * caches each text once.
 */
type PolicyRef = string;

/** A collection's endorsement policy, if it has one (a channel policy reference or a signature policy). */
export function collectionPolicy(def: ChaincodeDefinition, coll: string): PolicyRef | undefined {
    const ep = def.collections.find((x) => x.name === coll)?.endorsementPolicy;
    if (!ep) return undefined;
    if (ep.signaturePolicy) return ep.signaturePolicy;
    if (ep.channelConfigPolicy) {
        const name = ep.channelConfigPolicy;
        return name.startsWith('/') ? name : name.includes('/') ? `/${name}` : `/Channel/Application/${name}`;
    }
    return undefined;
}

function hexTxId(nonce: Uint8Array, creator: Uint8Array): string {
    return createHash('sha256').update(nonce).update(creator).digest('hex');
}

function versionOf(v: { getBlockNum(): number; getTxNum(): number } | undefined): Version | undefined {
    return v ? { blockNum: v.getBlockNum(), txNum: v.getTxNum() } : undefined;
}

function byteCmp(a: string, b: string): number {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Adds a valid transaction's writes to the block's update batch (also used to replay blocks).
 * As Fabric's txOps: a value written without a metadata write keeps the latest metadata; a
 * metadata-only write keeps the latest value (and is dropped when the key does not exist).
 */
export async function applyTxToBatch(batch: UpdateBatch, rwsets: NsRwSet[], blockNum: number, txNum: number, state: StateDB): Promise<void> {
    const version = { blockNum, txNum };
    for (const ns of rwsets) {
        const metaWrites = new Map(ns.kv.getMetadataWritesList().map((m) => [m.getKey(), metadataMap(m.getEntriesList())] as const));
        const latestPub = async (key: string) => {
            const p = batch.pub.get(UpdateBatch.pubId(ns.ns, key));
            if (p) return p.value === undefined ? undefined : { value: p.value, metadata: p.metadata };
            return state.getState(ns.ns, key);
        };
        for (const w of ns.kv.getWritesList()) {
            const key = w.getKey();
            const id = UpdateBatch.pubId(ns.ns, key);
            if (isDelete(w)) {
                batch.pub.set(id, { ns: ns.ns, key, version });
            } else {
                const meta = metaWrites.has(key) ? metaWrites.get(key) : (await latestPub(key))?.metadata;
                batch.pub.set(id, { ns: ns.ns, key, value: w.getValue_asU8(), version, metadata: nonEmpty(meta) });
            }
            batch.history.push({ ns: ns.ns, key, version });
            metaWrites.delete(key);
        }
        for (const [key, meta] of metaWrites) {
            const latest = await latestPub(key);
            if (!latest) continue;
            batch.pub.set(UpdateBatch.pubId(ns.ns, key), { ns: ns.ns, key, value: latest.value, version, metadata: nonEmpty(meta) });
        }
        for (const c of ns.colls) {
            const hMeta = new Map(c.hashed.getMetadataWritesList().map((m) => [Buffer.from(m.getKeyHash_asU8()).toString('hex'), metadataMap(m.getEntriesList())] as const));
            const latestHashed = async (keyHash: Uint8Array) => {
                const p = batch.hashed.get(UpdateBatch.hashedId(ns.ns, c.coll, keyHash));
                if (p) return p.valueHash === undefined ? undefined : { value: p.valueHash, metadata: p.metadata };
                return state.getHashed(ns.ns, c.coll, keyHash);
            };
            for (const w of c.hashed.getHashedWritesList()) {
                const keyHash = w.getKeyHash_asU8();
                const hex = Buffer.from(keyHash).toString('hex');
                const id = UpdateBatch.hashedId(ns.ns, c.coll, keyHash);
                if (isHashDelete(w)) {
                    batch.hashed.set(id, { ns: ns.ns, coll: c.coll, keyHash, version, purge: w.getIsPurge() });
                } else {
                    const meta = hMeta.has(hex) ? hMeta.get(hex) : (await latestHashed(keyHash))?.metadata;
                    batch.hashed.set(id, { ns: ns.ns, coll: c.coll, keyHash, valueHash: w.getValueHash_asU8(), version, metadata: nonEmpty(meta), purge: false });
                }
                hMeta.delete(hex);
            }
            for (const [hex, meta] of hMeta) {
                const keyHash = Buffer.from(hex, 'hex');
                const latest = await latestHashed(keyHash);
                if (!latest) continue;
                batch.hashed.set(UpdateBatch.hashedId(ns.ns, c.coll, keyHash), { ns: ns.ns, coll: c.coll, keyHash, valueHash: latest.value, version, metadata: nonEmpty(meta), purge: false });
            }
        }
    }
}

function nonEmpty(meta: Record<string, Uint8Array> | undefined): Record<string, Uint8Array> | undefined {
    return meta && Object.keys(meta).length > 0 ? meta : undefined;
}

export class BlockValidator {
    constructor(private readonly ctx: ValidatorContext) {}

    async validate(block: common.Block): Promise<ValidatedBlock> {
        const blockNum = block.getHeader()!.getNumber();
        const data = block.getData()?.getDataList() ?? [];
        const batch = new UpdateBatch();
        const txs: ValidatedTx[] = [];
        const seen = new Set<string>();
        // Definitions are read from committed state once per block.
        const defs = new Map<string, ChaincodeDefinition | undefined>();
        const definition = async (name: string) => {
            if (!defs.has(name)) defs.set(name, await this.ctx.definition(name));
            return defs.get(name);
        };
        for (let txNum = 0; txNum < data.length; txNum++) {
            let result: ValidatedTx;
            try {
                result = await this.validateTx(data[txNum] as Uint8Array, blockNum, txNum, batch, seen, definition);
            } catch (e) {
                if (!(e instanceof TxInvalid)) throw e;
                result = { txNum, code: e.code, isConfig: false, reason: e.message };
            }
            if (result.txId) seen.add(result.txId);
            if (result.code !== C.VALID && this.ctx.log) this.ctx.log(`block ${blockNum} tx ${txNum} (${result.txId ?? '?'}): ${codeName(result.code)}: ${result.reason ?? ''}`);
            txs.push(result);
        }
        return { codes: txs.map((t) => t.code), txs, batch };
    }

    private async validateTx(
        envBytes: Uint8Array,
        blockNum: number,
        txNum: number,
        batch: UpdateBatch,
        seen: Set<string>,
        definition: (name: string) => Promise<ChaincodeDefinition | undefined>,
    ): Promise<ValidatedTx> {
        const head = parseEnvelopeHeader(envBytes);
        const chdr = head.channelHeader;
        const txId = chdr.getTxId();
        const type = chdr.getType();
        if (type !== common.HeaderType.ENDORSER_TRANSACTION && type !== common.HeaderType.CONFIG) {
            throw new TxInvalid(C.UNSUPPORTED_TX_PAYLOAD, `unsupported header type ${type}`);
        }
        if (chdr.getChannelId() !== this.ctx.channelId) {
            throw new TxInvalid(C.TARGET_CHAIN_NOT_FOUND, `channel ${chdr.getChannelId()} is not ${this.ctx.channelId}`);
        }
        if (type === common.HeaderType.CONFIG) {
            // Config transactions are checked by the orderer against the channel's config policies;
            // the peer stores them and picks up the new configuration.
            batch.configBlock = true;
            return { txNum, code: C.VALID, txId, isConfig: true };
        }
        const creator = head.signatureHeader.getCreator_asU8();
        try {
            this.ctx.msps.verify(creator, head.envelope.getPayload_asU8(), head.envelope.getSignature_asU8());
        } catch (e) {
            throw new TxInvalid(C.BAD_CREATOR_SIGNATURE, `creator signature: ${(e as Error).message}`);
        }
        if (txId !== hexTxId(head.signatureHeader.getNonce_asU8(), creator)) {
            throw new TxInvalid(C.BAD_PROPOSAL_TXID, `tx id ${txId} is not SHA-256(nonce ‖ creator)`);
        }
        const tx = parseEndorserTx(head);
        const actionHeader = (() => {
            try {
                return common.SignatureHeader.deserializeBinary(tx.action.getHeader_asU8());
            } catch {
                throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, 'bad action signature header');
            }
        })();
        if (actionHeader.getNonce_asU8().length === 0 || actionHeader.getCreator_asU8().length === 0) {
            throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, 'action signature header lacks nonce or creator');
        }
        const origHeader = new common.Header();
        origHeader.setChannelHeader(head.payload.getHeader()!.getChannelHeader_asU8());
        origHeader.setSignatureHeader(tx.action.getHeader_asU8());
        const pHash = proposalHash(origHeader, tx.actionPayload.getChaincodeProposalPayload_asU8());
        if (!pHash.equals(Buffer.from(tx.proposalResponsePayload.getProposalHash_asU8()))) {
            throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, 'proposal hash does not match');
        }
        if (seen.has(txId)) throw new TxInvalid(C.DUPLICATE_TXID, `tx id ${txId} appears earlier in the block`);
        if (await this.ctx.blocks.getTxLocation(txId)) throw new TxInvalid(C.DUPLICATE_TXID, `tx id ${txId} is already in the ledger`);

        try {
            await this.checkEndorsements(tx, chdr, definition);
            await this.checkMvcc(tx.rwsets, batch);
        } catch (e) {
            if (e instanceof TxInvalid) return { txNum, code: e.code, txId, isConfig: false, reason: e.message };
            throw e;
        }
        await applyTxToBatch(batch, tx.rwsets, blockNum, txNum, this.ctx.state);
        return { txNum, code: C.VALID, txId, tx, isConfig: false };
    }

    /** Fabric's plugin dispatcher + builtin v20 validation: policies per written namespace/collection. */
    private async checkEndorsements(
        tx: ParsedEndorserTx,
        chdr: common.ChannelHeader,
        definition: (name: string) => Promise<ChaincodeDefinition | undefined>,
    ): Promise<void> {
        let ext: peer.ChaincodeHeaderExtension;
        try {
            ext = peer.ChaincodeHeaderExtension.deserializeBinary(chdr.getExtension_asU8());
        } catch {
            throw new TxInvalid(C.BAD_HEADER_EXTENSION, 'bad chaincode header extension');
        }
        const hdrCc = ext.getChaincodeId();
        const respCc = tx.chaincodeAction.getChaincodeId();
        if (!hdrCc) throw new TxInvalid(C.INVALID_OTHER_REASON, 'nil ChaincodeId in header extension');
        if (!respCc) throw new TxInvalid(C.INVALID_OTHER_REASON, 'nil ChaincodeId in ChaincodeAction');
        const ccName = hdrCc.getName();
        if (ccName === '') throw new TxInvalid(C.INVALID_CHAINCODE, 'invalid chaincode ID');
        if (ccName !== respCc.getName()) throw new TxInvalid(C.INVALID_CHAINCODE, `inconsistent ccid info (${ccName}/${respCc.getName()})`);
        if (respCc.getVersion() === '') throw new TxInvalid(C.INVALID_CHAINCODE, 'invalid chaincode version');
        const events = tx.chaincodeAction.getEvents_asU8();
        if (events.length > 0) {
            let ev: peer.ChaincodeEvent;
            try {
                ev = peer.ChaincodeEvent.deserializeBinary(events);
            } catch {
                throw new TxInvalid(C.INVALID_OTHER_REASON, 'invalid chaincode event');
            }
            if (ev.getChaincodeId() !== ccName) throw new TxInvalid(C.INVALID_OTHER_REASON, 'chaincode event chaincode id does not match chaincode action chaincode id');
        }
        const nsSeen = new Set<string>();
        for (const ns of tx.rwsets) {
            if (nsSeen.has(ns.ns)) throw new TxInvalid(C.ILLEGAL_WRITESET, `duplicate namespace '${ns.ns}' in txRWSet`);
            nsSeen.add(ns.ns);
        }

        // Each endorsement verified once; the identities are reused for every policy below.
        const prp = tx.actionPayload.getAction()!.getProposalResponsePayload_asU8();
        const identities: VerifiedIdentity[] = [];
        const endorsers = new Set<string>();
        for (const e of tx.actionPayload.getAction()!.getEndorsementsList()) {
            const endorser = e.getEndorser_asU8();
            const id = Buffer.from(endorser).toString('base64');
            if (endorsers.has(id)) continue; // Fabric counts an identity once
            try {
                identities.push(this.ctx.msps.verify(endorser, Buffer.concat([prp, endorser]), e.getSignature_asU8()));
                endorsers.add(id);
            } catch {
                // A bad endorsement only fails to count toward the policy, as in Fabric.
            }
        }

        // Which policies must hold: per namespace written (and the invoked chaincode's own).
        const toCheck = new Map<string, { ns: string; policies: Map<string, PolicyRef> }>();
        const nsList = new Set<string>([ccName]);
        for (const ns of tx.rwsets) if (writesTo(ns)) nsList.add(ns.ns);
        for (const ns of nsList) {
            const policies = new Map<string, PolicyRef>();
            if (ns === LIFECYCLE_NS) {
                policies.set(LIFECYCLE_POLICY, LIFECYCLE_POLICY);
                toCheck.set(ns, { ns, policies });
                continue;
            }
            const def = await definition(ns);
            if (!def) throw new TxInvalid(C.INVALID_CHAINCODE, `chaincode ${ns} is not defined on channel ${this.ctx.channelId}`);
            const ccPolicy = (): PolicyRef => def.endorsementPolicy;
            const rw = tx.rwsets.find((r) => r.ns === ns);
            const pubWrites = rw ? rw.kv.getWritesList().length + rw.kv.getMetadataWritesList().length > 0 : false;
            if (pubWrites) policies.set(`cc:${ns}`, ccPolicy());
            for (const c of rw?.colls ?? []) {
                if (c.hashed.getHashedWritesList().length + c.hashed.getMetadataWritesList().length === 0) continue;
                if (!def.collections.some((x) => x.name === c.coll)) throw new TxInvalid(C.INVALID_OTHER_REASON, `collection ${c.coll} is not defined for chaincode ${ns}`);
                const cp = collectionPolicy(def, c.coll);
                if (cp) policies.set(`coll:${ns}/${c.coll}`, cp);
                else policies.set(`cc:${ns}`, ccPolicy());
            }
            if (policies.size === 0) policies.set(`cc:${ns}`, ccPolicy());
            toCheck.set(ns, { ns, policies });
        }
        for (const { ns, policies } of toCheck.values()) {
            for (const [name, p] of policies) {
                let ok: boolean;
                try {
                    ok = this.ctx.policies.evaluateIdentities(p, identities);
                } catch (e) {
                    throw new TxInvalid(C.ENDORSEMENT_POLICY_FAILURE, `endorsement policy ${name} of ${ns} cannot be evaluated: ${(e as Error).message}`);
                }
                if (!ok) {
                    throw new TxInvalid(C.ENDORSEMENT_POLICY_FAILURE, `endorsement policy ${name} of ${ns} not satisfied by ${identities.map((i) => i.mspId).join(',') || 'no valid endorsement'}`);
                }
            }
        }
    }

    /** MVCC: every read version, range and hashed read must still hold after the earlier valid txs. */
    private async checkMvcc(rwsets: NsRwSet[], batch: UpdateBatch): Promise<void> {
        for (const ns of rwsets) {
            for (const r of ns.kv.getReadsList()) {
                const key = r.getKey();
                const pending = batch.pub.get(UpdateBatch.pubId(ns.ns, key));
                const current = pending ? (pending.value === undefined ? undefined : pending.version) : (await this.ctx.state.getState(ns.ns, key))?.version;
                if (!compareVersion(current, versionOf(r.getVersion()))) {
                    throw new TxInvalid(C.MVCC_READ_CONFLICT, `read of ${ns.ns}/${key} is stale`);
                }
            }
            for (const rq of ns.kv.getRangeQueriesInfoList()) {
                if (!(await this.rangeStillMatches(ns.ns, rq, batch))) {
                    throw new TxInvalid(C.PHANTOM_READ_CONFLICT, `range [${rq.getStartKey()}, ${rq.getEndKey()}) of ${ns.ns} changed`);
                }
            }
            for (const c of ns.colls) {
                for (const r of c.hashed.getHashedReadsList()) {
                    const keyHash = r.getKeyHash_asU8();
                    const pending = batch.hashed.get(UpdateBatch.hashedId(ns.ns, c.coll, keyHash));
                    const current = pending
                        ? pending.valueHash === undefined
                            ? undefined
                            : pending.version
                        : (await this.ctx.state.getHashed(ns.ns, c.coll, keyHash))?.version;
                    if (!compareVersion(current, versionOf(r.getVersion()))) {
                        throw new TxInvalid(C.MVCC_READ_CONFLICT, `hashed read in ${ns.ns}/${c.coll} is stale`);
                    }
                }
            }
        }
    }

    /** Re-runs a range query over committed state plus this block's updates and compares results. */
    private async rangeStillMatches(ns: string, rq: { getStartKey(): string; getEndKey(): string; getItrExhausted(): boolean; getRawReads(): { getKvReadsList(): { getKey(): string; getVersion(): { getBlockNum(): number; getTxNum(): number } | undefined }[] } | undefined; hasReadsMerkleHashes(): boolean }, batch: UpdateBatch): Promise<boolean> {
        // Merkle summaries are only produced for huge ranges, which our simulator never does.
        if (rq.hasReadsMerkleHashes()) return false;
        const start = rq.getStartKey();
        const end = rq.getEndKey();
        // Not exhausted: the caller stopped at end key, which it did read.
        const inclusive = !rq.getItrExhausted();
        const raw = rq.getRawReads()?.getKvReadsList() ?? [];
        const inRange = (key: string) => byteCmp(key, start) >= 0 && (end === '' || (inclusive ? byteCmp(key, end) <= 0 : byteCmp(key, end) < 0));
        const updates = [...batch.pub.values()].filter((u) => u.ns === ns && inRange(u.key));
        const committed = await this.ctx.state.getRange(ns, start, end, raw.length + 1 + updates.length, inclusive);
        const merged = new Map<string, Version>();
        for (const row of committed as VersionedKV[]) merged.set(row.key, row.version);
        for (const u of updates) {
            if (u.value === undefined) merged.delete(u.key);
            else merged.set(u.key, u.version);
        }
        const keys = [...merged.keys()].sort(byteCmp);
        // The committed fetch was limited: only the first raw.length + 1 keys are meaningful.
        const n = Math.min(keys.length, raw.length + 1);
        if (n !== raw.length) return false;
        for (let i = 0; i < n; i++) {
            if (keys[i] !== raw[i].getKey()) return false;
            if (!compareVersion(merged.get(keys[i]), versionOf(raw[i].getVersion()))) return false;
        }
        return true;
    }
}

function writesTo(ns: NsRwSet): boolean {
    if (ns.kv.getWritesList().length > 0 || ns.kv.getMetadataWritesList().length > 0) return true;
    return ns.colls.some((c) => c.hashed.getHashedWritesList().length > 0 || c.hashed.getMetadataWritesList().length > 0);
}

/** The TxValidationCode's name, for logs. */
export function codeName(code: number): string {
    return Object.entries(C).find(([, v]) => v === code)?.[0] ?? String(code);
}
