// Private data across orgs, on either network and on any topology that deploys the fixture
// chaincode with its shared collections, as Fabric's gossip/privdata and implicit collections
// behave (issue 20, items 3-5): a collection of two orgs written through the first is read on the
// second's peer (dissemination at endorsement); with the second's peer down and requiredPeerCount 1
// the endorsement is refused with Fabric's error; a write made while it was down reaches it by
// reconciliation once it is back; a chaincode writes both orgs' implicit collections, each org's
// peer keeps only its own, and reading another org's is Fabric's refusal. Run on the product's test
// network (privatedata.test.ts: Seoul, MOIS, and MOHW outside the collection) and on Fabric's test
// network shape (testnetwork.test.ts: Org1, Org2).
import { createHash } from 'node:crypto';
import { Contract, GatewayError, StatusCode } from '@hyperledger/fabric-gateway';
import { expect } from 'chai';
import * as path from 'node:path';
import { paths, Topology } from '../../network/client/topology';
import { notRun } from '../not-run';
import { closeConnections, connection, contractOf, eventually, filesContaining, marker, peerChainInfo, utf8 } from './helpers';
import { ControlledNode, NETWORK, NETWORK_LABEL } from './network';

const CC = 'fixture';
/** How long a restarted member peer may take to hold what it missed (docs/devnet.md; real Fabric pulls at commit or reconciles later). */
const RECONCILE_BOUND_MS = NETWORK === 'fabric' ? 180_000 : 10_000;
/** How long until the endorsing peer no longer counts a stopped peer (devnet: its 1 s heartbeat; Fabric: gossip's 25 s alive expiry). */
const FORGET_BOUND_MS = NETWORK === 'fabric' ? 90_000 : 10_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** Every message of a gateway error, its details included. */
const messagesOf = (e: unknown): string =>
    e instanceof GatewayError ? [e.message, ...e.details.map((d) => d.message)].join('; ') : String((e as Error)?.message ?? e);

/** The network a private data suite runs on, and the orgs it plays. */
export interface PrivateDataNetwork {
    topology: Topology;
    /** The nodes the suite may stop and start (none: the tests that stop a peer say they did not run). */
    nodes: ControlledNode[];
}

export interface PrivateDataOrgs {
    /** The org whose client writes: a member of sharedPrivate and sharedRequired. */
    writer: string;
    /** The other member of both collections, whose peer is stopped and brought back. */
    member: string;
    /** An org outside the collections, when the topology has one: its peer holds only hashes. */
    outsider?: string;
}

/**
 * The private data suite on a network that `setup` brings (called in the suite's before hook);
 * its collections are the fixture's sharedPrivate and sharedRequired of `orgs.writer` and `orgs.member`.
 */
export function describePrivateData(title: string, setup: () => Promise<PrivateDataNetwork>, orgs: PrivateDataOrgs): void {
    const { writer: W, member: M, outsider: O } = orgs;
    describe(title, function () {
        this.timeout(600_000);
        let t: Topology;
        let nodes: ControlledNode[];
        let writer: Contract;
        let member: Contract;
        let outsider: Contract | undefined;
        const key = (name: string) => `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

        before(async function () {
            const network = await setup();
            t = network.topology;
            if (!t.chaincodes.some((cc) => cc.name === CC)) notRun(this, `the test chaincode ${CC} is not deployed on ${t.file}`);
            nodes = network.nodes;
            writer = contractOf(t, connection(t, W).gateway, CC);
            member = contractOf(t, connection(t, M).gateway, CC);
            outsider = O ? contractOf(t, connection(t, O).gateway, CC) : undefined;
        });
        after(closeConnections);

        /** Files of any node of the network (ledgers, logs, CAs, chaincode servers, gateways) holding the text, outside these orgs' peer ledgers. */
        const filesHolding = (needle: string, ...members: string[]) => {
            const allowed = members.map((m) => paths.ledger(t, paths.peerName(t, m)) + path.sep);
            return filesContaining(t.stateDir, needle).filter((f) => !allowed.some((dir) => f.startsWith(dir)));
        };
        const memberPeer = () => nodes.find((n) => n.kind === 'peer' && n.org === M);
        const readOnMember = (collection: string, k: string) =>
            member.evaluate('GetShared', { arguments: [collection, k], endorsingOrganizations: [M] }).then(utf8);

        async function stopMemberPeer(): Promise<ControlledNode> {
            const node = memberPeer();
            const pid = node?.pid();
            expect(pid, `${M} peer running`).to.be.a('number');
            process.kill(pid as number, 'SIGTERM');
            await eventually(`${node!.name} to stop`, async () => (node!.pid() ? undefined : true), 30_000);
            return node!;
        }

        it(`Given sharedPrivate (${W} and ${M}, maxPeerCount 1), When ${W}'s client writes it, Then ${M}'s peer reads the value${O ? `, ${O}'s peer holds only its hash` : ''}, and no other node's files hold it`, async () => {
            const k = key('shared');
            const value = marker('shared-value');
            await writer.submit('PutShared', { arguments: ['sharedPrivate', k], transientData: { value } });
            // The member's peer got it from the writer's at endorsement, and kept it when the block committed.
            expect(await eventually(`${M} to read the shared value`, () => readOnMember('sharedPrivate', k), 30_000)).to.equal(value);
            if (outsider && O) {
                expect(
                    utf8(await outsider.evaluate('GetSharedHash', { arguments: ['sharedPrivate', k], endorsingOrganizations: [O] })),
                ).to.equal(sha256(value));
                const refused = await outsider.evaluate('GetShared', { arguments: ['sharedPrivate', k], endorsingOrganizations: [O] }).then(
                    () => 'read',
                    (e: unknown) => messagesOf(e),
                );
                expect(refused).to.contain(
                    'tx creator does not have read access permission on privatedata in chaincodeName:fixture collectionName: sharedPrivate',
                );
            }
            // Only the member peers' ledgers hold the value.
            expect(filesHolding(value, W, M), `files outside ${W}'s and ${M}'s ledgers`).to.deep.equal([]);
        });

        describe(`with ${M}'s peer stopped`, () => {
            let restart: ControlledNode | undefined;
            before(function () {
                if (!memberPeer()) notRun(this, 'the network was not started by this run: its peers are not ours to stop');
            });
            after(async () => {
                // Never leave the shared network with a peer down.
                if (restart && !restart.pid()) await restart.start(120_000);
            });

            it(`Given sharedRequired (requiredPeerCount 1), When ${W}'s client writes it, Then the endorsement is refused: ${W}'s peer knows of no other member to take it`, async () => {
                const k = key('required');
                restart = await stopMemberPeer();
                // Fabric's endorsing peer stops counting a stopped peer once gossip expires it; until then the push fails.
                const message = await eventually(
                    'the endorsement to be refused for want of member peers',
                    async () => {
                        const outcome = await writer
                            .submit('PutShared', { arguments: ['sharedRequired', k], transientData: { value: 'never stored' } })
                            .then(
                                () => 'committed',
                                (e: unknown) => messagesOf(e),
                            );
                        expect(outcome).to.not.equal('committed');
                        return /but know of only 0 eligible peers/.test(outcome) ? outcome : undefined;
                    },
                    FORGET_BOUND_MS,
                );
                expect(message).to.match(
                    /failed to distribute private collection, txID [0-9a-f]{64}, channel [^:]+: could not build private data dissemination plan for chaincode fixture and collection sharedRequired: required to disseminate to at least 1 peers, but know of only 0 eligible peers/,
                );
                const notThere = await writer.evaluate('GetShared', { arguments: ['sharedRequired', k] }).then(
                    () => 'found',
                    (e: unknown) => messagesOf(e),
                );
                expect(notThere).to.contain(`NOT_FOUND: private ${k}`);
            });

            it(`Given sharedPrivate (requiredPeerCount 0), When ${W}'s client writes it, Then it commits; When ${M}'s peer is back, Then it gets the value by reconciliation within the bound`, async () => {
                const k = key('reconciled');
                const value = marker('reconciled-value');
                if (!restart || restart.pid()) restart = await stopMemberPeer();
                await writer.submit('PutShared', { arguments: ['sharedPrivate', k], transientData: { value } });
                expect(utf8(await writer.evaluate('GetShared', { arguments: ['sharedPrivate', k], endorsingOrganizations: [W] }))).to.equal(
                    value,
                );
                await restart.start(120_000);
                const back = Date.now();
                const height = (await peerChainInfo(t, W)).height;
                await eventually(`${M} to catch up`, async () => ((await peerChainInfo(t, M)).height >= height ? true : undefined), 60_000);
                const caughtUp = Date.now() - back;
                expect(
                    await eventually(`${M} to read the reconciled value`, () => readOnMember('sharedPrivate', k), RECONCILE_BOUND_MS),
                ).to.equal(value);
                const reconciled = Date.now() - back;
                process.stdout.write(
                    `      (${M}'s peer caught up ${caughtUp} ms and held the missed value ${reconciled} ms after it was back on ${NETWORK_LABEL})\n`,
                );
                expect(reconciled).to.be.at.most(RECONCILE_BOUND_MS);
            });
        });

        describe("the orgs' implicit collections", () => {
            it(`Given a chaincode that writes both ${W}'s and ${M}'s implicit collections, When both orgs endorse, Then VALID and each org's peer reads its own`, async () => {
                const k = key('implicit');
                const value = marker('implicit-value');
                const both = await writer
                    .newProposal('PutImplicit', {
                        arguments: [`${W},${M}`, k],
                        transientData: { value },
                        endorsingOrganizations: [W, M],
                    })
                    .endorse();
                expect((await (await both.submit()).getStatus()).code).to.equal(StatusCode.VALID);
                expect(utf8(await writer.evaluate('GetImplicit', { arguments: [W, k], endorsingOrganizations: [W] }))).to.equal(value);
                expect(
                    await eventually(`${M} to read its implicit collection`, () =>
                        member.evaluate('GetImplicit', { arguments: [M, k], endorsingOrganizations: [M] }).then(utf8),
                    ),
                ).to.equal(value);
            });

            it(`Given ${M}'s implicit collection holds a key, When ${W}'s peer is asked for it, Then Fabric's refusal (the hash is there, the value is not); the hash is readable on every peer`, async () => {
                const k = key('theirs');
                const value = marker('member-only');
                const tx = await member
                    .newProposal('PutImplicit', { arguments: [M, k], transientData: { value }, endorsingOrganizations: [M] })
                    .endorse();
                expect((await (await tx.submit()).getStatus()).code).to.equal(StatusCode.VALID);
                // The writer's peer commits the block on its own: its hash of the key shows when.
                const hash = await eventually(`the hash on ${W}'s peer`, async () => {
                    const h = utf8(await writer.evaluate('GetImplicitHash', { arguments: [M, k], endorsingOrganizations: [W] }));
                    return h === '' ? undefined : h;
                });
                expect(hash).to.equal(sha256(value));
                const refused = await writer.evaluate('GetImplicit', { arguments: [M, k], endorsingOrganizations: [W] }).then(
                    () => 'read',
                    (e: unknown) => messagesOf(e),
                );
                expect(refused).to.match(
                    /private data matching public hash version is not available\. Public hash version = \{BlockNum: \d+, TxNum: \d+\}, Private data version = <nil>/,
                );
                // Only the member's peer keeps the value on disk; the others hold its hash.
                expect(filesHolding(value, M), `files outside ${M}'s ledger`).to.deep.equal([]);
                // The member purges it: gone from its peer too.
                await member.submit('PurgeImplicit', { arguments: [M, k], endorsingOrganizations: [M] });
                const gone = await member.evaluate('GetImplicit', { arguments: [M, k], endorsingOrganizations: [M] }).then(
                    () => 'read',
                    (e: unknown) => messagesOf(e),
                );
                expect(gone).to.contain(`NOT_FOUND: private ${k}`);
            });

            it(`Given the same writes endorsed by ${W}'s peer alone, Then ENDORSEMENT_POLICY_FAILURE (${M}'s Endorsement policy), and ${M}'s peer goes on committing`, async () => {
                const k = key('implicit-one');
                const one = await writer
                    .newProposal('PutImplicit', {
                        arguments: [`${W},${M}`, k],
                        transientData: { value: marker('never-valid') },
                        endorsingOrganizations: [W],
                    })
                    .endorse();
                expect((await (await one.submit()).getStatus()).code).to.equal(StatusCode.ENDORSEMENT_POLICY_FAILURE);
                // Real Fabric's member peer tries to pull its part of that invalid transaction before it
                // commits the block (skipPullingInvalidTransactionsDuringCommit false, pullRetryThreshold 60 s):
                // wait for it, so that the suites after this one find it caught up.
                const started = Date.now();
                const height = (await peerChainInfo(t, W)).height;
                await eventually(
                    `${M} to commit past the invalid transaction`,
                    async () => ((await peerChainInfo(t, M)).height >= height ? true : undefined),
                    120_000,
                );
                process.stdout.write(
                    `      (${M}'s peer committed the block ${Date.now() - started} ms after ${W}'s on ${NETWORK_LABEL})\n`,
                );
            });
        });
    });
}
