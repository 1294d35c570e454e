// The endorser with the channel's real MSPs and policies (generated crypto, genesis config):
// refusals of expired, untrusted and forged creators, the Writers ACL, collection membership by
// the member orgs policy, and the _lifecycle admin rule on real NodeOU roles.

import { common, peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { buildGenesisBlock, parseChannelConfig } from '../../../network/devnet/common/configtx';
import { PolicyManager } from '../../../network/devnet/common/policies';
import { issueTestIdentity } from '../../../network/devnet/msp/ca';
import { newSigningIdentity, SigningIdentity } from '../../../network/devnet/msp/identity';
import type { ExecutionResult } from '../../../network/devnet/peer/chaincode/handler';
import type { ExecuteRequest } from '../../../network/devnet/peer/chaincode/support';
import { collectionMembership, Endorser, EndorserError } from '../../../network/devnet/peer/endorser';
import { approveDefinitionArgs, commitDefinitionArgs, Lifecycle, lifecycleCallArgs } from '../../../network/devnet/peer/scc/lifecycle';
import { channelConfigOf, Cscc } from '../../../network/devnet/peer/scc/cscc';
import { Qscc } from '../../../network/devnet/peer/scc/qscc';
import { MspFixture, mspFixture } from '../msp/fixture';
import { COLLECTIONS, MemoryLedger, signedProposal } from './helpers';

describe('endorser with the channel MSPs and policies', function () {
    this.timeout(60000);
    let fx: MspFixture;
    let ledger: MemoryLedger;
    let endorser: Endorser;
    const requests: ExecuteRequest[] = [];
    let channel: string;
    let genesis: common.Block;

    before(async () => {
        fx = await mspFixture();
        genesis = buildGenesisBlock(fx.topology);
        const config = parseChannelConfig(
            genesis,
            fx.topology.orgs.map((o) => o.mspId),
        );
        channel = config.channelId;
        const policies = new PolicyManager(config.policies, fx.msps);
        ledger = new MemoryLedger();
        Object.assign(ledger, { channelId: channel });
        ledger.definitions.set('fixture', {
            name: 'fixture',
            version: '1.0',
            sequence: 1,
            endorsementPolicy: 'MAJORITY Endorsement',
            collections: COLLECTIONS,
        });
        endorser = new Endorser({
            channelId: channel,
            ledger: ledger.asPeerLedger(),
            msps: fx.msps,
            policies,
            signer: fx.peer('SeoulMSP'),
            chaincodes: {
                async execute(req): Promise<ExecutionResult> {
                    requests.push(req);
                    const response = new peer.Response();
                    response.setStatus(200);
                    return { response, privateReads: new Set() };
                },
            },
            systemChaincodes: [
                new Qscc(ledger.asPeerLedger()),
                new Cscc(ledger.asPeerLedger()),
                new Lifecycle({ mspId: 'SeoulMSP', applicationOrgs: () => config.applicationOrgs }),
            ],
            isCollectionMember: collectionMembership(),
        });
    });

    const propose = (signer: SigningIdentity, chaincode = 'fixture', args: (string | Uint8Array)[] = ['Get', 'k']) =>
        endorser.processProposal(signedProposal({ signer, chaincode, args, channel }).sp);

    async function refused(signer: SigningIdentity): Promise<EndorserError> {
        try {
            await propose(signer);
        } catch (err) {
            return err as EndorserError;
        }
        throw new Error('not refused');
    }

    const testIdentity = async (opts: Partial<Parameters<typeof issueTestIdentity>[0]>) => {
        const id = await issueTestIdentity({ topology: fx.topology, mspId: 'SeoulMSP', ...opts });
        return newSigningIdentity(id.mspId, id.certificatePem, id.privateKeyPem);
    };

    it('endorses a client of an application org', async () => {
        const pr = await propose(fx.user('MOISMSP', 'User1'));
        expect(pr.getResponse()!.getStatus()).to.equal(200);
        expect(pr.hasEndorsement()).to.equal(true);
    });

    it("refuses an untrusted CA with Fabric's generic message", async () => {
        const err = await refused(await testIdentity({ untrusted: true }));
        expect(err.code).to.equal('ACCESS_DENIED');
        expect(err.message).to.equal(`error validating proposal: access denied: channel [${channel}] creator org [SeoulMSP]`);
    });

    it('refuses a signature by another key', async () => {
        const user = fx.user('SeoulMSP', 'User1');
        const other = fx.user('SeoulMSP', 'Admin');
        const forged: SigningIdentity = { ...user, serialize: () => user.serialize(), sign: (data) => other.sign(data) };
        expect((await refused(forged)).message).to.contain('creator org [SeoulMSP]');
    });

    it('refuses the orderer org, which is not among the /Channel/Application/Writers', async () => {
        const err = await refused(fx.orderer());
        expect(err.code).to.equal('ACCESS_DENIED');
        expect(err.message).to.contain('with policy [/Channel/Application/Writers]');
    });

    it('tells the chaincode whether the creator is a member of each collection', async () => {
        requests.length = 0;
        await propose(fx.user('SeoulMSP', 'User1'));
        await propose(fx.user('MOISMSP', 'User1'));
        const [seoul, mois] = requests;
        const collection = seoul.collections![0];
        expect(seoul.isCollectionMember!(collection)).to.equal(true);
        expect(mois.isCollectionMember!(collection)).to.equal(false);
    });

    it("Given real NodeOU roles, When _lifecycle is asked to approve, Then only an admin of the peer's own org may, and a commit is refused while the org has not approved", async () => {
        const def = { ...fx.topology.chaincodes[0], name: 'newcc' };
        const approve = lifecycleCallArgs('ApproveChaincodeDefinitionForMyOrg', approveDefinitionArgs(def, 'newcc_1.0:abc'));
        const bySeoulAdmin = await propose(fx.user('SeoulMSP', 'Admin'), '_lifecycle', approve);
        expect(bySeoulAdmin.getResponse()!.getStatus(), bySeoulAdmin.getResponse()!.getMessage()).to.equal(200);
        expect(bySeoulAdmin.hasEndorsement()).to.equal(true);
        const byMoisAdmin = await propose(fx.user('MOISMSP', 'Admin'), '_lifecycle', approve);
        expect(byMoisAdmin.getResponse()!.getMessage()).to.equal(
            'Failed to authorize invocation due to failed ACL check: Failed deserializing proposal creator during channelless check policy with policy [Admins]: [expected MSP ID SeoulMSP, received MOISMSP]',
        );
        const byClient = await propose(fx.user('SeoulMSP', 'User1'), '_lifecycle', approve);
        expect(byClient.getResponse()!.getMessage()).to.equal(
            "Failed to authorize invocation due to failed ACL check: Failed verifying that proposal's creator satisfies local MSP principal during channelless check policy with policy [Admins]: [The identity is not an admin under this MSP [SeoulMSP]: The identity does not contain OU [ADMIN], MSP: [SeoulMSP]]",
        );
        // The approval was endorsed, not committed: the ledger holds none, so the peer refuses to endorse a commit.
        const commit = await propose(
            fx.user('SeoulMSP', 'User1'),
            '_lifecycle',
            lifecycleCallArgs('CommitChaincodeDefinition', commitDefinitionArgs(def)),
        );
        expect(commit.getResponse()!.getStatus()).to.equal(500);
        expect(commit.getResponse()!.getMessage()).to.equal(
            "failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (SeoulMSP)",
        );
        expect(commit.hasEndorsement()).to.equal(false);
    });

    it('cscc GetConfigBlock and GetChannelConfig (as `peer channel fetch config` and configtxlator read them): the last config block and its config; only for Readers', async () => {
        ledger.blockList.push(genesis);
        const reader = fx.user('MOHWMSP', 'User1');
        const block = await propose(reader, 'cscc', ['GetConfigBlock', channel]);
        expect(block.getResponse()!.getStatus(), block.getResponse()!.getMessage()).to.equal(200);
        expect(Buffer.from(block.getResponse()!.getPayload_asU8()).equals(Buffer.from(genesis.serializeBinary()))).to.equal(true);
        const config = await propose(reader, 'cscc', ['GetChannelConfig', channel]);
        const decoded = common.Config.deserializeBinary(config.getResponse()!.getPayload_asU8());
        expect(decoded.serializeBinary()).to.deep.equal(channelConfigOf(genesis).serializeBinary());
        expect(decoded.getChannelGroup()!.getGroupsMap().has('Application')).to.equal(true);
        const orderer = await propose(fx.orderer(), 'cscc', ['GetChannelConfig', channel]);
        expect(orderer.getResponse()!.getMessage()).to.match(/^access denied for \[GetChannelConfig\]\[[a-z]+\]: Failed evaluating policy/);
        expect((await propose(reader, 'cscc', ['GetChannelConfig', 'other'])).getResponse()!.getMessage()).to.match(
            /^access denied for \[GetChannelConfig\]\[other\]: Failed to get policy manager for channel \[other\]/,
        );
    });
});
