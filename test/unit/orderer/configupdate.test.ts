// Channel configuration updates through the orderer process, as Fabric v3.1.5 takes them: a fifth
// org added by an update signed by a majority of admins (a config block of its own, the last-config
// pointer moved, sequence + 1), and the refusals, each with Fabric's status and message and no block
// written: too few signatures, a stale read set, a wrong mod_policy, an element the signers may not modify.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import {
    applicationOrgGroup,
    buildGenesisBlock,
    channelConfigOf,
    configFromBlock,
    parseChannelConfig,
} from '../../../network/devnet/common/configtx';
import { ConfigUpdateError, ConfigValidator } from '../../../network/devnet/common/configvalidator';
import { PolicyManager } from '../../../network/devnet/common/policies';
import { MspManager } from '../../../network/devnet/msp/msp';
import { lastConfigIndex, parseEnvelope } from '../../../network/devnet/common/protoutil';
import {
    broadcastEnvelope,
    computeUpdate,
    configUpdateEnvelope,
    fetchBlock,
    fetchConfigBlock,
    signConfigUpdate,
    withApplicationOrg,
    withoutApplicationOrg,
} from '../../../network/commands/configupdate';
import { generateCrypto } from '../../../network/devnet/msp/ca';
import { adminOf, addOrgToTopologyFile } from '../../../network/commands/orgchange';
import { paths, Topology } from '../../../network/client/topology';
import { OrdererProcess, shiftedTopology } from './fixture';

const Status = common.Status;
const NEW_ORG = { mspId: 'MOLEMSP', name: 'Ministry of Employment and Labor', domain: 'mole.example.gov' };
/** Clear of the +200 of the other orderer tests (both move with E2E_PORT_SHIFT). */
const PORT_OFFSET = 250;

describe('orderer: channel configuration updates (CONFIG_UPDATE)', function () {
    this.timeout(60_000);
    let dir: string;
    let t: Topology;
    let proc: OrdererProcess;
    let genesisConfig: common.Config;

    const height = async () => (await fetchBlock(t, adminOf(t, 'SeoulMSP'), 'newest')).getHeader()!.getNumber() + 1;
    /** An update from `base` to `updated`, signed by the admins of `signers` (the last one wraps and sends it). */
    const signed = (base: common.Config, updated: common.Config, signers: string[]) => {
        let envelope = configUpdateEnvelope(t.channel, computeUpdate(t.channel, base, updated));
        for (const mspId of signers) envelope = signConfigUpdate(envelope, t.channel, adminOf(t, mspId));
        return envelope;
    };
    /** Broadcasts the update: refused with BAD_REQUEST and this info, and no block written. */
    const expectRefused = async (envelope: common.Envelope, info: string | RegExp) => {
        const before = await height();
        const answer = await broadcastEnvelope(t, envelope);
        expect(answer.status).to.equal(Status.BAD_REQUEST);
        if (typeof info === 'string') expect(answer.info).to.equal(info);
        else expect(answer.info).to.match(info);
        expect(await height()).to.equal(before);
    };
    const addNewOrg = (base: common.Config) => withApplicationOrg(base, NEW_ORG.mspId, applicationOrgGroup(t, NEW_ORG.mspId));

    before(async () => {
        const fx = await shiftedTopology({ portOffset: PORT_OFFSET });
        dir = fx.dir;
        fs.mkdirSync(path.dirname(paths.genesisBlock(fx.topology)), { recursive: true });
        const genesis = buildGenesisBlock(fx.topology);
        fs.writeFileSync(paths.genesisBlock(fx.topology), genesis.serializeBinary());
        genesisConfig = configFromBlock(genesis).config;
        // The new org's material exists (its machine made it); the channel does not know it yet.
        t = addOrgToTopologyFile(fx.topology, NEW_ORG);
        await generateCrypto(t);
        proc = new OrdererProcess(t, fx.file);
        await proc.start();
    });
    after(async () => {
        await proc?.stop('SIGKILL');
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Given four orgs, an update adding a fifth signed by two admins is refused: BAD_REQUEST, MAJORITY Admins not satisfied, no block', async () => {
        await expectRefused(
            signed(genesisConfig, addNewOrg(genesisConfig), ['SeoulMSP', 'MOISMSP']),
            `error applying config update to existing channel '${t.channel}': error authorizing update: error validating DeltaSet: ` +
                "policy for [Group]  /Channel/Application not satisfied: implicit policy evaluation failed - 2 sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies to be satisfied",
        );
    });

    it('an update signed twice by the same admin counts that admin once', async () => {
        const answer = await broadcastEnvelope(t, signed(genesisConfig, addNewOrg(genesisConfig), ['SeoulMSP', 'MOISMSP', 'MOISMSP']));
        expect(answer.status).to.equal(Status.BAD_REQUEST);
        expect(answer.info).to.contain('2 sub-policies were satisfied, but this policy requires 3');
    });

    it('an update whose new org group has no mod_policy is refused, whoever signs it', async () => {
        const group = applicationOrgGroup(t, NEW_ORG.mspId);
        group.setModPolicy('');
        const updated = withApplicationOrg(genesisConfig, NEW_ORG.mspId, group);
        await expectRefused(
            signed(genesisConfig, updated, ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP']),
            /error validating DeltaSet: invalid mod_policy for element \[Group\] {2}\/Channel\/Application\/MOLEMSP: mod_policy not set$/,
        );
    });

    it("an update changing SeoulMSP's Readers policy signed by the three other admins is refused: its mod_policy is SeoulMSP's Admins", async () => {
        const updated = common.Config.deserializeBinary(genesisConfig.serializeBinary());
        const seoul = updated.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('SeoulMSP')!;
        seoul.getPoliciesMap().set('Readers', seoul.getPoliciesMap().get('Writers')!);
        seoul.getPoliciesMap().get('Readers')!.setModPolicy('Writers');
        await expectRefused(
            signed(genesisConfig, updated, ['MOISMSP', 'MOHWMSP', 'AuditMSP']),
            /policy for \[Policy\] \/Channel\/Application\/SeoulMSP\/Readers not satisfied: signature set did not satisfy policy$/,
        );
    });

    it('a peer re-checks a config block: its update must be authorized and produce exactly its config (ValidatorImpl.Validate)', () => {
        const details = channelConfigOf(t.channel, genesisConfig);
        const validator = new ConfigValidator(t.channel, genesisConfig, new PolicyManager(details.policies, new MspManager(details.msps)));
        const envelopeOf = (signers: string[], config: common.Config) => {
            const configEnvelope = new common.ConfigEnvelope();
            const next = common.Config.deserializeBinary(config.serializeBinary());
            next.setSequence(1);
            configEnvelope.setConfig(next);
            configEnvelope.setLastUpdate(signed(genesisConfig, addNewOrg(genesisConfig), signers));
            return configEnvelope;
        };
        const proposed = validator.proposeConfigUpdate(signed(genesisConfig, addNewOrg(genesisConfig), ['SeoulMSP', 'MOISMSP', 'MOHWMSP']));
        expect(() => validator.validate(proposed)).to.not.throw();
        expect(() => validator.validate(envelopeOf(['SeoulMSP', 'MOISMSP'], proposed.getConfig()!))).to.throw(
            ConfigUpdateError,
            /policy for \[Group\] {2}\/Channel\/Application not satisfied/,
        );
        // The same signed update next to a config it does not produce (the new org left out).
        expect(() => validator.validate(envelopeOf(['SeoulMSP', 'MOISMSP', 'MOHWMSP'], genesisConfig))).to.throw(
            ConfigUpdateError,
            'ConfigEnvelope LastUpdate did not produce the supplied config result',
        );
    });

    it('an update signed by three of four admins is ordered: a config block of its own, sequence 1, five orgs, the last-config pointer on it', async () => {
        const before = await height();
        const answer = await broadcastEnvelope(t, signed(genesisConfig, addNewOrg(genesisConfig), ['SeoulMSP', 'MOISMSP', 'MOHWMSP']));
        expect(answer).to.deep.equal({ status: Status.SUCCESS, info: '' });
        expect(await height()).to.equal(before + 1);
        const block = await fetchConfigBlock(t, adminOf(t, 'SeoulMSP'));
        expect(block.getHeader()!.getNumber()).to.equal(before);
        expect(block.getData()!.getDataList().length).to.equal(1);
        expect(parseEnvelope(block.getData()!.getDataList_asU8()[0]).channelHeader.getType()).to.equal(common.HeaderType.CONFIG);
        expect(lastConfigIndex(block)).to.equal(before);
        const config = parseChannelConfig(block);
        expect(config.sequence).to.equal(1);
        expect(config.applicationOrgs).to.have.members(['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP', 'MOLEMSP']);
        // The new org's admin is a reader of the channel now.
        expect((await fetchBlock(t, adminOf(t, 'MOLEMSP'), 'newest')).getHeader()!.getNumber()).to.equal(before);
    });

    it('an update built on the config before that one is refused: the read set is stale', async () => {
        await expectRefused(
            signed(genesisConfig, withoutApplicationOrg(genesisConfig, 'AuditMSP'), ['SeoulMSP', 'MOISMSP', 'MOHWMSP']),
            `error applying config update to existing channel '${t.channel}': error authorizing update: error validating ReadSet: ` +
                'proposed update requires that key [Group]  /Channel/Application be at version 0, but it is currently at version 1',
        );
    });

    it('with five orgs MAJORITY is three: a removal signed by two is refused, by three (one of them the new org) ordered', async () => {
        const current = configFromBlock(await fetchConfigBlock(t, adminOf(t, 'SeoulMSP'))).config;
        const removal = withoutApplicationOrg(current, 'AuditMSP');
        const refused = await broadcastEnvelope(t, signed(current, removal, ['SeoulMSP', 'MOLEMSP']));
        expect(refused.info).to.contain('2 sub-policies were satisfied, but this policy requires 3');
        const accepted = await broadcastEnvelope(t, signed(current, removal, ['SeoulMSP', 'MOISMSP', 'MOLEMSP']));
        expect(accepted.status).to.equal(Status.SUCCESS);
        expect(parseChannelConfig(await fetchConfigBlock(t, adminOf(t, 'SeoulMSP'))).applicationOrgs).to.not.include('AuditMSP');
    });

    it('after a restart the orderer enforces the last config block, not the genesis block', async () => {
        await proc.stop('SIGTERM');
        await proc.start();
        const block = await fetchConfigBlock(t, adminOf(t, 'MOLEMSP'));
        expect(parseChannelConfig(block).sequence).to.equal(2);
        // The removed org is no reader of the channel any more.
        const refused = await fetchBlock(t, adminOf(t, 'AuditMSP'), 'newest').then(
            () => undefined,
            (err: Error) => err,
        );
        expect(refused?.message).to.match(/DELIVER_FAILED: the orderer answered status 403/);
    });
});
