// Reading transactions and chaincode events out of committed blocks (internal/pkg/gateway/event):
// the gateway's ChaincodeEvents, its commit notifier and the peer's filtered deliver share these.
import { common, peer } from '@hyperledger/fabric-protos';

export interface BlockTransaction {
    /** Position in the block. */
    index: number;
    txId: string;
    type: number;
    validationCode: number;
    /** The chaincode the transaction invoked (ChaincodeHeaderExtension), '' when none. */
    chaincode: string;
    payload: common.Payload;
}

function chaincodeOf(ch: common.ChannelHeader): string {
    const ext = ch.getExtension_asU8();
    if (ch.getType() !== common.HeaderType.ENDORSER_TRANSACTION || ext.length === 0) return '';
    try {
        return peer.ChaincodeHeaderExtension.deserializeBinary(ext).getChaincodeId()?.getName() ?? '';
    } catch {
        return '';
    }
}

/** The validation code of transaction i, from the TRANSACTIONS_FILTER metadata (INVALID_OTHER_REASON when absent). */
export function validationCodeAt(block: common.Block, i: number): number {
    const filter = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
    if (!filter || i >= filter.length) return peer.TxValidationCode.INVALID_OTHER_REASON;
    return filter[i];
}

/** Every transaction of a block with its channel header fields; undecodable envelopes are skipped. */
export function blockTransactions(block: common.Block, validationCodes?: number[]): BlockTransaction[] {
    const out: BlockTransaction[] = [];
    const data = block.getData()?.getDataList_asU8() ?? [];
    data.forEach((bytes, index) => {
        try {
            const envelope = common.Envelope.deserializeBinary(bytes);
            const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
            const header = payload.getHeader();
            if (!header) return;
            const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
            out.push({
                index,
                txId: ch.getTxId(),
                type: ch.getType(),
                validationCode: validationCodes?.[index] ?? validationCodeAt(block, index),
                chaincode: chaincodeOf(ch),
                payload,
            });
        } catch {
            // Not an envelope we can read: it has no events and no id to wait for.
        }
    });
    return out;
}

/** The ChaincodeAction of each action of an endorser transaction (undecodable actions skipped). */
export function chaincodeActions(payload: common.Payload): peer.ChaincodeAction[] {
    const actions: peer.ChaincodeAction[] = [];
    let tx: peer.Transaction;
    try {
        tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
    } catch {
        return actions;
    }
    for (const action of tx.getActionsList()) {
        try {
            const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
            const endorsed = cap.getAction();
            if (!endorsed) continue;
            const prp = peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
            actions.push(peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()));
        } catch {}
    }
    return actions;
}

/** The chaincode event of an action, when it names a chaincode, an event and a transaction. */
export function chaincodeEventOf(action: peer.ChaincodeAction): peer.ChaincodeEvent | undefined {
    const bytes = action.getEvents_asU8();
    if (bytes.length === 0) return undefined;
    try {
        const event = peer.ChaincodeEvent.deserializeBinary(bytes);
        if (!event.getChaincodeId() || !event.getEventName() || !event.getTxId()) return undefined;
        return event;
    } catch {
        return undefined;
    }
}

/** Events of the VALID endorser transactions of a block, in block order. */
export function chaincodeEventsOfBlock(block: common.Block): peer.ChaincodeEvent[] {
    const events: peer.ChaincodeEvent[] = [];
    for (const tx of blockTransactions(block)) {
        if (tx.type !== common.HeaderType.ENDORSER_TRANSACTION || tx.validationCode !== peer.TxValidationCode.VALID) continue;
        for (const action of chaincodeActions(tx.payload)) {
            const event = chaincodeEventOf(action);
            if (event) events.push(event);
        }
    }
    return events;
}
