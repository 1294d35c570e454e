// Deploys the topology's chaincode definitions through the channel: a `_lifecycle`
// CommitChaincodeDefinition transaction submitted by the issuer org's admin and endorsed by every
// org, as `peer lifecycle chaincode commit` would (the devnet has no per-org approval step).
import { peer } from '@hyperledger/fabric-protos';
import { Contract } from '@hyperledger/fabric-gateway';
import { Topology, issuerOrg } from './topology';
import { connectAs } from './client';
import { commitDefinitionArgs } from './peer/scc/lifecycle';

export interface DeployOptions {
    log: (line: string) => void;
    /** Chaincodes to move to the next sequence even if already committed. */
    upgrade?: string[];
}

/** Committed sequences by chaincode name (QueryChaincodeDefinitions lists every definition). */
async function committedSequences(lifecycle: Contract): Promise<Map<string, number>> {
    const bytes = await lifecycle.evaluate('QueryChaincodeDefinitions', {
        arguments: [new peer.lifecycle.QueryChaincodeDefinitionsArgs().serializeBinary()],
    });
    const result = peer.lifecycle.QueryChaincodeDefinitionsResult.deserializeBinary(bytes);
    return new Map(result.getChaincodeDefinitionsList().map((d) => [d.getName(), d.getSequence()]));
}

export async function deployChaincodes(t: Topology, options: DeployOptions): Promise<void> {
    const connection = connectAs(t, issuerOrg(t).mspId, 'Admin');
    try {
        const lifecycle = connection.gateway.getNetwork(t.channel).getContract('_lifecycle');
        const committed = await committedSequences(lifecycle);
        for (const cc of t.chaincodes) {
            const current = committed.get(cc.name) ?? 0;
            const upgrade = options.upgrade?.includes(cc.name) ?? false;
            if (current > 0 && !upgrade) {
                options.log(`  chaincode ${cc.name} already defined at sequence ${current}`);
                continue;
            }
            const sequence = current > 0 ? current + 1 : cc.sequence;
            const args = commitDefinitionArgs({ ...cc, sequence });
            await lifecycle.submit('CommitChaincodeDefinition', {
                arguments: [args.serializeBinary()],
                endorsingOrganizations: t.orgs.map((o) => o.mspId),
            });
            options.log(`  chaincode ${cc.name} ${cc.version} committed at sequence ${sequence}`);
        }
    } finally {
        connection.close();
    }
}
