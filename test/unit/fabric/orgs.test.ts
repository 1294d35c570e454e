// The config group a ministry joining real Fabric hands to the channel's admins: the same as the one
// configtxgen writes for the orgs of the genesis block (Fabric's policies by NodeOU role, its anchor
// peer), read back from our bytes and, where configtxgen is present, compared with Fabric's own.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import YAML from 'yaml';
import { applicationOrgGroup, configFromBlock } from '../../../network/devnet/common/configtx';
import { findFabricTool } from '../../../network/fabric/binaries';
import { CHANNEL_PROFILE, configtx } from '../../../network/fabric/config';
import { fabricOrgGroup } from '../../../network/fabric/orgs';
import { findOrg, paths, REPO_ROOT, Topology } from '../../../network/client/topology';
import { notRun } from '../../not-run';
import { shiftedTopology } from '../orderer/fixture';

const ORG = 'MOHWMSP';

/** The MSP roles a signature policy names, in order. */
function roles(group: common.ConfigGroup, name: string): string[] {
    const policy = group.getPoliciesMap().get(name)!.getPolicy()!;
    const envelope = common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
    return envelope.getIdentitiesList().map((principal) => {
        const role = msp.MSPRole.deserializeBinary(principal.getPrincipal_asU8());
        const roleName = Object.entries(msp.MSPRole.MSPRoleType).find(([, v]) => v === role.getRole())?.[0];
        return `${role.getMspIdentifier()}.${roleName?.toLowerCase()}`;
    });
}

describe("fabric: a joining org's config group", function () {
    this.timeout(60_000);
    let dir: string;
    let t: Topology;

    before(async () => {
        const fx = await shiftedTopology();
        dir = fx.dir;
        t = fx.topology;
    });
    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("Given an org, Then its group has the devnet group's MSP, Fabric's policies by NodeOU role and its peer as anchor peer (mod_policy Admins)", () => {
        const group = fabricOrgGroup(t, ORG);
        const devnet = applicationOrgGroup(t, ORG);
        expect(group.getValuesMap().get('MSP')!.serializeBinary()).to.deep.equal(devnet.getValuesMap().get('MSP')!.serializeBinary());
        expect(roles(group, 'Readers')).to.deep.equal([`${ORG}.admin`, `${ORG}.peer`, `${ORG}.client`]);
        expect(roles(group, 'Writers')).to.deep.equal([`${ORG}.admin`, `${ORG}.client`]);
        expect(roles(group, 'Admins')).to.deep.equal([`${ORG}.admin`]);
        expect(roles(group, 'Endorsement')).to.deep.equal([`${ORG}.peer`]);
        const anchors = group.getValuesMap().get('AnchorPeers')!;
        expect(anchors.getModPolicy()).to.equal('Admins');
        const org = findOrg(t, ORG);
        expect(
            peer.AnchorPeers.deserializeBinary(anchors.getValue_asU8())
                .getAnchorPeersList()
                .map((a) => ({ host: a.getHost(), port: a.getPort() })),
        ).to.deep.equal([{ host: org.peer.host, port: org.peer.port }]);
        // The devnet's own group names no anchor peer (its peers need none).
        expect(devnet.getValuesMap().get('AnchorPeers')).to.equal(undefined);
    });

    it('Then its MSP, policies and anchor peer are byte for byte those configtxgen writes for the org from our configtx.yaml', function () {
        const configtxgen = findFabricTool('configtxgen', REPO_ROOT);
        if (!configtxgen) notRun(this, "Fabric's configtxgen is not in $FABRIC_BIN or on $PATH");
        const work = path.join(dir, 'configtxgen');
        fs.mkdirSync(work, { recursive: true });
        // Every consenter with the first ordering node's TLS certificate: only the org groups are compared.
        const tlsCert = path.join(paths.ordererDir(t), 'tls', 'server.crt');
        fs.writeFileSync(path.join(work, 'configtx.yaml'), YAML.stringify(configtx(t, () => tlsCert)));
        const block = path.join(work, 'genesis.block');
        execFileSync(configtxgen!, ['-profile', CHANNEL_PROFILE, '-channelID', t.channel, '-outputBlock', block, '-configPath', work], {
            stdio: 'pipe',
        });
        const { config } = configFromBlock(common.Block.deserializeBinary(fs.readFileSync(block)));
        const fabric = config.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get(ORG)!;
        const ours = fabricOrgGroup(t, ORG);
        for (const name of ['Readers', 'Writers', 'Admins', 'Endorsement']) {
            expect(ours.getPoliciesMap().get(name)!.serializeBinary(), name).to.deep.equal(
                fabric.getPoliciesMap().get(name)!.serializeBinary(),
            );
        }
        expect(ours.getValuesMap().get('AnchorPeers')!.serializeBinary()).to.deep.equal(
            fabric.getValuesMap().get('AnchorPeers')!.serializeBinary(),
        );
        expect(ours.getModPolicy()).to.equal(fabric.getModPolicy());
        expect(ours.getValuesMap().get('MSP')!.serializeBinary(), 'MSP').to.deep.equal(fabric.getValuesMap().get('MSP')!.serializeBinary());
        // And so the whole group: what the new org hands over is what configtxgen -printOrg would make.
        expect(Buffer.from(ours.serializeBinary()).equals(Buffer.from(fabric.serializeBinary()))).to.equal(true);
    });
});
