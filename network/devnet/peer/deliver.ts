// The peer's Deliver service (core/peer/deliverevents.go): Deliver streams full
// blocks (with their transactions filter), DeliverFiltered streams FilteredBlocks (ids, types,
// validation codes, chaincode events without payload), DeliverWithPrivateData adds the private
// write sets this peer keeps, limited to collections the requester's org is a member of. The seek
// loop itself is common/deliver's serveDeliver; access is /Channel/Application/Readers (Event_Block and
// Event_FilteredBlock in Fabric's default ACLs).
import * as grpc from '@grpc/grpc-js';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { DeliverResponder, DeliverSource, serveDeliver } from '../common/deliver';
import { PolicyManager, parseSignaturePolicy, satisfiesSignaturePolicy } from '../common/policies';
import { ParsedEnvelope, envelopeSignedData } from '../common/protoutil';
import { MspManager, VerifiedIdentity } from '../msp/msp';
import { CollectionConfig } from '../../client/topology';
import { chaincodeActions, validationCodeAt } from './gateway/events';
import { PeerLedger } from './ledger/types';
import { Logger, silentLogger } from '../../client/logger';

export const READERS_POLICY = '/Channel/Application/Readers';

export interface DeliverDeps {
    channelId: string;
    ledger: Pick<PeerLedger, 'blocks' | 'privateDataForBlock' | 'chaincodeDefinition'>;
    /** The sequence of the channel config in force (the ledger's, advanced by each config block). */
    configSequence: () => number;
    policies: Pick<PolicyManager, 'evaluate'>;
    msps: Pick<MspManager, 'deserialize'>;
    /** Whether the requester may receive a collection's private data (default: its member policy). */
    collectionAllows?: (collection: CollectionConfig, requester: VerifiedIdentity) => boolean;
    logger?: Logger;
}

type Code = peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap];
type HeaderType = common.HeaderTypeMap[keyof common.HeaderTypeMap];
type StatusCode = common.StatusMap[keyof common.StatusMap];

/** Fabric's toFilteredBlock: per transaction its id, type and validation code, and event names. */
export function toFilteredBlock(block: common.Block): peer.FilteredBlock {
    const filtered = new peer.FilteredBlock();
    filtered.setNumber(Number(block.getHeader()?.getNumber() ?? 0));
    const txs: peer.FilteredTransaction[] = [];
    const data = block.getData()?.getDataList_asU8() ?? [];
    data.forEach((bytes, index) => {
        if (bytes.length === 0) return;
        let payload: common.Payload;
        let ch: common.ChannelHeader;
        try {
            payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
            const header = payload.getHeader();
            if (!header) return;
            ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
        } catch {
            return;
        }
        filtered.setChannelId(ch.getChannelId());
        const ft = new peer.FilteredTransaction();
        ft.setTxid(ch.getTxId());
        ft.setType(ch.getType() as HeaderType);
        ft.setTxValidationCode(validationCodeAt(block, index) as Code);
        if (ch.getType() === common.HeaderType.ENDORSER_TRANSACTION) {
            const actions = new peer.FilteredTransactionActions();
            const list: peer.FilteredChaincodeAction[] = [];
            for (const action of chaincodeActions(payload)) {
                const bytes = action.getEvents_asU8();
                if (bytes.length === 0) continue;
                const event = peer.ChaincodeEvent.deserializeBinary(bytes);
                if (!event.getChaincodeId()) continue;
                // Event payloads stay out of filtered blocks: names and ids only.
                const slim = new peer.ChaincodeEvent();
                slim.setTxId(event.getTxId());
                slim.setChaincodeId(event.getChaincodeId());
                slim.setEventName(event.getEventName());
                const fca = new peer.FilteredChaincodeAction();
                fca.setChaincodeEvent(slim);
                list.push(fca);
            }
            actions.setChaincodeActionsList(list);
            ft.setTransactionActions(actions);
        }
        txs.push(ft);
    });
    filtered.setFilteredTransactionsList(txs);
    return filtered;
}

/** Collection member check: the requester satisfies the collection's member policy. */
export function defaultCollectionAllows(collection: CollectionConfig, requester: VerifiedIdentity): boolean {
    try {
        return satisfiesSignaturePolicy(parseSignaturePolicy(collection.policy), [requester]);
    } catch {
        return false;
    }
}

/**
 * The private write sets of a block that the requester may see: per transaction, only the
 * collections whose member policy the requester satisfies; transactions left empty are dropped.
 */
export async function privateDataFor(
    deps: Pick<DeliverDeps, 'ledger' | 'collectionAllows'>,
    blockNumber: number,
    requester: VerifiedIdentity,
): Promise<Map<number, ledger.rwset.TxPvtReadWriteSet>> {
    const allows = deps.collectionAllows ?? defaultCollectionAllows;
    const kept = await deps.ledger.privateDataForBlock(blockNumber);
    const out = new Map<number, ledger.rwset.TxPvtReadWriteSet>();
    const configs = new Map<string, CollectionConfig[]>();
    const collectionsOf = async (ns: string) => {
        let list = configs.get(ns);
        if (!list) {
            list = (await deps.ledger.chaincodeDefinition(ns))?.collections ?? [];
            configs.set(ns, list);
        }
        return list;
    };
    for (const [txNum, pvt] of kept) {
        const nsList: ledger.rwset.NsPvtReadWriteSet[] = [];
        for (const ns of pvt.getNsPvtRwsetList()) {
            const collections = await collectionsOf(ns.getNamespace());
            const allowed = ns.getCollectionPvtRwsetList().filter((c) => {
                const config = collections.find((cc) => cc.name === c.getCollectionName());
                return config !== undefined && allows(config, requester);
            });
            if (allowed.length === 0) continue;
            const copy = new ledger.rwset.NsPvtReadWriteSet();
            copy.setNamespace(ns.getNamespace());
            copy.setCollectionPvtRwsetList(allowed);
            nsList.push(copy);
        }
        if (nsList.length === 0) continue;
        const tx = new ledger.rwset.TxPvtReadWriteSet();
        tx.setDataModel(pvt.getDataModel());
        tx.setNsPvtRwsetList(nsList);
        out.set(txNum, tx);
    }
    return out;
}

function statusResponse(status: number): peer.DeliverResponse {
    const r = new peer.DeliverResponse();
    r.setStatus(status as StatusCode);
    return r;
}

export function deliverService(deps: DeliverDeps): grpc.UntypedServiceImplementation {
    const log = (deps.logger ?? silentLogger).child({ component: 'deliver' });

    /** A source per stream: it remembers who asked, for the private data filter. */
    const sourceFor = (kind: string): DeliverSource & { requester?: VerifiedIdentity } => {
        const source: DeliverSource & { requester?: VerifiedIdentity } = {
            channelId: deps.channelId,
            blocks: deps.ledger.blocks,
            configSequence: deps.configSequence,
            authorize(seek: ParsedEnvelope): void {
                const signed = envelopeSignedData(seek);
                const result = deps.policies.evaluate(READERS_POLICY, [signed]);
                if (!result.ok) {
                    log.info('deliver request refused', { kind, reason: result.reason });
                    throw new Error(`access denied: ${result.reason ?? `signature set did not satisfy policy ${READERS_POLICY}`}`);
                }
                source.requester = result.signers[0] ?? deps.msps.deserialize(signed.identity);
            },
        };
        return source;
    };

    const blocks: DeliverResponder<peer.DeliverResponse> = {
        block(block) {
            const r = new peer.DeliverResponse();
            r.setBlock(block);
            return r;
        },
        status: statusResponse,
    };
    const filtered: DeliverResponder<peer.DeliverResponse> = {
        block(block) {
            const r = new peer.DeliverResponse();
            r.setFilteredBlock(toFilteredBlock(block));
            return r;
        },
        status: statusResponse,
    };

    return {
        deliver(call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) {
            serveDeliver(call, sourceFor('block'), blocks);
        },
        deliverFiltered(call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) {
            serveDeliver(call, sourceFor('filtered_block'), filtered);
        },
        deliverWithPrivateData(call: grpc.ServerDuplexStream<common.Envelope, peer.DeliverResponse>) {
            const source = sourceFor('block_and_pvtdata');
            const responder: DeliverResponder<peer.DeliverResponse> = {
                async block(block) {
                    const number = Number(block.getHeader()?.getNumber() ?? 0);
                    const bpd = new peer.BlockAndPrivateData();
                    bpd.setBlock(block);
                    if (source.requester) {
                        const map = bpd.getPrivateDataMapMap();
                        for (const [txNum, pvt] of await privateDataFor(deps, number, source.requester)) map.set(txNum, pvt);
                    }
                    const r = new peer.DeliverResponse();
                    r.setBlockAndPrivateData(bpd);
                    return r;
                },
                status: statusResponse,
            };
            serveDeliver(call, source, responder);
        },
    };
}
