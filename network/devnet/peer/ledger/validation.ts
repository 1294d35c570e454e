// The block validator: Fabric's txvalidator v20 (envelope, creator signature, tx id, duplicates,
// endorsement signatures and policies per written namespace, collection and key: the builtin v20
// plugin with its key-level (state-based) endorsement) followed by the
// ledger's MVCC validation (core/ledger/kvledger/txmgmt/validation: read versions, phantom reads
// by re-running range queries, hashed private reads), each transaction against committed state
// plus the writes of the earlier valid transactions of the same block.
import { createHash } from 'node:crypto';
import { common, peer } from '@hyperledger/fabric-protos';
import { BlockStore } from '../../common/ledger/blkstorage';
import { MspManager, VerifiedIdentity } from '../../msp/msp';
import { PolicyManager } from '../../common/policies';
import { ChaincodeDefinition, Version } from './types';
import { implicitCollectionOrg } from '../privdata/collections';
import { compareVersion, dataKey, hashedKey, StateDB, UpdateBatch, VersionedKV, VersionedValue } from './statedb';
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
/** The state metadata entry holding a key-level endorsement policy (peer.MetaDataKeys.VALIDATION_PARAMETER). */
export const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';

export interface ValidatorContext {
    channelId: string;
    msps: Pick<MspManager, 'verify'>;
    policies: Pick<PolicyManager, 'evaluateIdentities'>;
    state: StateDB;
    blocks: Pick<BlockStore, 'getTxLocation'>;
    /** Committed chaincode definition (from _lifecycle's namespace). */
    definition(name: string): Promise<ChaincodeDefinition | undefined>;
    /**
     * The endorsement policy of an org's implicit collection (Fabric's
     * ImplicitCollectionEndorsementPolicyAsBytes): /Channel/Application/<Org>/Endorsement, or any
     * member of the org when the channel has no such policy; undefined when the org is not in the
     * channel. Absent: every org is in the channel and has the policy.
     */
    implicitCollectionPolicy?(mspId: string): PolicyRef | undefined;
    log?: (msg: string) => void;
}

/** _lifecycle as the validator sees it: LifecycleEndorsement for its public writes, implicit collections only. */
const LIFECYCLE_DEFINITION: ChaincodeDefinition = {
    name: LIFECYCLE_NS,
    version: 'syscc',
    sequence: 0,
    endorsementPolicy: LIFECYCLE_POLICY,
    collections: [],
};

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
export async function applyTxToBatch(
    batch: UpdateBatch,
    rwsets: NsRwSet[],
    blockNum: number,
    txNum: number,
    state: StateReader,
): Promise<void> {
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
            const hMeta = new Map(
                c.hashed
                    .getMetadataWritesList()
                    .map((m) => [Buffer.from(m.getKeyHash_asU8()).toString('hex'), metadataMap(m.getEntriesList())] as const),
            );
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
                    if (w.getIsPurge()) batch.purges.push({ ns: ns.ns, coll: c.coll, keyHash, version });
                } else {
                    const meta = hMeta.has(hex) ? hMeta.get(hex) : (await latestHashed(keyHash))?.metadata;
                    batch.hashed.set(id, {
                        ns: ns.ns,
                        coll: c.coll,
                        keyHash,
                        valueHash: w.getValueHash_asU8(),
                        version,
                        metadata: nonEmpty(meta),
                        purge: false,
                    });
                }
                hMeta.delete(hex);
            }
            for (const [hex, meta] of hMeta) {
                const keyHash = Buffer.from(hex, 'hex');
                const latest = await latestHashed(keyHash);
                if (!latest) continue;
                batch.hashed.set(UpdateBatch.hashedId(ns.ns, c.coll, keyHash), {
                    ns: ns.ns,
                    coll: c.coll,
                    keyHash,
                    valueHash: latest.value,
                    version,
                    metadata: nonEmpty(meta),
                    purge: false,
                });
            }
        }
    }
}

function nonEmpty(meta: Record<string, Uint8Array> | undefined): Record<string, Uint8Array> | undefined {
    return meta && Object.keys(meta).length > 0 ? meta : undefined;
}

/** Committed state as the validator reads it: prefetched in bulk, then served from memory. */
export interface StateReader {
    getState(ns: string, key: string): Promise<VersionedValue | undefined>;
    getHashed(ns: string, coll: string, keyHash: Uint8Array): Promise<VersionedValue | undefined>;
}

class CommittedView implements StateReader {
    private readonly cache = new Map<string, VersionedValue | undefined>();
    constructor(private readonly state: StateDB) {}

    /** One LevelDB multi-get for every key the block's transactions read or write. */
    async prefetch(txs: ParsedEndorserTx[]): Promise<void> {
        const keys = new Map<string, Buffer>();
        for (const tx of txs) {
            for (const ns of tx.rwsets) {
                for (const r of ns.kv.getReadsList()) keys.set(UpdateBatch.pubId(ns.ns, r.getKey()), dataKey(ns.ns, r.getKey()));
                for (const w of ns.kv.getWritesList()) keys.set(UpdateBatch.pubId(ns.ns, w.getKey()), dataKey(ns.ns, w.getKey()));
                for (const m of ns.kv.getMetadataWritesList()) keys.set(UpdateBatch.pubId(ns.ns, m.getKey()), dataKey(ns.ns, m.getKey()));
                for (const c of ns.colls) {
                    const add = (kh: Uint8Array) => keys.set(UpdateBatch.hashedId(ns.ns, c.coll, kh), hashedKey(ns.ns, c.coll, kh));
                    for (const r of c.hashed.getHashedReadsList()) add(r.getKeyHash_asU8());
                    for (const w of c.hashed.getHashedWritesList()) add(w.getKeyHash_asU8());
                    for (const m of c.hashed.getMetadataWritesList()) add(m.getKeyHash_asU8());
                }
            }
        }
        const ids = [...keys.keys()];
        const values = await this.state.getMany([...keys.values()]);
        for (const [i, id] of ids.entries()) this.cache.set(id, values[i]);
    }

    async getState(ns: string, key: string): Promise<VersionedValue | undefined> {
        const id = UpdateBatch.pubId(ns, key);
        if (this.cache.has(id)) return this.cache.get(id);
        return this.state.getState(ns, key);
    }

    async getHashed(ns: string, coll: string, keyHash: Uint8Array): Promise<VersionedValue | undefined> {
        const id = UpdateBatch.hashedId(ns, coll, keyHash);
        if (this.cache.has(id)) return this.cache.get(id);
        return this.state.getHashed(ns, coll, keyHash);
    }
}

/** A transaction that passed the stateless checks (envelope, signatures, tx id). */
interface Prechecked {
    txNum: number;
    txId: string;
    config: boolean;
    tx?: ParsedEndorserTx;
    /** Namespaces whose chaincode definition the policy check needs. */
    namespaces: string[];
}

export class BlockValidator {
    constructor(private readonly ctx: ValidatorContext) {}

    /**
     * Stateless checks of every transaction first (CPU only), then one round of parallel reads
     * (duplicate tx ids, chaincode definitions, every key read or written), then, in block order,
     * duplicates, policies and MVCC against committed state plus the block's earlier valid writes.
     */
    async validate(block: common.Block): Promise<ValidatedBlock> {
        const blockNum = block.getHeader()!.getNumber();
        const data = block.getData()?.getDataList() ?? [];
        const batch = new UpdateBatch();
        if (blockNum === 0) {
            // The genesis block creates the channel: it is not validated (its config envelope is unsigned).
            return { codes: data.map(() => C.VALID), txs: data.map((_, txNum) => ({ txNum, code: C.VALID, isConfig: true })), batch };
        }

        const pre: (Prechecked | ValidatedTx)[] = data.map((env, txNum) => {
            try {
                return this.precheck(env as Uint8Array, txNum);
            } catch (e) {
                // These checks are pure functions of the bytes: any failure is the same on every peer.
                if (!(e instanceof TxInvalid))
                    return { txNum, code: C.INVALID_OTHER_REASON, isConfig: false, reason: (e as Error).message } satisfies ValidatedTx;
                return { txNum, code: e.code, isConfig: false, reason: e.message } satisfies ValidatedTx;
            }
        });
        const checked = pre.filter((p): p is Prechecked => 'namespaces' in p);
        const endorserTxs = checked.filter((p) => p.tx).map((p) => p.tx!);
        const names = [...new Set(checked.flatMap((p) => p.namespaces))].filter((n) => n !== LIFECYCLE_NS);
        const view = new CommittedView(this.ctx.state);
        const [inLedger, defList] = await Promise.all([
            Promise.all(checked.map((p) => (p.config ? undefined : this.ctx.blocks.getTxLocation(p.txId)))),
            Promise.all(names.map((n) => this.ctx.definition(n))),
            view.prefetch(endorserTxs),
        ]);
        const duplicateInLedger = new Set(checked.filter((_, i) => inLedger[i] !== undefined).map((p) => p.txNum));
        const defs = new Map(names.map((n, i) => [n, defList[i]] as const));

        const txs: ValidatedTx[] = [];
        const seen = new Set<string>();
        // Keys whose metadata (and so validation parameter) an earlier transaction of the block updated.
        const vpUpdated = new Set<string>();
        for (const p of pre) {
            let result: ValidatedTx;
            if (!('namespaces' in p)) {
                result = p;
            } else {
                try {
                    result = await this.validateInBlock(p, blockNum, batch, seen, duplicateInLedger.has(p.txNum), defs, view, vpUpdated);
                } catch (e) {
                    if (!(e instanceof TxInvalid)) throw e;
                    result = { txNum: p.txNum, code: e.code, txId: p.txId, isConfig: p.config, reason: e.message };
                }
                seen.add(p.txId);
            }
            if (result.code !== C.VALID && this.ctx.log)
                this.ctx.log(
                    `block ${blockNum} tx ${result.txNum} (${result.txId ?? '?'}): ${codeName(result.code)}: ${result.reason ?? ''}`,
                );
            txs.push(result);
        }
        return { codes: txs.map((t) => t.code), txs, batch };
    }

    /** Fabric's ValidateTransaction: envelope, header, creator signature, tx id, proposal hash. */
    private precheck(envBytes: Uint8Array, txNum: number): Prechecked {
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
        const creator = head.signatureHeader.getCreator_asU8();
        try {
            this.ctx.msps.verify(creator, head.envelope.getPayload_asU8(), head.envelope.getSignature_asU8());
        } catch (e) {
            throw new TxInvalid(C.BAD_CREATOR_SIGNATURE, `creator signature: ${(e as Error).message}`);
        }
        if (type === common.HeaderType.CONFIG) {
            // A config update was checked by the orderer against the channel's policies before it
            // signed this envelope; the peer stores it and switches to the new configuration.
            return { txNum, txId, config: true, namespaces: [] };
        }
        if (txId !== hexTxId(head.signatureHeader.getNonce_asU8(), creator)) {
            throw new TxInvalid(C.BAD_PROPOSAL_TXID, `tx id ${txId} is not SHA-256(nonce ‖ creator)`);
        }
        const tx = parseEndorserTx(head);
        let actionHeader: common.SignatureHeader;
        try {
            actionHeader = common.SignatureHeader.deserializeBinary(tx.action.getHeader_asU8());
        } catch {
            throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, 'bad action signature header');
        }
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
        let ccName = '';
        try {
            ccName = peer.ChaincodeHeaderExtension.deserializeBinary(chdr.getExtension_asU8()).getChaincodeId()?.getName() ?? '';
        } catch {
            // Reported with its code by the policy check.
        }
        const namespaces = [ccName, ...tx.rwsets.filter(writesTo).map((n) => n.ns)].filter((n) => n !== '');
        return { txNum, txId, config: false, tx, namespaces };
    }

    private async validateInBlock(
        p: Prechecked,
        blockNum: number,
        batch: UpdateBatch,
        seen: Set<string>,
        inLedger: boolean,
        defs: Map<string, ChaincodeDefinition | undefined>,
        view: StateReader,
        vpUpdated: Set<string>,
    ): Promise<ValidatedTx> {
        if (inLedger) throw new TxInvalid(C.DUPLICATE_TXID, `tx id ${p.txId} is already in the ledger`);
        if (seen.has(p.txId)) throw new TxInvalid(C.DUPLICATE_TXID, `tx id ${p.txId} appears earlier in the block`);
        if (p.config || !p.tx) {
            batch.configBlock = true;
            return { txNum: p.txNum, code: C.VALID, txId: p.txId, isConfig: true };
        }
        await this.checkEndorsements(p.tx, defs, view, vpUpdated);
        await this.checkMvcc(p.tx.rwsets, batch, view);
        await applyTxToBatch(batch, p.tx.rwsets, blockNum, p.txNum, view);
        return { txNum: p.txNum, code: C.VALID, txId: p.txId, tx: p.tx, isConfig: false };
    }

    /** Fabric's plugin dispatcher + builtin v20 validation: policies per written namespace/collection. */
    private async checkEndorsements(
        tx: ParsedEndorserTx,
        defs: Map<string, ChaincodeDefinition | undefined>,
        view: StateReader,
        vpUpdated: Set<string>,
    ): Promise<void> {
        const chdr = tx.channelHeader;
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
            if (ev.getChaincodeId() !== ccName)
                throw new TxInvalid(C.INVALID_OTHER_REASON, 'chaincode event chaincode id does not match chaincode action chaincode id');
        }
        const nsSeen = new Set<string>();
        for (const ns of tx.rwsets) {
            if (nsSeen.has(ns.ns)) throw new TxInvalid(C.ILLEGAL_WRITESET, `duplicate namespace '${ns.ns}' in txRWSet`);
            nsSeen.add(ns.ns);
        }

        // Each endorsement verified once; the identities are reused for every policy.
        const prp = tx.actionPayload.getAction()!.getProposalResponsePayload_asU8();
        const identities: VerifiedIdentity[] = [];
        const endorsers = new Set<string>();
        for (const e of tx.actionPayload.getAction()!.getEndorsementsList()) {
            const endorser = e.getEndorser_asU8();
            const id = Buffer.from(endorser).toString('latin1');
            if (endorsers.has(id)) continue; // Fabric counts an identity once
            try {
                identities.push(this.ctx.msps.verify(endorser, Buffer.concat([prp, endorser]), e.getSignature_asU8()));
                endorsers.add(id);
            } catch {
                // A bad endorsement only fails to count toward the policy, as in Fabric.
            }
        }
        const satisfied = (what: string, policy: PolicyRef | common.SignaturePolicyEnvelope): void => {
            let ok: boolean;
            try {
                ok = this.ctx.policies.evaluateIdentities(policy, identities);
            } catch (e) {
                throw new TxInvalid(
                    C.ENDORSEMENT_POLICY_FAILURE,
                    `endorsement policy of ${what} cannot be evaluated: ${(e as Error).message}`,
                );
            }
            if (!ok) {
                const shown = typeof policy === 'string' ? ` (${policy})` : '';
                throw new TxInvalid(
                    C.ENDORSEMENT_POLICY_FAILURE,
                    `endorsement policy of ${what}${shown} not satisfied by ${identities.map((i) => i.mspId).join(',') || 'no valid endorsement'}`,
                );
            }
        };

        // Policies per namespace written (and the invoked chaincode's own), as the v20 validator:
        // a written key with a VALIDATION_PARAMETER in its committed metadata needs that key-level
        // policy; other writes need their collection's policy, or the chaincode's; a transaction
        // that writes nothing needs the chaincode's.
        const nsList = new Set<string>([ccName]);
        for (const ns of tx.rwsets) if (writesTo(ns)) nsList.add(ns.ns);
        for (const ns of nsList) {
            const def = ns === LIFECYCLE_NS ? LIFECYCLE_DEFINITION : defs.get(ns);
            if (!def) throw new TxInvalid(C.INVALID_CHAINCODE, `chaincode ${ns} is not defined on channel ${this.ctx.channelId}`);
            const checked = new Set<string>();
            let someChecked = false;
            const chaincodeOrCollection = (coll: string | undefined) => {
                if (coll !== undefined) {
                    if (checked.has(`coll:${coll}`)) return;
                    const implicitOrg = implicitCollectionOrg(coll);
                    if (implicitOrg === undefined && !def.collections.some((x) => x.name === coll))
                        throw new TxInvalid(C.ENDORSEMENT_POLICY_FAILURE, `no such collection '${coll}' for chaincode ${ns}`);
                    const cp = implicitOrg === undefined ? collectionPolicy(def, coll) : this.implicitPolicy(implicitOrg);
                    if (cp) {
                        satisfied(`collection ${ns}/${coll}`, cp);
                        checked.add(`coll:${coll}`);
                        someChecked = true;
                        return;
                    }
                }
                if (checked.has('cc')) return;
                satisfied(`chaincode ${ns}`, def.endorsementPolicy);
                checked.add('cc');
                someChecked = true;
            };
            const keyLevel = async (coll: string | undefined, key: string, keyHash?: Uint8Array) => {
                const id = coll === undefined ? UpdateBatch.pubId(ns, key) : UpdateBatch.hashedId(ns, coll, keyHash!);
                if (vpUpdated.has(id))
                    throw new TxInvalid(
                        C.ENDORSEMENT_POLICY_FAILURE,
                        `validation parameter of a key of ${ns}${coll ? `/${coll}` : ''} was updated by an earlier transaction of the block`,
                    );
                const committed = coll === undefined ? await view.getState(ns, key) : await view.getHashed(ns, coll, keyHash!);
                const vp = committed?.metadata?.[VALIDATION_PARAMETER];
                if (!vp || vp.length === 0) return chaincodeOrCollection(coll);
                let envelope: common.SignaturePolicyEnvelope;
                try {
                    envelope = common.SignaturePolicyEnvelope.deserializeBinary(vp);
                } catch {
                    throw new TxInvalid(C.INVALID_OTHER_REASON, `validation parameter of a key of ${ns} is not a SignaturePolicyEnvelope`);
                }
                satisfied(
                    `key-level policy of ${ns}${coll ? `/${coll}` : ''} key ${coll ? Buffer.from(keyHash!).toString('hex').slice(0, 16) : key}`,
                    envelope,
                );
                someChecked = true;
            };
            const rw = tx.rwsets.find((r) => r.ns === ns);
            if (rw) {
                for (const w of rw.kv.getWritesList()) await keyLevel(undefined, w.getKey());
                for (const m of rw.kv.getMetadataWritesList()) await keyLevel(undefined, m.getKey());
                for (const c of rw.colls) for (const w of c.hashed.getHashedWritesList()) await keyLevel(c.coll, '', w.getKeyHash_asU8());
                for (const c of rw.colls) for (const m of c.hashed.getMetadataWritesList()) await keyLevel(c.coll, '', m.getKeyHash_asU8());
            }
            if (!someChecked) satisfied(`chaincode ${ns}`, def.endorsementPolicy);
        }
        // Later transactions of the block that write these keys fail (Fabric's ValidationParameterUpdatedError).
        for (const ns of tx.rwsets) {
            for (const m of ns.kv.getMetadataWritesList()) vpUpdated.add(UpdateBatch.pubId(ns.ns, m.getKey()));
            for (const c of ns.colls)
                for (const m of c.hashed.getMetadataWritesList()) vpUpdated.add(UpdateBatch.hashedId(ns.ns, c.coll, m.getKeyHash_asU8()));
        }
    }

    /** The endorsement policy of an implicit collection; a write to one of an org outside the channel is invalid. */
    private implicitPolicy(mspId: string): PolicyRef {
        if (!this.ctx.implicitCollectionPolicy) return `/Channel/Application/${mspId}/Endorsement`;
        const policy = this.ctx.implicitCollectionPolicy(mspId);
        if (policy === undefined) throw new TxInvalid(C.ENDORSEMENT_POLICY_FAILURE, `no org found in channel with MSPID '${mspId}'`);
        return policy;
    }

    /** MVCC: every read version, range and hashed read must still hold after the earlier valid txs. */
    private async checkMvcc(rwsets: NsRwSet[], batch: UpdateBatch, view: StateReader): Promise<void> {
        for (const ns of rwsets) {
            for (const r of ns.kv.getReadsList()) {
                const key = r.getKey();
                const pending = batch.pub.get(UpdateBatch.pubId(ns.ns, key));
                const current = pending
                    ? pending.value === undefined
                        ? undefined
                        : pending.version
                    : (await view.getState(ns.ns, key))?.version;
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
                        : (await view.getHashed(ns.ns, c.coll, keyHash))?.version;
                    if (!compareVersion(current, versionOf(r.getVersion()))) {
                        throw new TxInvalid(C.MVCC_READ_CONFLICT, `hashed read in ${ns.ns}/${c.coll} is stale`);
                    }
                }
            }
        }
    }

    /** Re-runs a range query over committed state plus this block's updates and compares results. */
    private async rangeStillMatches(
        ns: string,
        rq: {
            getStartKey(): string;
            getEndKey(): string;
            getItrExhausted(): boolean;
            getRawReads():
                | { getKvReadsList(): { getKey(): string; getVersion(): { getBlockNum(): number; getTxNum(): number } | undefined }[] }
                | undefined;
            hasReadsMerkleHashes(): boolean;
        },
        batch: UpdateBatch,
    ): Promise<boolean> {
        // Merkle summaries are only produced for huge ranges, which our simulator never does.
        if (rq.hasReadsMerkleHashes()) return false;
        const start = rq.getStartKey();
        const end = rq.getEndKey();
        // Not exhausted: the caller stopped at end key, which it did read.
        const inclusive = !rq.getItrExhausted();
        const raw = rq.getRawReads()?.getKvReadsList() ?? [];
        const inRange = (key: string) =>
            byteCmp(key, start) >= 0 && (end === '' || (inclusive ? byteCmp(key, end) <= 0 : byteCmp(key, end) < 0));
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
