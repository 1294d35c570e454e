// Fakes for the peer gateway's unit tests: proposals, endorsers that answer scripted results,
// an in-memory block store and ledger, and a layout oracle for "MAJORITY Endorsement" of 4 orgs.
import { common, gateway, ledger, orderer, peer } from '@hyperledger/fabric-protos';
import { PolicyManager } from '../../../network/devnet/common/policies';
import { MspManager } from '../../../network/devnet/msp/msp';
import { TxLocation } from '../../../network/devnet/common/ledger/blkstorage';
import { ChaincodeDefinition, CommitEvent } from '../../../network/devnet/peer/ledger/types';
import { GatewayLedger } from '../../../network/devnet/peer/gateway';
import { Broadcaster, EndorserClient, EndorserOutcome, EndorserRegistry } from '../../../network/devnet/peer/gateway/registry';
import { PolicyRef } from '../../../network/devnet/peer/gateway/plan';

export const ORGS = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'];
export const CHANNEL = 'citizencards';

export const citizencard: ChaincodeDefinition = {
    name: 'citizencard',
    version: '1.0',
    sequence: 1,
    endorsementPolicy: 'MAJORITY Endorsement',
    collections: [
        {
            name: 'personalData',
            policy: "OR('SeoulMSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 0,
            blockToLive: 0,
            memberOnlyRead: true,
            memberOnlyWrite: true,
            endorsementPolicy: { signaturePolicy: "OR('SeoulMSP.peer')" },
        },
        {
            name: 'sharedNoPolicy',
            policy: "OR('SeoulMSP.member','MOHWMSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 0,
            blockToLive: 0,
            memberOnlyRead: true,
            memberOnlyWrite: true,
        },
    ],
};

function subsets(orgs: string[], k: number): string[][] {
    if (k === 0) return [[]];
    if (orgs.length < k) return [];
    const [first, ...rest] = orgs;
    return [...subsets(rest, k - 1).map((s) => [first, ...s]), ...subsets(rest, k)];
}

/** MAJORITY of the 4 orgs = any 3; signature policies through the real PolicyManager. */
export function layoutOracle(): { orgLayouts(p: PolicyRef): string[][] } {
    const real = new PolicyManager(new Map(), {} as MspManager);
    return {
        orgLayouts(p: PolicyRef): string[][] {
            if (p === 'MAJORITY Endorsement' || p === '/Channel/Application/LifecycleEndorsement') return subsets(ORGS, 3);
            return real.orgLayouts(p);
        },
    };
}

export interface ProposalOptions {
    chaincode?: string;
    transient?: Record<string, string>;
    txId?: string;
    channel?: string;
}

export function signedProposal(options: ProposalOptions = {}): peer.SignedProposal {
    const ch = new common.ChannelHeader();
    ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
    ch.setChannelId(options.channel ?? CHANNEL);
    ch.setTxId(options.txId ?? 'tx1');
    const sh = new common.SignatureHeader();
    sh.setCreator(Buffer.from('creator'));
    sh.setNonce(Buffer.from('nonce'));
    const header = new common.Header();
    header.setChannelHeader(ch.serializeBinary());
    header.setSignatureHeader(sh.serializeBinary());
    const id = new peer.ChaincodeID();
    id.setName(options.chaincode ?? 'citizencard');
    const input = new peer.ChaincodeInput();
    input.setArgsList([Buffer.from('fn'), Buffer.from('arg')]);
    const spec = new peer.ChaincodeSpec();
    spec.setChaincodeId(id);
    spec.setInput(input);
    const cis = new peer.ChaincodeInvocationSpec();
    cis.setChaincodeSpec(spec);
    const cpp = new peer.ChaincodeProposalPayload();
    cpp.setInput(cis.serializeBinary());
    for (const [k, v] of Object.entries(options.transient ?? {})) cpp.getTransientmapMap().set(k, Buffer.from(v));
    const proposal = new peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(cpp.serializeBinary());
    const sp = new peer.SignedProposal();
    sp.setProposalBytes(proposal.serializeBinary());
    sp.setSignature(Buffer.from('sig'));
    return sp;
}

export interface ResultOptions {
    result?: string;
    status?: number;
    message?: string;
    /** Public keys written. */
    writes?: string[];
    /** Collection -> { reads, writes } counts. */
    collections?: Record<string, { reads?: number; writes?: number }>;
    event?: { name: string; payload: string; txId: string };
    chaincode?: string;
}

/** A successful proposal response as an endorser of `org` would sign it. */
export function proposalResponse(org: string, options: ResultOptions = {}): peer.ProposalResponse {
    const ns = options.chaincode ?? 'citizencard';
    const kv = new ledger.rwset.kvrwset.KVRWSet();
    kv.setWritesList(
        (options.writes ?? []).map((k) => {
            const w = new ledger.rwset.kvrwset.KVWrite();
            w.setKey(k);
            w.setValue(Buffer.from('v'));
            return w;
        }),
    );
    const nsrw = new ledger.rwset.NsReadWriteSet();
    nsrw.setNamespace(ns);
    nsrw.setRwset(kv.serializeBinary());
    nsrw.setCollectionHashedRwsetList(
        Object.entries(options.collections ?? {}).map(([name, c]) => {
            const h = new ledger.rwset.kvrwset.HashedRWSet();
            h.setHashedReadsList(Array.from({ length: c.reads ?? 0 }, () => new ledger.rwset.kvrwset.KVReadHash()));
            h.setHashedWritesList(Array.from({ length: c.writes ?? 0 }, () => new ledger.rwset.kvrwset.KVWriteHash()));
            const coll = new ledger.rwset.CollectionHashedReadWriteSet();
            coll.setCollectionName(name);
            coll.setHashedRwset(h.serializeBinary());
            return coll;
        }),
    );
    const txrw = new ledger.rwset.TxReadWriteSet();
    txrw.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
    txrw.setNsRwsetList([nsrw]);
    const res = new peer.Response();
    res.setStatus(options.status ?? 200);
    res.setMessage(options.message ?? '');
    res.setPayload(Buffer.from(options.result ?? 'ok'));
    const action = new peer.ChaincodeAction();
    action.setResults(txrw.serializeBinary());
    action.setResponse(res);
    if (options.event) {
        const ev = new peer.ChaincodeEvent();
        ev.setChaincodeId(ns);
        ev.setEventName(options.event.name);
        ev.setPayload(Buffer.from(options.event.payload));
        ev.setTxId(options.event.txId);
        action.setEvents(ev.serializeBinary());
    }
    const prp = new peer.ProposalResponsePayload();
    prp.setProposalHash(Buffer.from('hash'));
    prp.setExtension$(action.serializeBinary());
    const endorsement = new peer.Endorsement();
    endorsement.setEndorser(Buffer.from(`peer0 of ${org}`));
    endorsement.setSignature(Buffer.from(`signature of ${org}`));
    const pr = new peer.ProposalResponse();
    pr.setVersion(1);
    pr.setResponse(res.cloneMessage() as peer.Response);
    pr.setPayload(prp.serializeBinary());
    pr.setEndorsement(endorsement);
    return pr;
}

export type Script = (org: string) => EndorserOutcome | Promise<EndorserOutcome>;

export class FakeEndorser implements EndorserClient {
    calls = 0;
    constructor(
        readonly mspId: string,
        private script: Script,
    ) {}
    get address(): string {
        return `peer0.${this.mspId.toLowerCase()}:7051`;
    }
    async processProposal(): Promise<EndorserOutcome> {
        this.calls++;
        return this.script(this.mspId);
    }
    close(): void {}
}

export function registryOf(script: Script, local = 'SeoulMSP'): { registry: EndorserRegistry; endorsers: Map<string, FakeEndorser> } {
    const endorsers = new Map(ORGS.map((o) => [o, new FakeEndorser(o, script)]));
    const registry = new EndorserRegistry(
        endorsers.get(local)!,
        ORGS.filter((o) => o !== local).map((o) => endorsers.get(o)!),
        ORGS,
    );
    return { registry, endorsers };
}

/** A block with endorser transactions (tx ids, validation codes, optional events). */
export function block(
    number: number,
    txs: { txId: string; code?: number; chaincode?: string; event?: { chaincode?: string; name: string; payload?: string } }[],
): common.Block {
    const b = new common.Block();
    const header = new common.BlockHeader();
    header.setNumber(number);
    b.setHeader(header);
    const data = new common.BlockData();
    data.setDataList(
        txs.map((tx) => {
            const ch = new common.ChannelHeader();
            ch.setType(common.HeaderType.ENDORSER_TRANSACTION);
            ch.setChannelId(CHANNEL);
            ch.setTxId(tx.txId);
            if (tx.chaincode) {
                const id = new peer.ChaincodeID();
                id.setName(tx.chaincode);
                const ext = new peer.ChaincodeHeaderExtension();
                ext.setChaincodeId(id);
                ch.setExtension$(ext.serializeBinary());
            }
            const h = new common.Header();
            h.setChannelHeader(ch.serializeBinary());
            h.setSignatureHeader(new common.SignatureHeader().serializeBinary());
            const action = new peer.ChaincodeAction();
            if (tx.event) {
                const ev = new peer.ChaincodeEvent();
                ev.setChaincodeId(tx.event.chaincode ?? 'citizencard');
                ev.setEventName(tx.event.name);
                ev.setPayload(Buffer.from(tx.event.payload ?? 'p'));
                ev.setTxId(tx.txId);
                action.setEvents(ev.serializeBinary());
            }
            const prp = new peer.ProposalResponsePayload();
            prp.setExtension$(action.serializeBinary());
            const cea = new peer.ChaincodeEndorsedAction();
            cea.setProposalResponsePayload(prp.serializeBinary());
            const cap = new peer.ChaincodeActionPayload();
            cap.setAction(cea);
            const ta = new peer.TransactionAction();
            ta.setPayload(cap.serializeBinary());
            const t = new peer.Transaction();
            t.setActionsList([ta]);
            const payload = new common.Payload();
            payload.setHeader(h);
            payload.setData(t.serializeBinary());
            const env = new common.Envelope();
            env.setPayload(payload.serializeBinary());
            return env.serializeBinary();
        }),
    );
    b.setData(data);
    const md = new common.BlockMetadata();
    md.setMetadataList([
        new Uint8Array(0),
        new Uint8Array(0),
        Uint8Array.from(txs.map((t) => t.code ?? 0)),
        new Uint8Array(0),
        new Uint8Array(0),
    ]);
    b.setMetadata(md);
    return b;
}

/** In-memory block store with the parts the gateway uses. */
export class FakeBlockStore {
    readonly list: common.Block[] = [];
    readonly #waiters: { n: number; resolve: () => void }[] = [];

    get height(): number {
        return this.list.length;
    }

    async getBlock(n: number): Promise<common.Block | undefined> {
        return this.list[n];
    }

    async getTxLocation(txId: string): Promise<TxLocation | undefined> {
        for (const b of this.list) {
            const data = b.getData()!.getDataList_asU8();
            for (let i = 0; i < data.length; i++) {
                const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(data[i]).getPayload_asU8());
                const ch = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
                if (ch.getTxId() === txId) {
                    return {
                        blockNumber: b.getHeader()!.getNumber(),
                        txNumber: i,
                        validationCode: b.getMetadata()!.getMetadataList_asU8()[2][i],
                    };
                }
            }
        }
        return undefined;
    }

    waitForBlock(n: number, signal?: AbortSignal): Promise<void> {
        return new Promise<void>((resolve, reject) => {
            if (this.list.length > n) return resolve();
            this.#waiters.push({ n, resolve });
            signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
    }

    append(b: common.Block): void {
        this.list.push(b);
        for (const w of this.#waiters.splice(0)) {
            if (this.list.length > w.n) w.resolve();
            else this.#waiters.push(w);
        }
    }
}

/** In-memory ledger: commit() appends a block and notifies listeners, as the peer ledger does. */
export class FakeLedger implements GatewayLedger {
    readonly store = new FakeBlockStore();
    readonly #listeners = new Set<(e: CommitEvent) => void>();
    definitions = new Map<string, ChaincodeDefinition>([['citizencard', citizencard]]);

    get blocks(): GatewayLedger['blocks'] {
        return this.store as unknown as GatewayLedger['blocks'];
    }

    commit(b: common.Block): void {
        this.store.append(b);
        this.notify(b);
    }

    /** The second half of a commit: state applied, listeners told. */
    notify(b: common.Block): void {
        const codes = Array.from(b.getMetadata()!.getMetadataList_asU8()[2]);
        for (const l of this.#listeners) l({ block: b, validationCodes: codes, privateData: new Map() });
    }

    async chaincodeDefinition(name: string): Promise<ChaincodeDefinition | undefined> {
        return this.definitions.get(name);
    }

    onCommit(listener: (e: CommitEvent) => void): () => void {
        this.#listeners.add(listener);
        return () => this.#listeners.delete(listener);
    }
}

export class FakeOrderer implements Broadcaster {
    readonly mspId = 'SeoulMSP';
    readonly address = 'orderer:7050';
    sent: common.Envelope[] = [];
    constructor(
        private answer: (env: common.Envelope) => orderer.BroadcastResponse | Error = () => broadcastResponse(common.Status.SUCCESS),
    ) {}
    async broadcast(env: common.Envelope): Promise<orderer.BroadcastResponse> {
        this.sent.push(env);
        const a = this.answer(env);
        if (a instanceof Error) throw a;
        return a;
    }
    close(): void {}
}

export function broadcastResponse(status: number, info = ''): orderer.BroadcastResponse {
    const r = new orderer.BroadcastResponse();
    r.setStatus(status as common.StatusMap[keyof common.StatusMap]);
    r.setInfo(info);
    return r;
}

export function endorseRequest(sp: peer.SignedProposal, orgs: string[] = []): gateway.EndorseRequest {
    const r = new gateway.EndorseRequest();
    r.setTransactionId('tx1');
    r.setChannelId(CHANNEL);
    r.setProposedTransaction(sp);
    r.setEndorsingOrganizationsList(orgs);
    return r;
}

export function evaluateRequest(sp: peer.SignedProposal, orgs: string[] = []): gateway.EvaluateRequest {
    const r = new gateway.EvaluateRequest();
    r.setTransactionId('tx1');
    r.setChannelId(CHANNEL);
    r.setProposedTransaction(sp);
    r.setTargetOrganizationsList(orgs);
    return r;
}
