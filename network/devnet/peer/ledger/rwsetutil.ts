// Read-write set helpers (core/ledger/kvledger/txmgmt/rwsetutil): parsing a transaction of a
// block down to its read-write set, and the hashing rules of private data.
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { sha256 } from './pvtdatastore';

/** One namespace of a transaction's read-write set, parsed. */
export interface NsRwSet {
    ns: string;
    kv: ledger.rwset.kvrwset.KVRWSet;
    colls: CollHashedRwSet[];
}

export interface CollHashedRwSet {
    coll: string;
    hashed: ledger.rwset.kvrwset.HashedRWSet;
    pvtRwsetHash: Uint8Array;
}

/** An endorser transaction, taken apart (each step throws a code-carrying error). */
export interface ParsedEndorserTx {
    envelope: common.Envelope;
    payload: common.Payload;
    channelHeader: common.ChannelHeader;
    signatureHeader: common.SignatureHeader;
    action: peer.TransactionAction;
    actionPayload: peer.ChaincodeActionPayload;
    proposalResponsePayload: peer.ProposalResponsePayload;
    chaincodeAction: peer.ChaincodeAction;
    rwsets: NsRwSet[];
}

/** A refusal with the TxValidationCode it maps to. */
export class TxInvalid extends Error {
    constructor(
        readonly code: number,
        message: string,
    ) {
        super(message);
    }
}

const C = peer.TxValidationCode;

function attempt<T>(code: number, what: string, f: () => T): T {
    try {
        return f();
    } catch (e) {
        if (e instanceof TxInvalid) throw e;
        throw new TxInvalid(code, `${what}: ${(e as Error).message}`);
    }
}

export function parseTxRwSet(bytes: Uint8Array): NsRwSet[] {
    const txrw = ledger.rwset.TxReadWriteSet.deserializeBinary(bytes);
    return txrw.getNsRwsetList().map((n) => ({
        ns: n.getNamespace(),
        kv: ledger.rwset.kvrwset.KVRWSet.deserializeBinary(n.getRwset_asU8()),
        colls: n.getCollectionHashedRwsetList().map((c) => ({
            coll: c.getCollectionName(),
            hashed: ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(c.getHashedRwset_asU8()),
            pvtRwsetHash: c.getPvtRwsetHash_asU8(),
        })),
    }));
}

/** The envelope down to its header (codes NIL_ENVELOPE, BAD_PAYLOAD, BAD_COMMON_HEADER). */
export function parseEnvelopeHeader(
    envBytes: Uint8Array | undefined,
): Pick<ParsedEndorserTx, 'envelope' | 'payload' | 'channelHeader' | 'signatureHeader'> {
    if (!envBytes || envBytes.length === 0) throw new TxInvalid(C.NIL_ENVELOPE, 'nil envelope');
    // Fabric: an envelope that does not unmarshal is INVALID_OTHER_REASON (txvalidator v20).
    const envelope = attempt(C.INVALID_OTHER_REASON, 'envelope', () => common.Envelope.deserializeBinary(envBytes));
    const payload = attempt(C.BAD_PAYLOAD, 'payload', () => common.Payload.deserializeBinary(envelope.getPayload_asU8()));
    const header = payload.getHeader();
    if (!header) throw new TxInvalid(C.BAD_COMMON_HEADER, 'missing header');
    const channelHeader = attempt(C.BAD_COMMON_HEADER, 'channel header', () =>
        common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()),
    );
    const signatureHeader = attempt(C.BAD_COMMON_HEADER, 'signature header', () =>
        common.SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8()),
    );
    if (signatureHeader.getCreator_asU8().length === 0) throw new TxInvalid(C.BAD_COMMON_HEADER, 'missing creator');
    if (signatureHeader.getNonce_asU8().length === 0) throw new TxInvalid(C.BAD_COMMON_HEADER, 'missing nonce');
    return { envelope, payload, channelHeader, signatureHeader };
}

/** The endorser transaction parts after the header (INVALID_ENDORSER_TRANSACTION, BAD_RESPONSE_PAYLOAD, BAD_RWSET). */
export function parseEndorserTx(head: ReturnType<typeof parseEnvelopeHeader>): ParsedEndorserTx {
    const tx = attempt(C.INVALID_ENDORSER_TRANSACTION, 'transaction', () =>
        peer.Transaction.deserializeBinary(head.payload.getData_asU8()),
    );
    const actions = tx.getActionsList();
    if (actions.length !== 1)
        throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, `only one action per transaction is supported, tx contains ${actions.length}`);
    const action = actions[0];
    const actionPayload = attempt(C.INVALID_ENDORSER_TRANSACTION, 'chaincode action payload', () =>
        peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()),
    );
    const endorsed = actionPayload.getAction();
    if (!endorsed) throw new TxInvalid(C.INVALID_ENDORSER_TRANSACTION, 'missing endorsed action');
    const proposalResponsePayload = attempt(C.BAD_RESPONSE_PAYLOAD, 'proposal response payload', () =>
        peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8()),
    );
    const chaincodeAction = attempt(C.BAD_RESPONSE_PAYLOAD, 'chaincode action', () =>
        peer.ChaincodeAction.deserializeBinary(proposalResponsePayload.getExtension_asU8()),
    );
    const rwsets = attempt(C.BAD_RWSET, 'read-write set', () => parseTxRwSet(chaincodeAction.getResults_asU8()));
    return { ...head, action, actionPayload, proposalResponsePayload, chaincodeAction, rwsets };
}

/** Fabric's GetProposalHash2: SHA-256(channel header ‖ signature header ‖ chaincode proposal payload). */
export function proposalHash(header: common.Header, chaincodeProposalPayload: Uint8Array): Buffer {
    return sha256(Buffer.concat([header.getChannelHeader_asU8(), header.getSignatureHeader_asU8(), chaincodeProposalPayload]));
}

/** Does the KVWrite delete (Fabric: IsDelete or an empty value, FAB-18386)? */
export function isDelete(w: ledger.rwset.kvrwset.KVWrite): boolean {
    return w.getIsDelete() || w.getValue_asU8().length === 0;
}

const EMPTY_HASH = sha256(new Uint8Array(0));
export function isHashDelete(w: ledger.rwset.kvrwset.KVWriteHash): boolean {
    const vh = Buffer.from(w.getValueHash_asU8());
    return w.getIsDelete() || vh.length === 0 || vh.equals(EMPTY_HASH);
}

export function metadataMap(entries: ledger.rwset.kvrwset.KVMetadataEntry[]): Record<string, Uint8Array> {
    const out: Record<string, Uint8Array> = {};
    for (const e of entries) out[e.getName()] = e.getValue_asU8();
    return out;
}
