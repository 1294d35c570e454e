// Deploys the topology's chaincode definitions through the channel: a `_lifecycle`
// CommitChaincodeDefinition transaction submitted by the issuer org's admin and endorsed by every
// org, as `peer lifecycle chaincode commit` would (the devnet has no per-org approval step).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { peer } from '@hyperledger/fabric-protos';
import { Contract } from '@hyperledger/fabric-gateway';
import { ChaincodeConfig, Topology, issuerOrg } from '../client/topology';
import { connectAs } from '../client/connection';
import { commitDefinitionArgs } from '../devnet/peer/scc/lifecycle';

export interface DeployOptions {
    log: (line: string) => void;
    /** Chaincodes to move to the next sequence even if already committed. */
    upgrade?: string[];
}

/**
 * What is deployed, in 12 hex digits: the SHA-256 of every file the chaincode server loads (its
 * module folder and the built code it points to, by relative path and content, in sorted order).
 */
export function contentHash(t: Topology, cc: ChaincodeConfig): string {
    const hash = crypto.createHash('sha256');
    const walk = (dir: string): string[] =>
        fs.existsSync(dir)
            ? fs
                  .readdirSync(dir, { withFileTypes: true })
                  .flatMap((e) =>
                      e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(path.join(dir, e.name))) : [path.join(dir, e.name)],
                  )
            : [];
    const files = [...walk(path.resolve(t.root, cc.server.modulePath)), ...walk(path.join(t.root, 'dist', cc.server.modulePath))]
        .filter((f) => /\.(js|json)$/.test(f))
        .sort();
    for (const file of files) hash.update(path.relative(t.root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    return hash.digest('hex').slice(0, 12);
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
            // A redeployment says what it deployed: the topology's version plus the code's hash.
            const version = upgrade ? `${cc.version}+${contentHash(t, cc)}` : cc.version;
            const args = commitDefinitionArgs({ ...cc, sequence, version });
            await lifecycle.submit('CommitChaincodeDefinition', {
                arguments: [args.serializeBinary()],
                endorsingOrganizations: t.orgs.map((o) => o.mspId),
            });
            options.log(`  chaincode ${cc.name} ${version} committed at sequence ${sequence}`);
        }
    } finally {
        connection.close();
    }
}

/**
 * One org's approval of a chaincode's definition, on its own machine. The devnet keeps no approvals
 * yet (docs/devnet.md): an org approves a commit by its peer's endorsement of it, so there is
 * nothing to record here.
 */
export async function approveForOrg(
    _t: Topology,
    _cc: ChaincodeConfig,
    _mspId: string,
    _log: (line: string) => void,
): Promise<'approved' | 'already'> {
    return 'already';
}

/**
 * The chaincode's definition committed by this org's admin, on its own machine, once the peers of a
 * majority of the channel's orgs answer (they endorse the commit: MAJORITY LifecycleEndorsement);
 * 'not-ready' before that, 'already' when some org committed it.
 */
export async function commitIfReady(
    t: Topology,
    cc: ChaincodeConfig,
    mspId: string,
    log: (line: string) => void,
): Promise<'committed' | 'already' | 'not-ready'> {
    const connection = connectAs(t, mspId, 'Admin');
    try {
        const lifecycle = connection.gateway.getNetwork(t.channel).getContract('_lifecycle');
        if ((await committedSequences(lifecycle)).has(cc.name)) return 'already';
        const answering = (await Promise.all(t.orgs.map(async (o) => ((await peerAnswers(t, o.mspId)) ? o.mspId : undefined)))).filter(
            (o): o is string => o !== undefined,
        );
        if (answering.length * 2 <= t.orgs.length) {
            log(`  ${cc.name}: the peers of ${answering.length} of ${t.orgs.length} orgs answer; the first org to see a majority commits`);
            return 'not-ready';
        }
        try {
            await lifecycle.submit('CommitChaincodeDefinition', {
                arguments: [commitDefinitionArgs(cc).serializeBinary()],
                endorsingOrganizations: answering,
            });
        } catch (e) {
            // Two orgs that each saw the majority: the second's commit conflicts with the first's.
            if ((await committedSequences(lifecycle)).has(cc.name)) return 'already';
            throw e;
        }
        log(`  ${mspId} committed ${cc.name} ${cc.version} at sequence ${cc.sequence} (endorsed by ${answering.join(', ')})`);
        return 'committed';
    } finally {
        connection.close();
    }
}

/** True when the org's peer answers its operations /healthz. */
async function peerAnswers(t: Topology, mspId: string): Promise<boolean> {
    const org = t.orgs.find((o) => o.mspId === mspId);
    if (!org) return false;
    try {
        return (await fetch(`http://${org.peer.host}:${org.peer.operationsPort}/healthz`, { signal: AbortSignal.timeout(3000) })).ok;
    } catch {
        return false;
    }
}
