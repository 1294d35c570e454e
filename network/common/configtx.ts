// OWNER: helper H2 (orderer). The channel configuration: builds block 0 (a config block holding
// common.Config with the orgs' MSPs, policies, batch settings and capabilities) from the topology
// and the MSP folders, and parses a config block back into what peers and the orderer need.
import { common, msp } from '@hyperledger/fabric-protos';
import { Topology, BatchConfig } from '../topology';

export interface ChannelConfig {
    channelId: string;
    /** Application orgs, in topology order. */
    applicationOrgs: string[];
    ordererOrg: string;
    msps: msp.FabricMSPConfig[];
    /** Every policy by absolute path: /Channel/Writers, /Channel/Application/SeoulMSP/Endorsement, ... */
    policies: Map<string, common.Policy>;
    batch: BatchConfig;
    ordererAddresses: string[];
}

/** Builds the genesis config block (block 0), signed by nobody (Fabric's genesis block is unsigned). */
export declare function buildGenesisBlock(topology: Topology): common.Block;
export declare function parseChannelConfig(configBlock: common.Block): ChannelConfig;
