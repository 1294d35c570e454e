// cscc, the configuration system chaincode (Fabric's core/scc/cscc): the channels this peer has
// joined, a channel's latest config block and config. Arguments as Fabric's: [function, channel
// or block]; access as Fabric's default ACLs (GetChannels: the local MSP's members; the channel
// functions: the channel's Readers; joins: the local MSP's admins). The peer CLI calls it without
// a channel (`peer channel list`). A devnet peer joins its one channel when it starts, so
// JoinChain only ever finds the ledger already there.
import { common, peer } from '@hyperledger/fabric-protos';
import { lastConfigIndex, parseEnvelope } from '../../common/protoutil';
import type { PeerLedger } from '../ledger/types';
import { failure, SccInvocation, SystemChaincode, success, utf8 } from './scc';

export const CSCC = 'cscc';
export const JOIN_CHAIN = 'JoinChain';
export const JOIN_CHAIN_BY_SNAPSHOT = 'JoinChainBySnapshot';
export const JOIN_BY_SNAPSHOT_STATUS = 'JoinBySnapshotStatus';
export const GET_CONFIG_BLOCK = 'GetConfigBlock';
export const GET_CHANNEL_CONFIG = 'GetChannelConfig';
export const GET_CHANNELS = 'GetChannels';

export class Cscc implements SystemChaincode {
    readonly name = CSCC;
    readonly needsSimulator = false;

    constructor(private readonly ledger: PeerLedger) {}

    async invoke(inv: SccInvocation): Promise<peer.Response> {
        const args = inv.args;
        if (args.length < 1) return failure(`Incorrect number of arguments, ${args.length}`);
        const fname = utf8(args[0]);
        if (fname !== GET_CHANNELS && fname !== JOIN_BY_SNAPSHOT_STATUS && args.length < 2) {
            return failure(`Incorrect number of arguments, ${args.length}`);
        }
        const denied = (resource: string, channel: string | undefined, message: (err: string) => string): peer.Response | undefined => {
            try {
                inv.checkACL(`cscc/${resource}`, channel ?? '');
                return undefined;
            } catch (err) {
                return failure(message((err as Error).message));
            }
        };
        switch (fname) {
            case JOIN_CHAIN:
                return this.#joinChain(args[1], denied);
            case JOIN_CHAIN_BY_SNAPSHOT:
                if (args[1].length === 0) return failure('Cannot join the channel, no snapshot directory provided');
                return (
                    denied(fname, undefined, (e) => `access denied for [${fname}]: [${e}]`) ??
                    failure('JOIN_UNSUPPORTED: a devnet peer cannot join a channel from a snapshot')
                );
            case JOIN_BY_SNAPSHOT_STATUS:
                // Nothing is ever being joined from a snapshot: Fabric's answer when idle.
                return (
                    denied(fname, undefined, (e) => `access denied for [${fname}]: ${e}`) ??
                    success(new peer.JoinBySnapshotStatus().serializeBinary())
                );
            case GET_CONFIG_BLOCK: {
                const channel = utf8(args[1]);
                const refusal = denied(fname, channel, (e) => `access denied for [${fname}][${channel}]: ${e}`);
                if (refusal) return refusal;
                if (channel !== this.ledger.channelId) return failure(`Unknown channel ID, ${channel}`);
                return success((await this.#configBlock()).serializeBinary());
            }
            case GET_CHANNEL_CONFIG: {
                const channel = utf8(args[1]);
                if (!channel) return failure('empty channel name provided');
                const refusal = denied(fname, channel, (e) => `access denied for [${fname}][${channel}]: ${e}`);
                if (refusal) return refusal;
                if (channel !== this.ledger.channelId) return failure(`unknown channel ID, ${channel}`);
                return success(channelConfigOf(await this.#configBlock()).serializeBinary());
            }
            case GET_CHANNELS: {
                const refusal = denied(fname, undefined, (e) => `access denied for [${fname}]: ${e}`);
                if (refusal) return refusal;
                const info = new peer.ChannelInfo();
                info.setChannelId(this.ledger.channelId);
                const answer = new peer.ChannelQueryResponse();
                answer.setChannelsList([info]);
                return success(answer.serializeBinary());
            }
            default:
                return failure(`Requested function ${fname} not found.`);
        }
    }

    async #joinChain(
        blockBytes: Uint8Array,
        denied: (resource: string, channel: string | undefined, message: (err: string) => string) => peer.Response | undefined,
    ): Promise<peer.Response> {
        if (blockBytes.length === 0) return failure('Cannot join the channel <nil> configuration block provided');
        let channel: string;
        try {
            const block = common.Block.deserializeBinary(blockBytes);
            const first = block.getData()?.getDataList_asU8()[0];
            if (!first) throw new Error('block data is empty');
            channel = parseEnvelope(first).channelHeader.getChannelId();
        } catch (err) {
            return failure(`"JoinChain" request failed to extract channel id from the block due to [${(err as Error).message}]`);
        }
        const refusal = denied(JOIN_CHAIN, undefined, (e) => `access denied for [${JOIN_CHAIN}][${channel}]: [${e}]`);
        if (refusal) return refusal;
        if (channel === this.ledger.channelId) return failure(`ledger [${channel}] already exists with state [ACTIVE]`);
        return failure(`JOIN_UNSUPPORTED: a devnet peer serves one channel, ${this.ledger.channelId}; it cannot join ${channel}`);
    }

    /** Fabric's ConfigBlockFromLedger: the block the last block's metadata names as the last config. */
    async #configBlock(): Promise<common.Block> {
        const blocks = this.ledger.blocks;
        const last = await blocks.getBlock(blocks.height - 1);
        const config = last ? await blocks.getBlock(lastConfigIndex(last)) : undefined;
        if (!config) throw new Error(`CONFIG_BLOCK_MISSING: no config block in the ledger of ${this.ledger.channelId}`);
        return config;
    }
}

/** The channel's config (common.Config) held by a config block's envelope. */
export function channelConfigOf(block: common.Block): common.Config {
    const envelope = parseEnvelope(block.getData()!.getDataList_asU8()[0]);
    const config = common.ConfigEnvelope.deserializeBinary(envelope.payload.getData_asU8()).getConfig();
    if (!config) throw new Error('CONFIG_BLOCK_INVALID: the config envelope holds no config');
    return config;
}
