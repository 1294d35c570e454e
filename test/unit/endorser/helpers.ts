// Fixtures of the chaincode support and endorser tests: throwaway identities (self-signed
// certificates with Fabric CA attributes), an in-memory ledger and TxSimulator, signed proposals,
// and a real fabric-shim chaincode server run as a child process.
import type { CollectionConfig } from '../../../network/client/topology';
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as net from 'node:net';
import * as path from 'node:path';
import { common, ledger as ledgerpb, msp, peer } from '@hyperledger/fabric-protos';
import * as x509 from '@peculiar/x509';
import { exitOf } from '../../deadline';
import type { SignedData } from '../../../network/devnet/common/policies';
import type { BlockStore, TxLocation } from '../../../network/devnet/common/ledger/blkstorage';
import { newSigningIdentity, SigningIdentity } from '../../../network/devnet/msp/identity';
import type { Role, VerifiedIdentity } from '../../../network/devnet/msp/msp';
import type {
    ChaincodeDefinition,
    CommitEvent,
    HistoryEntry,
    KV,
    PeerLedger,
    QueryExecutor,
    RangePage,
    SimulationResults,
    TxSimulator,
} from '../../../network/devnet/peer/ledger/types';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const REPO = path.resolve(__dirname, '..', '..', '..', '..');
export const CHANNEL = 'testchannel';

// ---- identities ----

export interface TestIdentity {
    signer: SigningIdentity;
    verified: VerifiedIdentity;
    publicKey: crypto.KeyObject;
}

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export async function makeIdentity(
    mspId: string,
    role: Role,
    attrs: Record<string, string> = {},
    validity: { notBefore: Date; notAfter: Date } = { notBefore: new Date(Date.now() - 60000), notAfter: new Date(Date.now() + 86400000) },
): Promise<TestIdentity> {
    const keys = await crypto.webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
    const subject = `CN=test-${crypto.randomBytes(3).toString('hex')}, OU=${role}, O=${mspId}`;
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: crypto.randomBytes(8).toString('hex'),
        name: subject,
        ...validity,
        keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
        signingAlgorithm: ALG,
        extensions: [new x509.Extension('1.2.3.4.5.6.7.8.1', false, Buffer.from(JSON.stringify({ attrs })))],
    });
    const pkcs8 = await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
    const keyPem = crypto
        .createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' })
        .export({ format: 'pem', type: 'pkcs8' }) as string;
    const certPem = cert.toString('pem') + '\n';
    return {
        signer: newSigningIdentity(mspId, certPem, keyPem),
        verified: { mspId, certificatePem: certPem, role, subject, attrs },
        publicKey: crypto.createPublicKey(certPem),
    };
}

/** Stands for the channel's MspManager: knows the test identities, verifies their signatures. */
export class FakeMsps {
    readonly #known = new Map<string, TestIdentity>();
    add(...ids: TestIdentity[]): this {
        for (const id of ids) this.#known.set(Buffer.from(id.signer.serialize()).toString('hex'), id);
        return this;
    }
    verify(serialized: Uint8Array, data: Uint8Array, signature: Uint8Array): VerifiedIdentity {
        const id = this.#known.get(Buffer.from(serialized).toString('hex'));
        if (!id) throw Object.assign(new Error('unknown identity'), { code: 'MSP_UNKNOWN' });
        if (!crypto.verify('sha256', data, id.publicKey, signature))
            throw Object.assign(new Error('bad signature'), { code: 'BAD_SIGNATURE' });
        return id.verified;
    }
}

/** Stands for the PolicyManager: Writers and Readers are every org but the ones listed as outsiders. */
export class FakePolicies {
    readonly evaluated: string[] = [];
    constructor(private readonly outsiders: string[] = []) {}
    evaluate(policy: string, signedData: SignedData[]): { ok: boolean; reason?: string } {
        this.evaluated.push(policy);
        const mspId = msp.SerializedIdentity.deserializeBinary(signedData[0].identity).getMspid();
        if (this.outsiders.includes(mspId)) return { ok: false, reason: `signature set did not satisfy policy (${mspId})` };
        return { ok: true };
    }
}

/** Collection membership by the orgs named in the policy text. */
export const memberOfPolicy = (policy: string, identity: VerifiedIdentity): boolean => policy.includes(`'${identity.mspId}.`);

// ---- an in-memory ledger ----

interface Versioned {
    value: Uint8Array;
    metadata?: Record<string, Uint8Array>;
}

export class MemoryState {
    readonly public = new Map<string, Versioned>();
    readonly private = new Map<string, Uint8Array>();
    readonly history = new Map<string, HistoryEntry[]>();
    readonly rangeCalls: { ns: string; startKey: string; endKey: string; pageSize: number; bookmark: string }[] = [];
}

const k = (...parts: string[]) => parts.join('\u0000');

export class MemorySimulator implements TxSimulator {
    readonly writes = new Map<string, Uint8Array | null>();
    readonly metadataWrites = new Map<string, Record<string, Uint8Array>>();
    readonly privateWrites = new Map<string, Uint8Array | null>();
    readonly purges: string[] = [];
    /** Keys read by GetPrivateDataHash (ns, collection, key joined by NUL), in order. */
    readonly hashReads: string[] = [];

    constructor(
        readonly txId: string,
        private readonly state: MemoryState,
    ) {}

    async getState(ns: string, key: string) {
        return this.state.public.get(k(ns, key))?.value;
    }
    async getStateMetadata(ns: string, key: string) {
        return this.state.public.get(k(ns, key))?.metadata;
    }
    async getStateRange(ns: string, startKey: string, endKey: string, pageSize: number, bookmark: string): Promise<RangePage> {
        this.state.rangeCalls.push({ ns, startKey, endKey, pageSize, bookmark });
        const from = bookmark && bookmark > startKey ? bookmark : startKey;
        const all: KV[] = [...this.state.public.entries()]
            .filter(([key]) => key.startsWith(ns + '\u0000'))
            .map(([key, v]) => ({ key: key.slice(ns.length + 1), value: v.value }))
            .filter((kv) => kv.key >= from && (endKey === '' || kv.key < endKey))
            .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const results = pageSize > 0 ? all.slice(0, pageSize) : all;
        const hasMore = pageSize > 0 && all.length > pageSize;
        return { results, hasMore, bookmark: hasMore ? all[pageSize].key : '', fetchedRecordsCount: results.length };
    }
    async getPrivateData(ns: string, collection: string, key: string) {
        return this.state.private.get(k(ns, collection, key));
    }
    async getPrivateDataHash(ns: string, collection: string, key: string) {
        this.hashReads.push(k(ns, collection, key));
        const value = this.state.private.get(k(ns, collection, key));
        return value ? new Uint8Array(crypto.createHash('sha256').update(value).digest()) : undefined;
    }
    async getPrivateDataRange(ns: string, collection: string, startKey: string, endKey: string): Promise<RangePage> {
        const prefix = k(ns, collection) + '\u0000';
        const results = [...this.state.private.entries()]
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => ({ key: key.slice(prefix.length), value }))
            .filter((kv) => kv.key >= startKey && (endKey === '' || kv.key < endKey))
            .sort((a, b) => (a.key < b.key ? -1 : 1));
        return { results, hasMore: false, bookmark: '', fetchedRecordsCount: results.length };
    }
    async getHistoryForKey(ns: string, key: string) {
        return this.state.history.get(k(ns, key)) ?? [];
    }
    putState(ns: string, key: string, value: Uint8Array) {
        this.writes.set(k(ns, key), value);
    }
    deleteState(ns: string, key: string) {
        this.writes.set(k(ns, key), null);
    }
    setStateMetadata(ns: string, key: string, metadata: Record<string, Uint8Array>) {
        this.metadataWrites.set(k(ns, key), metadata);
    }
    putPrivateData(ns: string, collection: string, key: string, value: Uint8Array) {
        this.privateWrites.set(k(ns, collection, key), value);
    }
    deletePrivateData(ns: string, collection: string, key: string) {
        this.privateWrites.set(k(ns, collection, key), null);
    }
    purgePrivateData(ns: string, collection: string, key: string) {
        this.purges.push(k(ns, collection, key));
    }
    results(): SimulationResults {
        const byNs = new Map<string, { writes: ledgerpb.rwset.kvrwset.KVWrite[]; colls: Map<string, ledgerpb.rwset.kvrwset.KVWrite[]> }>();
        const entry = (ns: string) => {
            if (!byNs.has(ns)) byNs.set(ns, { writes: [], colls: new Map() });
            return byNs.get(ns)!;
        };
        const kvWrite = (key: string, value: Uint8Array | null) => {
            const w = new ledgerpb.rwset.kvrwset.KVWrite();
            w.setKey(key);
            if (value) w.setValue(value);
            else w.setIsDelete(true);
            return w;
        };
        for (const [key, value] of this.writes) {
            const [ns, name] = key.split('\u0000');
            entry(ns).writes.push(kvWrite(name, value));
        }
        const written: { ns: string; collection: string }[] = [];
        for (const [key, value] of this.privateWrites) {
            const [ns, coll, name] = key.split('\u0000');
            const colls = entry(ns).colls;
            if (!colls.has(coll)) {
                colls.set(coll, []);
                written.push({ ns, collection: coll });
            }
            colls.get(coll)!.push(kvWrite(name, value));
        }
        const pub = new ledgerpb.rwset.TxReadWriteSet();
        const pvt = new ledgerpb.rwset.TxPvtReadWriteSet();
        for (const [ns, { writes, colls }] of byNs) {
            const kv = new ledgerpb.rwset.kvrwset.KVRWSet();
            kv.setWritesList(writes);
            const nsRw = new ledgerpb.rwset.NsReadWriteSet();
            nsRw.setNamespace(ns);
            nsRw.setRwset(kv.serializeBinary());
            if (colls.size > 0) {
                const nsPvt = new ledgerpb.rwset.NsPvtReadWriteSet();
                nsPvt.setNamespace(ns);
                for (const [coll, ws] of colls) {
                    const hashed = new ledgerpb.rwset.CollectionHashedReadWriteSet();
                    hashed.setCollectionName(coll);
                    nsRw.addCollectionHashedRwset(hashed);
                    const pk = new ledgerpb.rwset.kvrwset.KVRWSet();
                    pk.setWritesList(ws);
                    const c = new ledgerpb.rwset.CollectionPvtReadWriteSet();
                    c.setCollectionName(coll);
                    c.setRwset(pk.serializeBinary());
                    nsPvt.addCollectionPvtRwset(c);
                }
                pvt.addNsPvtRwset(nsPvt);
            }
            pub.addNsRwset(nsRw);
        }
        return { public: pub, private: written.length > 0 ? pvt : undefined, writtenCollections: written };
    }
}

export class MemoryLedger {
    readonly state = new MemoryState();
    readonly definitions = new Map<string, ChaincodeDefinition>();
    readonly committedTxIds = new Map<string, TxLocation>();
    readonly transient = new Map<string, ledgerpb.rwset.TxPvtReadWriteSet>();
    readonly simulators: MemorySimulator[] = [];
    readonly blockList: common.Block[] = [];
    readonly channelId = CHANNEL;

    get height(): number {
        return this.blockList.length;
    }

    get blocks(): BlockStore {
        const self = this;
        const store = {
            get height() {
                return self.blockList.length;
            },
            get lastBlockHash() {
                return new Uint8Array([7, 7, 7]);
            },
            getBlock: async (n: number) => self.blockList[n],
            getBlockByHash: async () => undefined,
            getTxLocation: async (txId: string) => self.committedTxIds.get(txId),
        };
        return store as unknown as BlockStore;
    }

    newTxSimulator(txId: string): TxSimulator {
        const sim = new MemorySimulator(txId, this.state);
        this.simulators.push(sim);
        return sim;
    }
    newQueryExecutor(): QueryExecutor {
        return new MemorySimulator('', this.state);
    }
    async chaincodeDefinition(name: string) {
        return this.definitions.get(name);
    }
    async chaincodeDefinitions() {
        return [...this.definitions.values()];
    }
    persistTransient(txId: string, pvt: ledgerpb.rwset.TxPvtReadWriteSet) {
        this.transient.set(txId, pvt);
    }
    /** Applies a simulator's writes as if its transaction had committed. */
    apply(sim: MemorySimulator): void {
        for (const [key, value] of sim.writes) {
            if (value) this.state.public.set(key, { ...this.state.public.get(key), value });
            else this.state.public.delete(key);
        }
        for (const [key, metadata] of sim.metadataWrites) {
            const current = this.state.public.get(key);
            if (current) current.metadata = metadata;
        }
        for (const [key, value] of sim.privateWrites) {
            if (value) this.state.private.set(key, value);
            else this.state.private.delete(key);
        }
    }
    asPeerLedger(): PeerLedger {
        const unsupported = async () => {
            throw new Error('not in the memory ledger');
        };
        return Object.assign(this, {
            commit: unsupported as unknown as (b: common.Block) => Promise<CommitEvent>,
            onCommit: () => () => undefined,
            privateDataForBlock: unsupported as unknown as PeerLedger['privateDataForBlock'],
            stateDigest: async () => '',
            close: async () => undefined,
        }) as unknown as PeerLedger;
    }
}

// ---- proposals ----

export interface ProposalSpec {
    signer: SigningIdentity;
    chaincode: string;
    args: (string | Uint8Array)[];
    channel?: string;
    transient?: Record<string, string>;
    headerType?: number;
    txId?: string;
    nonce?: Uint8Array;
}

export function signedProposal(spec: ProposalSpec): {
    sp: peer.SignedProposal;
    txId: string;
    proposal: peer.Proposal;
    input: peer.ChaincodeInput;
} {
    const creator = spec.signer.serialize();
    const nonce = spec.nonce ?? crypto.randomBytes(24);
    const txId = spec.txId ?? crypto.createHash('sha256').update(nonce).update(creator).digest('hex');
    const ccId = new peer.ChaincodeID();
    ccId.setName(spec.chaincode);
    const ext = new peer.ChaincodeHeaderExtension();
    ext.setChaincodeId(ccId);
    const ch = new common.ChannelHeader();
    ch.setType(spec.headerType ?? common.HeaderType.ENDORSER_TRANSACTION);
    ch.setChannelId(spec.channel ?? CHANNEL);
    ch.setTxId(txId);
    ch.setExtension$(ext.serializeBinary());
    const ts = new (require('google-protobuf/google/protobuf/timestamp_pb').Timestamp)();
    ts.fromDate(new Date());
    ch.setTimestamp(ts);
    const sh = new common.SignatureHeader();
    sh.setCreator(creator);
    sh.setNonce(nonce);
    const header = new common.Header();
    header.setChannelHeader(ch.serializeBinary());
    header.setSignatureHeader(sh.serializeBinary());
    const input = new peer.ChaincodeInput();
    input.setArgsList(spec.args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a)));
    const cspec = new peer.ChaincodeSpec();
    cspec.setType(peer.ChaincodeSpec.Type.NODE);
    cspec.setChaincodeId(ccId);
    cspec.setInput(input);
    const cis = new peer.ChaincodeInvocationSpec();
    cis.setChaincodeSpec(cspec);
    const payload = new peer.ChaincodeProposalPayload();
    payload.setInput(cis.serializeBinary());
    for (const [key, value] of Object.entries(spec.transient ?? {})) payload.getTransientmapMap().set(key, Buffer.from(value));
    const proposal = new peer.Proposal();
    proposal.setHeader(header.serializeBinary());
    proposal.setPayload(payload.serializeBinary());
    const bytes = proposal.serializeBinary();
    const sp = new peer.SignedProposal();
    sp.setProposalBytes(bytes);
    sp.setSignature(spec.signer.sign(bytes));
    return { sp, txId, proposal, input };
}

// ---- a real chaincode server ----

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.listen(0, '127.0.0.1', () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
        server.on('error', reject);
    });
}

/** Starts `fabric-chaincode-node server` on the test contract, as the devnet does for each chaincode (`extra`: its TLS options). */
export function startChaincodeServer(port: number, ccid: string, extra: string[] = []): ChildProcess {
    const bin = path.join(REPO, 'node_modules', 'fabric-shim', 'cli.js');
    return spawn(
        process.execPath,
        [
            bin,
            'server',
            '--chaincode-address',
            `127.0.0.1:${port}`,
            '--chaincode-id',
            ccid,
            '--module-path',
            path.join(REPO, 'test', 'unit', 'endorser', 'fixtures'),
            ...extra,
        ],
        {
            stdio: ['ignore', 'ignore', process.env.SHIM_LOGS ? 'inherit' : 'ignore'],
            env: { ...process.env, CORE_CHAINCODE_LOGGING_LEVEL: 'error' },
        },
    );
}

export async function stopChaincodeServer(child: ChildProcess | undefined): Promise<void> {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = exitOf(child, 'the chaincode server (SIGKILL)', 10_000);
    child.kill('SIGKILL');
    await exited;
}

/** The test chaincode of these tests (fixtures/) and its collections. */
export const CC = 'shimtest';
export const COLLECTIONS: CollectionConfig[] = [
    {
        name: 'seoulOnly',
        policy: "OR('SeoulMSP.member')",
        requiredPeerCount: 0,
        maxPeerCount: 0,
        blockToLive: 0,
        memberOnlyRead: true,
        memberOnlyWrite: true,
    },
    {
        name: 'open',
        policy: "OR('SeoulMSP.member')",
        requiredPeerCount: 0,
        maxPeerCount: 0,
        blockToLive: 0,
        memberOnlyRead: false,
        memberOnlyWrite: false,
    },
];
