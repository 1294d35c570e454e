// Chaincode definitions as Fabric's _lifecycle wants them, on either network, through the same
// tooling one org's operator runs (network/commands/lifecycle.ts: approveForOrg, commitIfReady):
// an org's admin alone cannot commit a definition the other orgs did not approve; a peer whose
// org did not approve refuses to endorse the commit; a majority of approvals commits it, and only
// the orgs that approved endorse the chaincode. A definition of its own (no chaincode server runs
// for it), so that the test chaincodes of the other suites keep theirs.
import { EndorseError, StatusCode } from '@hyperledger/fabric-gateway';
import { peer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import type { ChaincodeConfig, Topology } from '../../network/client/topology';
import { connectAs } from '../../network/client/connection';
import { approveForOrg, commitIfReady } from '../../network/commands/lifecycle';
import { checkCommitReadinessArgs, commitDefinitionArgs, queryDefinitionArgs } from '../../network/devnet/peer/scc/lifecycle';
import { closeConnections } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';

describe(`chaincode lifecycle approvals on ${NETWORK_LABEL}`, function () {
    this.timeout(240_000);
    let t: Topology;
    let cc: ChaincodeConfig;
    const log: string[] = [];
    const say = (line: string) => log.push(line);

    before(async () => {
        t = (await testNetwork()).topology;
        const fixture = t.chaincodes.find((c) => c.name === 'fixture') ?? t.chaincodes[0];
        cc = {
            ...fixture,
            name: `approvals${Date.now().toString(36)}`,
            version: '1.0',
            sequence: 1,
            collections: [],
            collectionsFile: undefined,
        };
    });
    after(closeConnections);

    const lifecycleAs = (mspId: string) => {
        const connection = connectAs(t, mspId, 'Admin');
        return { connection, contract: connection.gateway.getNetwork(t.channel).getContract('_lifecycle') };
    };
    async function approvals(mspId: string): Promise<Record<string, boolean>> {
        const { connection, contract } = lifecycleAs(mspId);
        try {
            const bytes = await contract.evaluate('CheckCommitReadiness', { arguments: [checkCommitReadinessArgs(cc).serializeBinary()] });
            return Object.fromEntries(peer.lifecycle.CheckCommitReadinessResult.deserializeBinary(bytes).getApprovalsMap().getEntryList());
        } finally {
            connection.close();
        }
    }
    /** A commit of the definition by Seoul's admin, endorsed by exactly these orgs' peers. */
    async function commitEndorsedBy(orgs: string[]) {
        const { connection, contract } = lifecycleAs(t.orgs[0].mspId);
        try {
            const tx = await contract
                .newProposal('CommitChaincodeDefinition', {
                    arguments: [commitDefinitionArgs(cc).serializeBinary()],
                    endorsingOrganizations: orgs,
                })
                .endorse();
            return await (await tx.submit()).getStatus();
        } finally {
            connection.close();
        }
    }

    it("Given only Seoul's admin approved, Then readiness shows it alone, commitIfReady does not commit, and a commit endorsed by Seoul's peer alone is ENDORSEMENT_POLICY_FAILURE", async () => {
        const seoul = t.orgs[0].mspId;
        expect(await approveForOrg(t, cc, seoul, say)).to.equal('approved');
        expect(await approveForOrg(t, cc, seoul, say)).to.equal('already');
        expect(await approvals(t.orgs[3].mspId)).to.deep.equal(Object.fromEntries(t.orgs.map((o) => [o.mspId, o.mspId === seoul])));
        expect(await commitIfReady(t, cc, seoul, say)).to.equal('not-ready');
        expect(log.join('\n')).to.contain(`approved by 1 of ${t.orgs.length} orgs (${seoul}); a majority is needed to commit`);
        // The admin forces it anyway: Seoul's peer endorses (its org approved), the validators refuse it.
        const status = await commitEndorsedBy([seoul]);
        expect(status.code).to.equal(StatusCode.ENDORSEMENT_POLICY_FAILURE);
        const { connection, contract } = lifecycleAs(seoul);
        try {
            const missing = await contract
                .evaluate('QueryChaincodeDefinition', { arguments: [queryDefinitionArgs(cc.name).serializeBinary()] })
                .then(
                    () => undefined,
                    (e: Error & { details?: { message: string }[] }) => [e.message, ...(e.details ?? []).map((d) => d.message)].join('; '),
                );
            expect(missing).to.contain(`namespace ${cc.name} is not defined`);
        } finally {
            connection.close();
        }
    });

    it('When the commit asks the peer of an org that did not approve, Then that peer refuses to endorse it: "chaincode definition not agreed to by this org"', async () => {
        const mois = t.orgs[1].mspId;
        const refused = await commitEndorsedBy([t.orgs[0].mspId, mois]).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(refused).to.be.instanceOf(EndorseError);
        const messages = (refused as EndorseError).details.map((d) => d.message).join('; ');
        expect(messages).to.contain(
            `failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (${mois})`,
        );
    });

    it('Given a majority of orgs approved (each on its own peer), Then commitIfReady commits, endorsed by the approving orgs, and QueryChaincodeDefinition shows who approved', async () => {
        const [seoul, mois, mohw, audit] = t.orgs.map((o) => o.mspId);
        expect(await approveForOrg(t, cc, mois, say)).to.equal('approved');
        expect(await commitIfReady(t, cc, mois, say)).to.equal('not-ready');
        expect(await approveForOrg(t, cc, mohw, say)).to.equal('approved');
        expect(await commitIfReady(t, cc, mohw, say)).to.equal('committed');
        expect(log.join('\n')).to.contain(`committed at sequence 1 by ${mohw} (approved by ${[mohw, mois, seoul].sort().join(', ')})`);
        expect(await commitIfReady(t, cc, seoul, say)).to.equal('already');
        const { connection, contract } = lifecycleAs(audit);
        try {
            const bytes = await contract.evaluate('QueryChaincodeDefinition', {
                arguments: [queryDefinitionArgs(cc.name).serializeBinary()],
            });
            const result = peer.lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(bytes);
            expect([result.getSequence(), result.getVersion()]).to.deep.equal([1, '1.0']);
            expect(Object.fromEntries(result.getApprovalsMap().getEntryList())).to.deep.equal({
                [seoul]: true,
                [mois]: true,
                [mohw]: true,
                [audit]: false,
            });
        } finally {
            connection.close();
        }
        // A late org approves the committed definition, once.
        expect(await approveForOrg(t, cc, audit, say)).to.equal('approved');
        expect(log.join('\n')).to.contain(`${audit} approved ${cc.name} 1.0 at the committed sequence 1`);
        expect(await approveForOrg(t, cc, audit, say)).to.equal('already');
    });
});
