// configtx: the genesis block as configtxgen lays it out, and its parse back (round trip through bytes).
import * as fs from 'node:fs';
import { common, orderer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import {
    buildGenesisBlock,
    ConfigTxError,
    configFromBlock,
    goDuration,
    parseChannelConfig,
    parseGoDuration,
} from '../../../network/devnet/common/configtx';
import { blockDataHash, isConfigBlock, lastConfigIndex, parseEnvelope } from '../../../network/devnet/common/protoutil';
import { Topology } from '../../../network/client/topology';
import { shiftedTopology } from './fixture';

describe('configtx', () => {
    let dir: string;
    let topology: Topology;
    before(async function () {
        this.timeout(60000);
        ({ dir, topology } = await shiftedTopology());
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('builds an unsigned CONFIG block 0 with a correct data hash and last config 0', () => {
        const block = common.Block.deserializeBinary(buildGenesisBlock(topology).serializeBinary());
        const header = block.getHeader()!;
        expect(header.getNumber()).to.equal(0);
        expect(header.getPreviousHash_asU8().length).to.equal(0);
        expect(Buffer.from(header.getDataHash_asU8())).to.deep.equal(Buffer.from(blockDataHash(block.getData()!)));
        expect(isConfigBlock(block)).to.equal(true);
        expect(lastConfigIndex(block)).to.equal(0);
        expect(block.getMetadata()!.getMetadataList()).to.have.length(5);
        const env = parseEnvelope(block.getData()!.getDataList_asU8()[0]);
        expect(env.channelHeader.getChannelId()).to.equal(topology.channel);
        expect(env.channelHeader.getTxId()).to.match(/^[0-9a-f]{64}$/);
        expect(env.envelope.getSignature_asU8().length).to.equal(0);
    });

    it('parses back channel, orgs, MSPs, every policy path, batch settings and orderer endpoints', () => {
        const block = common.Block.deserializeBinary(buildGenesisBlock(topology).serializeBinary());
        const cfg = parseChannelConfig(
            block,
            topology.orgs.map((o) => o.mspId),
        );
        expect(cfg.channelId).to.equal('citizencards');
        expect(cfg.applicationOrgs).to.deep.equal(['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP']);
        // The devnet's one ordering node is Seoul's, identified by Seoul's own MSP: no ordering-only org.
        expect(cfg.ordererOrgs).to.deep.equal(['SeoulMSP']);
        expect(cfg.msps.map((m) => m.getName()).sort()).to.deep.equal(['AuditMSP', 'MOHWMSP', 'MOISMSP', 'SeoulMSP']);
        expect(cfg.msps.every((m) => m.getRootCertsList().length === 1 && m.getFabricNodeOus()?.getEnable())).to.equal(true);
        expect(cfg.batch).to.deep.equal(topology.orderer.batch);
        expect(cfg.ordererAddresses).to.deep.equal([`127.0.0.1:${topology.orderer.nodes[0].port}`]);
        expect(cfg.consensusType).to.equal('etcdraft');
        expect(cfg.capabilities).to.deep.equal({ channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_5'] });
        expect(cfg.acls.get('peer/Propose')).to.equal('/Channel/Application/Writers');
        for (const p of [
            '/Channel/Readers',
            '/Channel/Writers',
            '/Channel/Admins',
            '/Channel/Orderer/BlockValidation',
            '/Channel/Orderer/SeoulMSP/Admins',
            '/Channel/Orderer/SeoulMSP/Writers',
            '/Channel/Application/Endorsement',
            '/Channel/Application/LifecycleEndorsement',
            '/Channel/Application/SeoulMSP/Endorsement',
            '/Channel/Application/AuditMSP/Readers',
        ]) {
            expect(cfg.policies.has(p), p).to.equal(true);
        }
        const lifecycle = common.ImplicitMetaPolicy.deserializeBinary(
            cfg.policies.get('/Channel/Application/LifecycleEndorsement')!.getValue_asU8(),
        );
        expect([lifecycle.getRule(), lifecycle.getSubPolicy()]).to.deep.equal([common.ImplicitMetaPolicy.Rule.MAJORITY, 'Endorsement']);
        const endorsement = cfg.policies.get('/Channel/Application/MOISMSP/Endorsement')!;
        expect(endorsement.getType()).to.equal(common.Policy.PolicyType.SIGNATURE);
        const env = common.SignaturePolicyEnvelope.deserializeBinary(endorsement.getValue_asU8());
        expect(env.getIdentitiesList()).to.have.length(1);
    });

    it('writes the etcdraft consenter with the orderer TLS certificate and BatchTimeout as a Go duration', () => {
        const { config } = configFromBlock(buildGenesisBlock(topology));
        const o = config.getChannelGroup()!.getGroupsMap().get('Orderer')!;
        const consensus = orderer.ConsensusType.deserializeBinary(o.getValuesMap().get('ConsensusType')!.getValue_asU8());
        const raft = orderer.etcdraft.ConfigMetadata.deserializeBinary(consensus.getMetadata_asU8());
        expect(raft.getConsentersList()[0].getPort()).to.equal(topology.orderer.nodes[0].port);
        expect(Buffer.from(raft.getConsentersList()[0].getServerTlsCert_asU8()).toString()).to.contain('BEGIN CERTIFICATE');
        expect(orderer.BatchTimeout.deserializeBinary(o.getValuesMap().get('BatchTimeout')!.getValue_asU8()).getTimeout()).to.equal('20ms');
        expect(config.getChannelGroup()!.getValuesMap().get('OrdererAddresses')).to.equal(undefined);
    });

    it('formats and parses Go durations', () => {
        expect([goDuration(20), goDuration(2000), goDuration(1500), goDuration(90000)]).to.deep.equal(['20ms', '2s', '1.5s', '1m30s']);
        expect([parseGoDuration('20ms'), parseGoDuration('2s'), parseGoDuration('1m30s'), parseGoDuration('1.5s')]).to.deep.equal([
            20, 2000, 90000, 1500,
        ]);
        expect(() => parseGoDuration('soon')).to.throw(ConfigTxError, /CONFIG_INVALID/);
    });

    it('refuses a block that is not a config block', () => {
        const block = buildGenesisBlock(topology);
        const data = new common.BlockData();
        data.setDataList([]);
        block.setData(data);
        expect(() => parseChannelConfig(block)).to.throw(ConfigTxError, /NOT_A_CONFIG_BLOCK/);
    });
});
