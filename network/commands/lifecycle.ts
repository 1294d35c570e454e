// Deploys the topology's chaincode definitions through the channel as Fabric's lifecycle wants it:
// each org's admin approves the definition for its own org on its own peer
// (ApproveChaincodeDefinitionForMyOrg, endorsed by that peer only), then one org's admin commits it
// once a majority of orgs approved (CommitChaincodeDefinition, endorsed by the approving orgs'
// peers, validated against LifecycleEndorsement). The same _lifecycle transactions `peer lifecycle
// chaincode approveformyorg` and `commit` send, here through fabric-gateway.
//
// approveForOrg and commitIfReady are what one org's operator runs on its own machine; the
// one-machine default (deployChaincodes: npm start, network:up, chaincode:deploy) runs them for
// every org in turn. On the devnet an approval names the package id Fabric would compute for the
// org's chaincode-as-a-service package (network/fabric/network.ts orgPackage); the devnet only
// stores it, its peers run the chaincode servers of the topology.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { peer } from '@hyperledger/fabric-protos';
import { Contract, GatewayError } from '@hyperledger/fabric-gateway';
import { ChaincodeConfig, Topology, findOrg, issuerOrg, serverCommand } from '../client/topology';
import { connectAs } from '../client/connection';
import {
    approveDefinitionArgs,
    chaincodeSource,
    checkCommitReadinessArgs,
    commitDefinitionArgs,
    queryDefinitionArgs,
} from '../devnet/peer/scc/lifecycle';
import { parametersDiff, topologyParameters } from '../devnet/peer/scc/lifecycle-state';
import { orgPackage } from '../fabric/network';

export interface DeployOptions {
    log: (line: string) => void;
    /** Chaincodes to move to the next sequence even if already committed. */
    upgrade?: string[];
}

/**
 * What is deployed, in 12 hex digits: the SHA-256 of every file the chaincode server loads (its
 * module folder and the built code it points to, by relative path and content, in sorted order),
 * or, for a command server, of its command line and its executable's bytes.
 */
export function contentHash(t: Topology, cc: ChaincodeConfig): string {
    const hash = crypto.createHash('sha256');
    if (cc.server.command) {
        const command = serverCommand(t, cc);
        hash.update(JSON.stringify(cc.server.command)).update('\0');
        if (fs.existsSync(command[0])) hash.update(fs.readFileSync(command[0]));
        return hash.digest('hex').slice(0, 12);
    }
    const modulePath = cc.server.modulePath as string;
    const walk = (dir: string): string[] =>
        fs.existsSync(dir)
            ? fs
                  .readdirSync(dir, { withFileTypes: true })
                  .flatMap((e) =>
                      e.isDirectory() ? (e.name === 'node_modules' ? [] : walk(path.join(dir, e.name))) : [path.join(dir, e.name)],
                  )
            : [];
    const files = [...walk(path.resolve(t.root, modulePath)), ...walk(path.join(t.root, 'dist', modulePath))]
        .filter((f) => /\.(js|json)$/.test(f))
        .sort();
    for (const file of files) hash.update(path.relative(t.root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
    return hash.digest('hex').slice(0, 12);
}

/** The committed definition of a chaincode (with each org's approval), undefined when none is. */
interface Committed {
    sequence: number;
    result: peer.lifecycle.QueryChaincodeDefinitionResult;
    approvals: Record<string, boolean>;
}

async function committedDefinition(lifecycle: Contract, name: string): Promise<Committed | undefined> {
    let bytes: Uint8Array;
    try {
        bytes = await lifecycle.evaluate('QueryChaincodeDefinition', { arguments: [queryDefinitionArgs(name).serializeBinary()] });
    } catch (e) {
        // Fabric answers 404 "namespace <name> is not defined".
        if (e instanceof GatewayError && /namespace \S+ is not defined/.test(errorText(e))) return undefined;
        throw e;
    }
    const result = peer.lifecycle.QueryChaincodeDefinitionResult.deserializeBinary(bytes);
    return { sequence: result.getSequence(), result, approvals: Object.fromEntries(result.getApprovalsMap().getEntryList()) };
}

function errorText(e: GatewayError): string {
    return [e.message, ...e.details.map((d) => d.message)].join('; ');
}

/** Whether the committed definition is the topology's (same version, policy, collections, plugins, init). */
function isCommitted(committed: Committed, cc: ChaincodeConfig): boolean {
    const r = committed.result;
    const endorsementInfo = new peer.lifecycle.ChaincodeEndorsementInfo();
    endorsementInfo.setVersion(r.getVersion());
    endorsementInfo.setEndorsementPlugin(r.getEndorsementPlugin());
    endorsementInfo.setInitRequired(r.getInitRequired());
    const validationInfo = new peer.lifecycle.ChaincodeValidationInfo();
    validationInfo.setValidationPlugin(r.getValidationPlugin());
    validationInfo.setValidationParameter(r.getValidationParameter_asU8());
    const collections = r.getCollections() ?? new peer.CollectionConfigPackage();
    return parametersDiff({ endorsementInfo, validationInfo, collections }, topologyParameters(cc)) === undefined;
}

async function readiness(lifecycle: Contract, cc: ChaincodeConfig, sequence: number, onPeerOf?: string): Promise<Record<string, boolean>> {
    const bytes = await lifecycle.evaluate('CheckCommitReadiness', {
        arguments: [checkCommitReadinessArgs({ ...cc, sequence }).serializeBinary()],
        ...(onPeerOf ? { endorsingOrganizations: [onPeerOf] } : {}),
    });
    return Object.fromEntries(peer.lifecycle.CheckCommitReadinessResult.deserializeBinary(bytes).getApprovalsMap().getEntryList());
}

/** The package id the org's approval names: the one Fabric computes for the org's chaincode-as-a-service package. */
export function packageIdFor(t: Topology, cc: ChaincodeConfig, mspId: string): string {
    return orgPackage(cc, findOrg(t, mspId)).packageId;
}

/**
 * The org's admin approves the chaincode's definition for its org, on its own peer: at the
 * committed sequence when the topology's definition is the committed one (an org that joined
 * later, or that had not approved), else at the next sequence (or the topology's, when nothing is
 * committed). 'already' when the org's approval of that definition is there.
 */
export async function approveForOrg(
    t: Topology,
    cc: ChaincodeConfig,
    mspId: string,
    log: (line: string) => void,
): Promise<'approved' | 'already'> {
    // Another org may commit between our reads and our approval (org-up on separate machines): a
    // read then answers "new definition must be sequence N+1", or the approval endorsed for the
    // sequence being committed fails validation (MVCC_READ_CONFLICT). Looking again finds the
    // committed definition and approves at its sequence.
    for (let attempt = 1; ; attempt++) {
        try {
            return await approveForOrgOnce(t, cc, mspId, log);
        } catch (e) {
            if (attempt === 3) throw e;
            log(`  ${mspId}: approving ${cc.name} again (${(e as Error).message.split('\n')[0]})`);
            await new Promise((r) => setTimeout(r, 500 * attempt));
        }
    }
}

async function approveForOrgOnce(
    t: Topology,
    cc: ChaincodeConfig,
    mspId: string,
    log: (line: string) => void,
): Promise<'approved' | 'already'> {
    const connection = connectAs(t, mspId, 'Admin');
    try {
        const lifecycle = connection.gateway.getNetwork(t.channel).getContract('_lifecycle');
        const committed = await committedDefinition(lifecycle, cc.name);
        const atCommitted = committed !== undefined && isCommitted(committed, cc);
        const sequence = atCommitted ? committed.sequence : committed ? committed.sequence + 1 : cc.sequence;
        const approved = atCommitted ? committed.approvals[mspId] === true : (await readiness(lifecycle, cc, sequence))[mspId] === true;
        if (approved) return 'already';
        await lifecycle.submit('ApproveChaincodeDefinitionForMyOrg', {
            arguments: [approveDefinitionArgs({ ...cc, sequence }, packageIdFor(t, cc, mspId)).serializeBinary()],
            endorsingOrganizations: [mspId],
        });
        log(
            atCommitted
                ? `  ${mspId} approved ${cc.name} ${cc.version} at the committed sequence ${sequence}`
                : `  ${mspId} approved ${cc.name} ${cc.version} for sequence ${sequence}`,
        );
        return 'approved';
    } finally {
        connection.close();
    }
}

/**
 * The org's admin approves exactly the committed definition of the chaincode, at its sequence (an
 * org that joined the channel after the commit): 'not-committed' when there is none.
 */
export async function approveCommitted(
    t: Topology,
    cc: ChaincodeConfig,
    mspId: string,
    log: (line: string) => void,
): Promise<'approved' | 'already' | 'not-committed'> {
    const connection = connectAs(t, mspId, 'Admin');
    try {
        const lifecycle = connection.gateway.getNetwork(t.channel).getContract('_lifecycle');
        const committed = await committedDefinition(lifecycle, cc.name);
        if (!committed) return 'not-committed';
        if (committed.approvals[mspId]) return 'already';
        const r = committed.result;
        const args = new peer.lifecycle.ApproveChaincodeDefinitionForMyOrgArgs();
        args.setName(cc.name);
        args.setSequence(r.getSequence());
        args.setVersion(r.getVersion());
        args.setEndorsementPlugin(r.getEndorsementPlugin());
        args.setValidationPlugin(r.getValidationPlugin());
        args.setValidationParameter(r.getValidationParameter_asU8());
        args.setCollections(r.getCollections());
        args.setInitRequired(r.getInitRequired());
        args.setSource(chaincodeSource(packageIdFor(t, { ...cc, version: r.getVersion() }, mspId)));
        await lifecycle.submit('ApproveChaincodeDefinitionForMyOrg', {
            arguments: [args.serializeBinary()],
            endorsingOrganizations: [mspId],
        });
        log(`  ${mspId} approved ${cc.name} ${r.getVersion()} at the committed sequence ${r.getSequence()}`);
        return 'approved';
    } finally {
        connection.close();
    }
}

/**
 * As the org's admin: commits the chaincode's definition at the next sequence when a majority of
 * the channel's orgs approved it (CheckCommitReadiness), endorsed by the approving orgs' peers.
 * 'already' when it is the committed definition; 'not-ready' (nothing submitted) otherwise.
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
        try {
            const committed = await committedDefinition(lifecycle, cc.name);
            if (committed && isCommitted(committed, cc)) return 'already';
            const sequence = committed ? committed.sequence + 1 : cc.sequence;
            const approvals = await readiness(lifecycle, cc, sequence);
            const orgs = Object.keys(approvals).sort();
            const approving = orgs.filter((o) => approvals[o]);
            // The channel's LifecycleEndorsement: MAJORITY Endorsement (configtx.yaml's and the devnet's).
            if (approving.length <= orgs.length / 2) {
                log(
                    `  ${cc.name} ${cc.version} sequence ${sequence}: approved by ${approving.length} of ${orgs.length} orgs (${approving.join(', ') || 'none'}); a majority is needed to commit`,
                );
                return 'not-ready';
            }
            // Every endorsing peer reads every org's approval: each must have committed the same
            // approvals, or their endorsements differ (peers commit blocks at their own pace).
            await approvalsSeenBy(lifecycle, cc, sequence, approving);
            await lifecycle.submit('CommitChaincodeDefinition', {
                arguments: [commitDefinitionArgs({ ...cc, sequence }).serializeBinary()],
                endorsingOrganizations: approving,
            });
            log(`  chaincode ${cc.name} ${cc.version} committed at sequence ${sequence} by ${mspId} (approved by ${approving.join(', ')})`);
            return 'committed';
        } catch (e) {
            // Another org committed meanwhile (org-up on separate machines, each org committing once
            // it sees a majority): a read on a peer that has that block answers "new definition must
            // be sequence N+1", a second commit conflicts with the first. Done when our own peer
            // shows the same definition committed.
            if (await committedBySomeone(lifecycle, cc)) return 'already';
            throw e;
        }
    } finally {
        connection.close();
    }
}

/** Whether the org's own peer shows this definition committed, within a few seconds (its blocks may lag). */
async function committedBySomeone(lifecycle: Contract, cc: ChaincodeConfig, timeoutMs = 15_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const now = await committedDefinition(lifecycle, cc.name).catch(() => undefined);
        if (now && isCommitted(now, cc)) return true;
        if (Date.now() > deadline) return false;
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** Waits until the peer of each of these orgs sees each of them approved (CheckCommitReadiness on that peer). */
async function approvalsSeenBy(
    lifecycle: Contract,
    cc: ChaincodeConfig,
    sequence: number,
    orgs: string[],
    timeoutMs = 60_000,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const views = await Promise.all(orgs.map((o) => readiness(lifecycle, cc, sequence, o)));
        const behind = orgs.filter((_, i) => orgs.some((a) => views[i][a] !== true));
        if (behind.length === 0) return;
        if (Date.now() > deadline)
            throw new Error(
                `NOT_APPROVED: the peers of ${behind.join(', ')} do not see the approvals of ${orgs.join(', ')} within ${timeoutMs / 1000} s`,
            );
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** Committed definitions by chaincode name (QueryChaincodeDefinitions lists every definition). */
async function committedDefinitions(t: Topology): Promise<Map<string, peer.lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition>> {
    const connection = connectAs(t, issuerOrg(t).mspId, 'Admin');
    try {
        const bytes = await connection.gateway
            .getNetwork(t.channel)
            .getContract('_lifecycle')
            .evaluate('QueryChaincodeDefinitions', { arguments: [new peer.lifecycle.QueryChaincodeDefinitionsArgs().serializeBinary()] });
        const result = peer.lifecycle.QueryChaincodeDefinitionsResult.deserializeBinary(bytes);
        return new Map(result.getChaincodeDefinitionsList().map((d) => [d.getName(), d]));
    } finally {
        connection.close();
    }
}

/**
 * The one-machine deployment: every org approves (each on its own peer, in parallel), then the
 * issuer's admin commits. A chaincode already committed is left at its sequence (and orgs that
 * have not approved that definition approve it) unless `upgrade` names it: then its next sequence
 * carries the version `<version>+<code hash>`.
 */
export async function deployChaincodes(t: Topology, options: DeployOptions): Promise<void> {
    const committed = await committedDefinitions(t);
    const orgs = t.orgs.map((o) => o.mspId);
    for (const topologyCc of t.chaincodes) {
        const current = committed.get(topologyCc.name);
        const upgrade = options.upgrade?.includes(topologyCc.name) ?? false;
        if (current && !upgrade) {
            // The committed definition is the topology's, with the version a redeployment gave it.
            const cc = { ...topologyCc, version: current.getVersion(), sequence: current.getSequence() };
            const same = isCommitted({ sequence: current.getSequence(), result: asQueryResult(current), approvals: {} }, cc);
            if (same) await Promise.all(orgs.map((o) => approveForOrg(t, cc, o, options.log)));
            options.log(`  chaincode ${cc.name} already defined at sequence ${current.getSequence()}`);
            continue;
        }
        // A redeployment says what it deployed: the topology's version plus the code's hash.
        const cc = upgrade ? { ...topologyCc, version: `${topologyCc.version}+${contentHash(t, topologyCc)}` } : topologyCc;
        await Promise.all(orgs.map((o) => approveForOrg(t, cc, o, options.log)));
        const outcome = await commitIfReady(t, cc, issuerOrg(t).mspId, options.log);
        if (outcome === 'not-ready') throw new Error(`NOT_APPROVED: ${cc.name} ${cc.version} was not approved by a majority of orgs`);
    }
}

function asQueryResult(
    d: peer.lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition,
): peer.lifecycle.QueryChaincodeDefinitionResult {
    const r = new peer.lifecycle.QueryChaincodeDefinitionResult();
    r.setSequence(d.getSequence());
    r.setVersion(d.getVersion());
    r.setEndorsementPlugin(d.getEndorsementPlugin());
    r.setValidationPlugin(d.getValidationPlugin());
    r.setValidationParameter(d.getValidationParameter_asU8());
    r.setCollections(d.getCollections());
    r.setInitRequired(d.getInitRequired());
    return r;
}
