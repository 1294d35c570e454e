// The second topology of the tests, shaped like Fabric's own test network
// (test/fixtures/test-network/topology.yaml: Org1MSP and Org2MSP at org1/org2.example.com, channel
// mychannel, no product gateway), on a network of its own (issue 20, item 5): the tooling starts
// exactly what it describes and says so; a Go chaincode server on Fabric's contract API (a
// `command` entry, test/fixtures/go, built here when Go is present) answers through fabric-gateway
// with chaincode and block events; and the private data suite of the product's network
// (privatedata.ts) runs on it with Org1 and Org2 as the shared collections' members.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Contract, GatewayError, Network } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { paths, REPO_ROOT, shownPath, Topology } from '../../network/client/topology';
import type { RenewResult } from '../../network/commands/renew';
import { execFileWithin } from '../deadline';
import { notRun } from '../not-run';
import { buildGoChaincode, GoBuild } from './go-chaincode';
import { closeConnections, connection, readEvents, utf8 } from './helpers';
import { ControlledNode, driver, NETWORK, NETWORK_LABEL, ownNetwork } from './network';
import { describePrivateData } from './privatedata';

const SOURCE = path.join(REPO_ROOT, 'test', 'fixtures', 'test-network', 'topology.yaml');
const GO_CC = 'asset-go';
const CLI = path.join(REPO_ROOT, 'dist', 'network', 'commands', 'cli.js');

/** The network, brought up once for this file's suites (first caller), stopped in the outer after hook. */
let network: Promise<{ t: Topology; nodes: ControlledNode[]; go: GoBuild }> | undefined;

function testNetworkShape(): Promise<{ t: Topology; nodes: ControlledNode[]; go: GoBuild }> {
    network ??= (async () => {
        const go = await buildGoChaincode();
        if ('binary' in go)
            process.stdout.write(`      (Go chaincode server ${go.cached ? 'unchanged since its last build' : `built in ${go.ms} ms`})\n`);
        const started = Date.now();
        const t = await ownNetwork({
            name: 'testnetwork',
            extraShift: 600,
            source: SOURCE,
            // Without Go, the network runs without the Go chaincode, and its tests say they did not run.
            edit: (doc) => {
                if ('notRun' in go) doc.chaincodes = (doc.chaincodes as { name: string }[]).filter((cc) => cc.name !== GO_CC);
            },
        });
        process.stdout.write(`      (the test network shape up on ${NETWORK_LABEL} in ${Date.now() - started} ms)\n`);
        return {
            t,
            nodes: driver()
                .nodes(t)
                .filter((n) => n.kind !== 'gateway'),
            go,
        };
    })();
    return network;
}

/** A network command of the tooling against this topology, as an operator runs it. */
const cli = (t: Topology, ...args: string[]) =>
    execFileWithin(240_000, process.execPath, [CLI, ...args, '--topology', t.file, ...driver().cliArgs], { cwd: REPO_ROOT });

describe(`Fabric's test network shape (Org1MSP, Org2MSP, channel mychannel, no product gateway) on ${NETWORK_LABEL}`, function () {
    this.timeout(600_000);
    let t: Topology;

    before(async function () {
        if (process.env.E2E_TOPOLOGY) notRun(this, 'E2E_TOPOLOGY names a network already running: this file starts a network of its own');
        ({ t } = await testNetworkShape());
    });
    after(async () => {
        closeConnections();
        if (network && !process.env.E2E_KEEP) {
            const up = await network.catch(() => undefined);
            if (up) await driver().down(up.t, false);
        }
    });

    it('Given the topology, When the network is up, Then it runs exactly its nodes (two CAs, one orderer, two peers, a server per org and chaincode, no gateway), and network:status and up describe it', async () => {
        const running = driver()
            .nodes(t)
            .filter((n) => n.pid() !== undefined)
            .map((n) => n.name)
            .sort();
        const chaincodes = t.chaincodes.map((cc) => cc.name);
        const orderers = NETWORK === 'fabric' ? t.orderer.nodes.length : 1;
        expect(running).to.deep.equal(
            [
                'ca.org1.example.com',
                'ca.org2.example.com',
                'orderer.org1.example.com',
                'peer0.org1.example.com',
                'peer0.org2.example.com',
                ...chaincodes.flatMap((cc) => [`chaincode-${cc}.org1.example.com`, `chaincode-${cc}.org2.example.com`]),
            ].sort(),
        );
        expect(orderers).to.equal(1);
        expect(fs.readdirSync(path.dirname(paths.log(t, 'x'))).filter((f) => f.startsWith('gateway.'))).to.deep.equal([]);

        const status = await cli(t, 'status');
        const label = NETWORK === 'fabric' ? 'real Fabric' : 'devnet';
        expect(status.stdout).to.contain(`${label}: channel mychannel, 2 org(s), state in ${shownPath(t, t.stateDir)}`);
        expect(status.stdout).to.contain('  Org1MSP (Org1, org1.example.com): peer0.org1.example.com, ca.org1.example.com\n');
        expect(status.stdout).to.contain('  Org2MSP (Org2, org2.example.com): peer0.org2.example.com, ca.org2.example.com\n');
        expect(status.stdout).to.contain(
            '  chaincode fixture 1.0 (sequence 1, MAJORITY Endorsement, collections sharedPrivate, sharedRequired): Node module test/fixtures',
        );
        if (chaincodes.includes(GO_CC)) {
            expect(status.stdout).to.contain(
                '  chaincode asset-go 1.0 (sequence 1, MAJORITY Endorsement): command test/fixtures/go/bin/fixture-go',
            );
        }
        expect(status.stdout).to.contain('  no product gateway: clients use fabric-gateway against the peers');
        expect(status.stdout).to.not.match(/gateway\.org\d/);
        expect(status.stdout).to.match(/OK +peer0\.org2\.example\.com +127\.0\.0\.1:\d+ +(\d+ MiB {2})?height \d+/);

        // `up` again starts nothing, and its banner is this topology's: no product page, no API key.
        const up = await cli(t, 'up');
        expect(up.stdout).to.not.match(/ up in \d+ ms/);
        expect(up.stdout).to.contain(`orderer   127.0.0.1:${t.orderer.nodes[0].port}  orderer.org1.example.com, run by Org1MSP`);
        expect(up.stdout).to.match(/^Org2MSP {3}peer 127\.0\.0\.1:\d+ {2}CA https:\/\/127\.0\.0\.1:\d+ {2}\(TLS root /m);
        expect(up.stdout).to.contain(
            `Clients: fabric-gateway to a peer over TLS, e.g. Org1MSP's at 127.0.0.1:${t.orgs[0].peer.port}, channel mychannel`,
        );
        expect(up.stdout).to.not.match(/tracker|console|gateway:admin|citizencard/);
    });

    describe('a Go chaincode server (fabric-contract-api-go v2, run as a command)', () => {
        let org1: Contract;
        let org2: Contract;
        let net1: Network;
        before(async function () {
            const { go } = await testNetworkShape();
            if ('notRun' in go) notRun(this, go.notRun);
            net1 = connection(t, 'Org1MSP').gateway.getNetwork(t.channel);
            org1 = net1.getContract(GO_CC);
            org2 = connection(t, 'Org2MSP').gateway.getNetwork(t.channel).getContract(GO_CC);
        });

        it("Given each org's server, When each peer runs it, Then it answers with its own org (CORE_PEER_LOCALMSPID) and the chaincode id of its org's package", async () => {
            for (const mspId of ['Org1MSP', 'Org2MSP']) {
                expect(utf8(await org1.evaluate('PeerOrg', { endorsingOrganizations: [mspId] }))).to.equal(mspId);
            }
            // Its log line, merged by network:logs with the time it was written.
            const logs = await cli(t, 'logs', '--node', `${GO_CC}.org2`);
            expect(logs.stdout).to.match(
                NETWORK === 'fabric'
                    ? /^\d\d:\d\d:\d\d\.\d{3} INFO {2}chaincode-asset-go\.org2\.example\.com chaincode server asset-go_1\.0:[0-9a-f]{64} listening on 127\.0\.0\.1:\d+ for Org2MSP$/m
                    : /^\d\d:\d\d:\d\d\.\d{3} INFO {2}chaincode-asset-go\.org2\.example\.com chaincode server asset-go:1\.0 listening on 127\.0\.0\.1:\d+ for Org2MSP$/m,
            );
        });

        it("Given a Put endorsed by both orgs (MAJORITY), When it commits, Then Org2's client reads the value, and the chaincode event and the block come through fabric-gateway", async () => {
            const key = `go-${Date.now()}`;
            const submitted = await org1.submitAsync('Put', { arguments: [key, 'forty-two'] });
            const status = await submitted.getStatus();
            expect(status.successful, `validation code ${status.code}`).to.equal(true);
            expect(utf8(await org2.evaluate('Get', { arguments: [key], endorsingOrganizations: ['Org2MSP'] }))).to.equal('forty-two');

            const events = await net1.getChaincodeEvents(GO_CC, { startBlock: status.blockNumber });
            let event: { eventName: string; payload: Uint8Array; transactionId: string; blockNumber: bigint } | undefined;
            await readEvents('asset-go chaincode events', events, (e) => {
                if (e.transactionId !== submitted.getTransactionId()) return false;
                event = e;
                return true;
            });
            expect(event?.eventName).to.equal('Put');
            expect(JSON.parse(utf8(event!.payload))).to.deep.equal({ key, value: 'forty-two' });
            expect(event?.blockNumber).to.equal(status.blockNumber);

            const blocks = await net1.getBlockEvents({ startBlock: status.blockNumber });
            let txIds: string[] = [];
            await readEvents('blocks of mychannel', blocks, (block) => {
                expect(BigInt(block.getHeader()!.getNumber())).to.equal(status.blockNumber);
                txIds = block
                    .getData()!
                    .getDataList_asU8()
                    .map((bytes) => {
                        const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
                        const header = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
                        expect(header.getChannelId()).to.equal('mychannel');
                        return header.getTxId();
                    });
                return true;
            });
            expect(txIds).to.include(submitted.getTransactionId());
        });

        it('Given a Put with an empty key, Then the Go contract refuses it with KEY_REQUIRED and nothing is written', async () => {
            const refused = await org1.submit('Put', { arguments: ['', 'x'] }).then(
                () => 'committed',
                (e: unknown) => (e instanceof GatewayError ? [e.message, ...e.details.map((d) => d.message)].join('; ') : String(e)),
            );
            expect(refused).to.contain('KEY_REQUIRED: the key is empty');
            const missing = await org1.evaluate('Get', { arguments: [''] }).then(
                () => 'found',
                (e: unknown) => (e instanceof GatewayError ? [e.message, ...e.details.map((d) => d.message)].join('; ') : String(e)),
            );
            expect(missing).to.contain('NOT_FOUND');
        });
    });

    describePrivateData(
        'private data across Org1 and Org2',
        async () => {
            const { t: topology, nodes } = await testNetworkShape();
            return { topology, nodes };
        },
        { writer: 'Org1MSP', member: 'Org2MSP' },
    );

    describe('network:renew (certificates renewed before they expire, one node at a time)', () => {
        it('Given every certificate of Org1 due (--within 36500), When it renews, Then each of its running nodes comes back with its new certificate, Puts endorsed by both orgs keep committing around the restarts, and a second run renews nothing', async () => {
            const warned = await cli(t, 'status', '--warn-days', '36500');
            expect(warned.stdout).to.match(
                /^WARN {4}tls certificate of peer0\.org1\.example\.com \(Org1MSP\) expires .+: network:renew --org Org1MSP$/m,
            );
            const org2 = connection(t, 'Org2MSP').gateway.getNetwork(t.channel).getContract('fixture');
            const outcomes = { committed: 0, failed: 0 };
            let renewing = true;
            const traffic = (async () => {
                for (let i = 0; renewing; i++) {
                    const ok = await org2
                        .submitAsync('Put', { arguments: [`renew-${Date.now()}-${i}`, 'v'] })
                        .then((s) => s.getStatus())
                        .then(
                            (status) => status.successful,
                            () => false,
                        );
                    outcomes[ok ? 'committed' : 'failed']++;
                    if (!ok) await new Promise((r) => setTimeout(r, 200));
                }
            })();
            const out = await cli(t, 'renew', '--org', 'Org1MSP', '--within', '36500', '--json').finally(() => {
                renewing = false;
            });
            await traffic;
            const r = JSON.parse(out.stdout.trim().split('\n').pop() as string) as RenewResult;
            const chaincodeServers = t.chaincodes.map((cc) => `chaincode-${cc.name}.org1.example.com`);
            expect(r.restarted.map((x) => x.node)).to.have.members([
                // A real fabric-ca-server keeps its own TLS pair in its home, outside the org's folder.
                ...(NETWORK === 'devnet' ? ['ca.org1.example.com'] : []),
                'orderer.org1.example.com',
                'peer0.org1.example.com',
                ...chaincodeServers,
            ]);
            expect(r.renewed.length).to.be.greaterThan(8);
            process.stdout.write(
                `      (renewed ${r.renewed.length} certificates of Org1 in ${r.totalMs} ms; restarts: ${r.restarted.map((x) => `${x.node} ${x.downMs} ms`).join(', ')}; Puts meanwhile: ${outcomes.committed} committed, ${outcomes.failed} failed)\n`,
            );
            // The peer and the ordering node serve the renewed TLS certificates.
            for (const [name, port, dir] of [
                ['peer0.org1.example.com', t.orgs[0].peer.port, paths.peerDir(t, 'Org1MSP')],
                ['orderer.org1.example.com', t.orderer.nodes[0].port, paths.ordererDir(t)],
            ] as const) {
                const served = await servedCertificate(port, name, fs.readFileSync(paths.tlsRootCert(t, 'Org1MSP')));
                expect(served, name).to.equal(
                    new crypto.X509Certificate(fs.readFileSync(path.join(dir, 'tls', 'server.crt'))).serialNumber,
                );
            }
            // A Put endorsed by both orgs, sent by Org1's renewed User1 (a new connection reads the new certificate).
            const org1 = connection(t, 'Org1MSP').gateway.getNetwork(t.channel).getContract('fixture');
            const status = await (await org1.submitAsync('Put', { arguments: [`renewed-${Date.now()}`, 'v'] })).getStatus();
            expect(status.successful, `validation code ${status.code}`).to.equal(true);
            expect(outcomes.committed).to.be.greaterThan(0);

            const again = await cli(t, 'renew', '--org', 'Org1MSP', '--json');
            const second = JSON.parse(again.stdout.trim().split('\n').pop() as string) as RenewResult;
            expect([second.renewed, second.restarted]).to.deep.equal([[], []]);
            const quiet = await cli(t, 'status');
            expect(quiet.stdout).to.match(/^certificates: \d+, earliest expiry .+; warning 30 days before$/m);
            expect(quiet.stdout).to.not.match(/^(WARN|EXPIRED)/m);
        });
    });
});

/** The serial number of the TLS certificate a node serves. */
function servedCertificate(port: number, servername: string, ca: Buffer): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: '127.0.0.1', port, servername, ca, ALPNProtocols: ['h2'] }, () => {
            resolve(socket.getPeerCertificate().serialNumber);
            socket.end();
        });
        socket.once('error', reject);
    });
}
