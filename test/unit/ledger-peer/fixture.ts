// One fixture for the peer ledger's tests: the topology's crypto (real MSP identities), the
// channel config of its genesis block, ledgers in temporary folders, and builders of endorser
// transactions with real signatures (creator and endorsers), as the gateway assembles them.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { common, peer } from '@hyperledger/fabric-protos';
import { mspFixture, MspFixture } from '../msp/fixture';
import { buildGenesisBlock, parseChannelConfig } from '../../../network/devnet/common/configtx';
import { PolicyManager } from '../../../network/devnet/common/policies';
import {
    blockDataHash,
    blockHeaderHash,
    computeTxId,
    makeChannelHeader,
    makePayload,
    makeSignatureHeader,
    newBlock,
    newNonce,
} from '../../../network/devnet/common/protoutil';
import { SigningIdentity } from '../../../network/devnet/msp/identity';
import { ChannelConfig } from '../../../network/devnet/common/configtx';
import { KvLedger, openPeerLedger, OpenPeerLedgerOptions } from '../../../network/devnet/peer/ledger/kvledger';
import { proposalHash } from '../../../network/devnet/peer/ledger/rwsetutil';
import {
    definitionStruct,
    fieldKey,
    metadataKey,
    NAMESPACES,
    stateData,
    stateMetadata,
    topologyParameters,
} from '../../../network/devnet/peer/scc/lifecycle-state';
import { ChaincodeDefinition, SimulationResults, TxSimulator } from '../../../network/devnet/peer/ledger/types';

export const CC = 'fixture';
export const PRIVATE = 'seoulPrivate';
export const SHARED = 'sharedNoPolicy';

export const definition: ChaincodeDefinition = {
    name: CC,
    version: '1.0',
    sequence: 1,
    endorsementPolicy: 'MAJORITY Endorsement',
    collections: [
        {
            name: PRIVATE,
            policy: "OR('SeoulMSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 0,
            blockToLive: 0,
            memberOnlyRead: true,
            memberOnlyWrite: true,
            endorsementPolicy: { signaturePolicy: "OR('SeoulMSP.peer')" },
        },
        {
            name: SHARED,
            policy: "OR('SeoulMSP.member', 'MOHWMSP.member')",
            requiredPeerCount: 0,
            maxPeerCount: 0,
            blockToLive: 3,
            memberOnlyRead: true,
            memberOnlyWrite: true,
        },
    ],
};

/** The definition as the ledger reads it back: the policy as its channel reference, no org approved it. */
export const committedDefinition: ChaincodeDefinition = {
    ...definition,
    endorsementPolicy: '/Channel/Application/Endorsement',
    localApproval: 'not-approved',
};

/** Writes a chaincode definition to _lifecycle's public state as CommitChaincodeDefinition does (Fabric's layout). */
export function putDefinition(sim: TxSimulator, def: ChaincodeDefinition): void {
    const s = definitionStruct(def.sequence, topologyParameters(def));
    sim.putState('_lifecycle', metadataKey(NAMESPACES, def.name), stateMetadata(s));
    for (const [field, value] of s.fields) sim.putState('_lifecycle', fieldKey(NAMESPACES, def.name, field), stateData(value));
}

export interface LedgerFixture extends MspFixture {
    channelConfig: ChannelConfig;
    policies: PolicyManager;
    genesis: common.Block;
    tmp(): string;
    open(dir: string, mspId: string, extra?: Partial<OpenPeerLedgerOptions>): Promise<KvLedger>;
}

let fixture: Promise<LedgerFixture> | undefined;

export function ledgerFixture(): Promise<LedgerFixture> {
    fixture ??= (async () => {
        const base = await mspFixture();
        const genesis = buildGenesisBlock(base.topology);
        const channelConfig = parseChannelConfig(genesis);
        const policies = new PolicyManager(channelConfig.policies, base.msps);
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ledger-peer-'));
        process.once('exit', () => fs.rmSync(root, { recursive: true, force: true }));
        let n = 0;
        return {
            ...base,
            channelConfig,
            policies,
            genesis,
            tmp: () => {
                const d = path.join(root, `l${n++}`);
                fs.mkdirSync(d);
                return d;
            },
            open: (dir, mspId, extra) => openPeerLedger({ dir, channelConfig, msps: base.msps, policies, mspId, ...extra }),
        };
    })();
    return fixture;
}

/** A transaction under construction: its id is fixed first so the simulator can carry it. */
export interface PendingTx {
    txId: string;
    nonce: Uint8Array;
    creator: SigningIdentity;
}

export function newTx(creator: SigningIdentity): PendingTx {
    const nonce = newNonce();
    return { txId: computeTxId(nonce, creator.serialize()), nonce, creator };
}

export interface EnvelopeOptions {
    ccName?: string;
    ccVersion?: string;
    /** Mutations for refusal tests. */
    tamper?: {
        txId?: string;
        creatorSignature?: boolean;
        endorsementSignature?: boolean;
        channelId?: string;
        respCcName?: string;
        proposalHash?: boolean;
    };
}

/** Assembles a signed endorser transaction envelope (bytes) from simulation results. */
export function envelope(
    tx: PendingTx,
    results: SimulationResults,
    endorsers: SigningIdentity[],
    channelId: string,
    opts: EnvelopeOptions = {},
): Uint8Array {
    const ccName = opts.ccName ?? CC;
    const creatorBytes = tx.creator.serialize();
    const ccId = new peer.ChaincodeID();
    ccId.setName(ccName);
    const ext = new peer.ChaincodeHeaderExtension();
    ext.setChaincodeId(ccId);
    const chdr = makeChannelHeader({
        type: common.HeaderType.ENDORSER_TRANSACTION,
        channelId: opts.tamper?.channelId ?? channelId,
        txId: opts.tamper?.txId ?? tx.txId,
        extension: ext.serializeBinary(),
    });
    const shdr = makeSignatureHeader(creatorBytes, tx.nonce);
    const header = new common.Header();
    header.setChannelHeader(chdr.serializeBinary());
    header.setSignatureHeader(shdr.serializeBinary());

    const input = new peer.ChaincodeInvocationSpec();
    const cpp = new peer.ChaincodeProposalPayload();
    cpp.setInput(input.serializeBinary());
    const cppBytes = cpp.serializeBinary();

    const respCc = new peer.ChaincodeID();
    respCc.setName(opts.tamper?.respCcName ?? ccName);
    respCc.setVersion(opts.ccVersion ?? '1.0');
    const action = new peer.ChaincodeAction();
    action.setResults(results.public.serializeBinary());
    action.setChaincodeId(respCc);
    const response = new peer.Response();
    response.setStatus(200);
    action.setResponse(response);
    const prp = new peer.ProposalResponsePayload();
    const ph = proposalHash(header, cppBytes);
    if (opts.tamper?.proposalHash) ph[0] ^= 1;
    prp.setProposalHash(ph);
    prp.setExtension$(action.serializeBinary());
    const prpBytes = prp.serializeBinary();

    const cea = new peer.ChaincodeEndorsedAction();
    cea.setProposalResponsePayload(prpBytes);
    cea.setEndorsementsList(
        endorsers.map((e) => {
            const en = new peer.Endorsement();
            const id = e.serialize();
            en.setEndorser(id);
            const sig = e.sign(Buffer.concat([prpBytes, id]));
            if (opts.tamper?.endorsementSignature) en.setSignature(e.sign(Buffer.from('something else')));
            else en.setSignature(sig);
            return en;
        }),
    );
    const cap = new peer.ChaincodeActionPayload();
    cap.setChaincodeProposalPayload(cppBytes);
    cap.setAction(cea);
    const ta = new peer.TransactionAction();
    ta.setHeader(shdr.serializeBinary());
    ta.setPayload(cap.serializeBinary());
    const transaction = new peer.Transaction();
    transaction.setActionsList([ta]);

    const payload = makePayload(chdr, shdr, transaction.serializeBinary());
    const payloadBytes = payload.serializeBinary();
    const env = new common.Envelope();
    env.setPayload(payloadBytes);
    env.setSignature(opts.tamper?.creatorSignature ? tx.creator.sign(Buffer.from('not the payload')) : tx.creator.sign(payloadBytes));
    return env.serializeBinary();
}

/** Builds the hash chain after a given block. */
export class Chain {
    private prev: common.Block;
    constructor(start: common.Block) {
        this.prev = start;
    }
    next(envelopes: Uint8Array[]): common.Block {
        const number = this.prev.getHeader()!.getNumber() + 1;
        const block = newBlock(number, blockHeaderHash(this.prev.getHeader()!));
        const data = new common.BlockData();
        data.setDataList(envelopes);
        block.setData(data);
        block.getHeader()!.setDataHash(blockDataHash(data));
        this.prev = block;
        return block;
    }
    /** A fresh copy of a block (commit writes the filter into the block it is given). */
    static copy(block: common.Block): common.Block {
        return common.Block.deserializeBinary(block.serializeBinary());
    }
}

/** Simulates on a ledger and returns a signed envelope endorsed by the given peers. */
export async function simulateTx(
    l: KvLedger,
    creator: SigningIdentity,
    endorsers: SigningIdentity[],
    run: (sim: TxSimulator) => Promise<void> | void,
    opts: EnvelopeOptions & { persistOn?: KvLedger[] } = {},
): Promise<{ txId: string; env: Uint8Array; results: SimulationResults }> {
    const tx = newTx(creator);
    const sim = l.newTxSimulator(tx.txId);
    await run(sim);
    const results = sim.results();
    if (results.private) for (const p of opts.persistOn ?? [l]) p.persistTransient(tx.txId, results.private);
    return { txId: tx.txId, env: envelope(tx, results, endorsers, l.channelId, opts), results };
}
