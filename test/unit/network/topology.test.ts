// The topology names every CA endpoint and each ordering node's operator, and refuses a file whose
// ports clash or are missing; any orgs and channel, with or without gateways; chaincode servers as
// a Node module or a command, and the refusals of an entry that is neither or both.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { DEFAULT_TOPOLOGY, gatewayOf, hasGateways, loadTopology, paths, REPO_ROOT, TopologyError } from '../../../network/client/topology';
import { packageIdFor } from '../../../network/commands/lifecycle';
import { describeTopology } from '../../../network/commands/network';
import { chaincodeNode, devnetNodes, startNode } from '../../../network/devnet/processes';
import { orgPackage } from '../../../network/fabric/network';
import { ccaasPackage } from '../../../network/fabric/package';
import { ccaasConnection } from '../../../network/devnet/peer/chaincode/connection';

/** The parsed topology file, edited freely by each case. */
type TopologyDoc = ReturnType<typeof YAML.parse>;

function variant(edit: (doc: TopologyDoc) => void): string {
    const doc = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'));
    edit(doc);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'topology-')), 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

describe('topology: CA endpoints', () => {
    it('gives each org a CA with an operations port, and each ordering node to the org that operates it', () => {
        const t = loadTopology(DEFAULT_TOPOLOGY);
        expect(t.orgs.map((o) => [o.mspId, o.ca.port, o.ca.operationsPort])).to.deep.equal([
            ['SeoulMSP', 7054, 17054],
            ['MOISMSP', 8054, 18054],
            ['MOHWMSP', 9054, 19054],
            ['AuditMSP', 10054, 20054],
        ]);
        expect(t.orderer.nodes.map((n) => [n.operatedBy, paths.ordererName(t, n), paths.ordererDir(t, n)])).to.deep.equal(
            ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => {
                const domain = t.orgs.find((o) => o.mspId === m)!.domain;
                return [
                    m,
                    `orderer.${domain}`,
                    path.join(t.stateDir, 'organizations', 'peerOrganizations', domain, 'orderers', `orderer.${domain}`),
                ];
            }),
        );
    });

    const refusals: [string, (doc: TopologyDoc) => void, RegExp][] = [
        ['an org without a CA', (d) => delete d.orgs[1].ca, /orgs\[1\]\.ca needs a host/],
        ['a CA without operations port', (d) => delete d.orgs[0].ca.operationsPort, /orgs\[0\]\.ca\.operationsPort must be a port/],
        ['no ordering node', (d) => (d.orderer.nodes = []), /orderer\.nodes must list at least one ordering node/],
        [
            'an ordering node run by no org',
            (d) => delete d.orderer.nodes[1].operatedBy,
            /orderer\.nodes\[1\]\.operatedBy must name the org that runs it/,
        ],
        [
            'an ordering node run by an org not in the topology',
            (d) => (d.orderer.nodes[2].operatedBy = 'OrdererMSP'),
            /orderer\.nodes\[2\]\.operatedBy is OrdererMSP, not an org of the topology/,
        ],
        [
            'two ordering nodes of one org with one name',
            (d) => (d.orderer.nodes[1].operatedBy = 'SeoulMSP'),
            /orderer\.nodes\[1\]: SeoulMSP already runs an ordering node named orderer/,
        ],
        ['a CA on a peer port', (d) => (d.orgs[2].ca.port = d.orgs[0].peer.port), /port 7051 is used by both SeoulMSP peer and MOHWMSP CA/],
        ['two CAs on one port', (d) => (d.orgs[1].ca.port = d.orgs[3].ca.port), /port 10054 is used by both MOISMSP CA and AuditMSP CA/],
        [
            'a CA operations port clash',
            (d) => (d.orgs[0].ca.operationsPort = d.orgs[0].ca.port),
            /port 7054 is used by both SeoulMSP CA and SeoulMSP CA operations/,
        ],
    ];
    for (const [what, edit, message] of refusals) {
        it(`refuses ${what} with TOPOLOGY_INVALID`, () => {
            const file = variant(edit);
            expect(() => loadTopology(file)).to.throw(TopologyError, message);
        });
    }
});

describe('topology: chaincode servers given as a Node module or as a command', () => {
    const GO_SERVER = {
        command: ['test/fixtures/go/bin/server', '-v'],
        ports: { SeoulMSP: 7201, MOISMSP: 8201, MOHWMSP: 9201, AuditMSP: 10201 },
    };

    it('Given a command server, When the topology loads, Then its command is kept and each org gets its server with the ccaas environment', () => {
        const t = loadTopology(variant((d) => d.chaincodes.push({ name: 'asset-go', version: '1.0', sequence: 1, server: GO_SERVER })));
        const cc = t.chaincodes.find((c) => c.name === 'asset-go')!;
        expect(cc.server).to.deep.equal({ command: GO_SERVER.command, ports: GO_SERVER.ports, tls: true });
        const mois = t.orgs.find((o) => o.mspId === 'MOISMSP')!;
        const node = chaincodeNode(t, cc, mois, 'asset-go_1.0:abc');
        expect(node.command).to.deep.equal([path.join(REPO_ROOT, 'test/fixtures/go/bin/server'), '-v']);
        expect(node.env).to.deep.equal({
            CHAINCODE_SERVER_ADDRESS: '127.0.0.1:8201',
            CHAINCODE_ID: 'asset-go_1.0:abc',
            CORE_CHAINCODE_ID_NAME: 'asset-go_1.0:abc',
            // TLS with client authentication (the default): the files of the org's chaincode server.
            CHAINCODE_TLS_DISABLED: 'false',
            CHAINCODE_TLS_CERT: path.join(paths.chaincodeServerTlsDir(t, 'MOISMSP', 'asset-go'), 'server.crt'),
            CHAINCODE_TLS_KEY: path.join(paths.chaincodeServerTlsDir(t, 'MOISMSP', 'asset-go'), 'server.key'),
            CHAINCODE_CLIENT_CA_CERT: path.join(paths.chaincodeServerTlsDir(t, 'MOISMSP', 'asset-go'), 'ca.crt'),
            CORE_PEER_LOCALMSPID: 'MOISMSP',
            CORE_CHAINCODE_LOGGING_LEVEL: node.env.CORE_CHAINCODE_LOGGING_LEVEL,
        });
        const plain = loadTopology(
            variant((d) => d.chaincodes.push({ name: 'asset-go', version: '1.0', sequence: 1, server: { ...GO_SERVER, tls: false } })),
        );
        const plainNode = chaincodeNode(plain, plain.chaincodes.find((c) => c.name === 'asset-go')!, mois, 'asset-go_1.0:abc');
        expect(plainNode.env.CHAINCODE_TLS_DISABLED).to.equal('true');
        expect(plainNode.env).to.not.have.property('CHAINCODE_TLS_KEY');
        // The Node server gets the same environment, and its address and id as arguments.
        const node0 = chaincodeNode(t, t.chaincodes[0], mois);
        expect(node0.env).to.deep.include({ CHAINCODE_SERVER_ADDRESS: '127.0.0.1:8101', CHAINCODE_ID: 'citizencard:1.0' });
        const at = node0.command.indexOf('--module-path');
        expect(node0.command.slice(at, at + 2)).to.deep.equal(['--module-path', path.join(REPO_ROOT, 'chaincode')]);
        expect(node0.command).to.include('--chaincode-tls-client-cacert-file');
    });

    it("Given no CORE_CHAINCODE_LOGGING_LEVEL, When a chaincode server's environment is made, Then it logs warnings only; Given one, Then it is passed on", () => {
        const t = loadTopology(variant(() => undefined));
        const was = process.env.CORE_CHAINCODE_LOGGING_LEVEL;
        try {
            delete process.env.CORE_CHAINCODE_LOGGING_LEVEL;
            expect(chaincodeNode(t, t.chaincodes[0], t.orgs[0]).env.CORE_CHAINCODE_LOGGING_LEVEL).to.equal('WARNING');
            process.env.CORE_CHAINCODE_LOGGING_LEVEL = 'DEBUG';
            expect(chaincodeNode(t, t.chaincodes[0], t.orgs[0]).env.CORE_CHAINCODE_LOGGING_LEVEL).to.equal('DEBUG');
        } finally {
            if (was === undefined) delete process.env.CORE_CHAINCODE_LOGGING_LEVEL;
            else process.env.CORE_CHAINCODE_LOGGING_LEVEL = was;
        }
    });

    it('Given a command server, Then its package id is computed as a Node server’s: from its org’s ccaas package (label, address)', () => {
        const t = loadTopology(variant((d) => d.chaincodes.push({ name: 'asset-go', version: '1.0', sequence: 1, server: GO_SERVER })));
        const goCc = t.chaincodes.find((c) => c.name === 'asset-go')!;
        const asNode = { ...goCc, server: { modulePath: 'x', ports: goCc.server.ports, tls: goCc.server.tls } };
        for (const org of t.orgs) {
            const expected = ccaasPackage('asset-go_1.0', ccaasConnection(goCc, org));
            expect(ccaasConnection(goCc, org).address).to.equal(`127.0.0.1:${GO_SERVER.ports[org.mspId as keyof typeof GO_SERVER.ports]}`);
            expect(orgPackage(goCc, org).packageId).to.equal(expected.packageId);
            expect(orgPackage(asNode, org).packageId).to.equal(expected.packageId);
        }
        expect(packageIdFor(t, goCc, 'MOISMSP')).to.equal(orgPackage(goCc, t.orgs[1]).packageId);
    });

    const refusals: [string, unknown, RegExp][] = [
        ['both modulePath and command', { modulePath: 'x', command: ['y'] }, /give exactly one of modulePath .* and command .*, not both/],
        ['neither modulePath nor command', {}, /give exactly one of modulePath .* and command .*, not neither/],
        ['a command given as one string', { command: 'bin/server -v' }, /command must be a list: the executable first, then its arguments/],
        ['an empty command', { command: [] }, /command must be a list/],
        ['a command with a number', { command: ['bin/server', 3] }, /command must list strings, the first one a non-empty executable/],
        ['a command with an empty executable', { command: [' '] }, /command must list strings, the first one a non-empty executable/],
        ['an empty modulePath', { modulePath: '' }, /modulePath must be a folder path/],
    ];
    for (const [what, server, message] of refusals) {
        it(`refuses ${what} with CHAINCODE_SERVER_INVALID, naming the entry`, () => {
            const file = variant((d) =>
                d.chaincodes.push({ name: 'bad', version: '1.0', sequence: 1, server: { ...(server as object), ports: GO_SERVER.ports } }),
            );
            expect(() => loadTopology(file))
                .to.throw(TopologyError, /^CHAINCODE_SERVER_INVALID: .*chaincodes\[1\]\.server: /)
                .with.property('message')
                .that.matches(message);
        });
    }

    it('refuses to start a command server whose executable does not exist, with NODE_COMMAND_NOT_FOUND, and starts nothing', () => {
        const t = loadTopology(
            variant((d) => {
                d.stateDir = path.relative(REPO_ROOT, fs.mkdtempSync(path.join(os.tmpdir(), 'topology-state-')));
                d.chaincodes.push({
                    name: 'asset-go',
                    version: '1.0',
                    sequence: 1,
                    server: { ...GO_SERVER, command: ['/nonexistent/server'] },
                });
            }),
        );
        const node = chaincodeNode(t, t.chaincodes[1], t.orgs[0]);
        expect(() => startNode(t, node)).to.throw(
            /^NODE_COMMAND_NOT_FOUND: chaincode-asset-go\.seoul\.example\.gov: \/nonexistent\/server is not an executable file/,
        );
        expect(fs.existsSync(paths.pid(t, node.name))).to.equal(false);
    });
});

describe('topology: any orgs, any channel, with or without gateways', () => {
    /** Fabric's test network: two orgs, channel mychannel, no product gateway, one chaincode. */
    const testNetwork = (d: TopologyDoc) => {
        d.channel = 'mychannel';
        d.orgs = [1, 2].map((n) => ({
            mspId: `Org${n}MSP`,
            domain: `org${n}.example.com`,
            peer: { host: '127.0.0.1', port: 6051 + n * 1000, operationsPort: 16051 + n * 1000 },
            ca: { host: '127.0.0.1', port: 6054 + n * 1000, operationsPort: 16054 + n * 1000 },
        }));
        d.orderer.nodes = [{ operatedBy: 'Org1MSP', host: '127.0.0.1', port: 7050, operationsPort: 17050 }];
        d.chaincodes = [
            { name: 'basic', version: '1.0', sequence: 1, server: { command: ['basic'], ports: { Org1MSP: 7101, Org2MSP: 8101 } } },
        ];
    };

    it('Given orgs without gateway entries, Then the topology loads, runs no gateway and says so', () => {
        const t = loadTopology(variant(testNetwork));
        expect(t.orgs.map((o) => [o.mspId, o.name, o.gateway])).to.deep.equal([
            ['Org1MSP', 'Org1MSP', undefined],
            ['Org2MSP', 'Org2MSP', undefined],
        ]);
        expect(hasGateways(t)).to.equal(false);
        expect(devnetNodes(t, true).map((n) => n.name)).to.deep.equal([
            'ca.org1.example.com',
            'ca.org2.example.com',
            'chaincode-basic.org1.example.com',
            'chaincode-basic.org2.example.com',
            'orderer.org1.example.com',
            'peer0.org1.example.com',
            'peer0.org2.example.com',
        ]);
        expect(() => gatewayOf(t.orgs[0])).to.throw(/^NO_GATEWAY: Org1MSP runs no gateway in this topology/);
        const described = describeTopology(t, 'devnet');
        expect(described[0]).to.match(/^devnet: channel mychannel, 2 org\(s\)/);
        expect(described.slice(1)).to.deep.equal([
            '  Org1MSP (Org1MSP, org1.example.com): peer0.org1.example.com, ca.org1.example.com',
            '  Org2MSP (Org2MSP, org2.example.com): peer0.org2.example.com, ca.org2.example.com',
            '  chaincode basic 1.0 (sequence 1, MAJORITY Endorsement): command basic',
            '  no product gateway: clients use fabric-gateway against the peers',
        ]);
    });

    it('Given some orgs with a gateway, Then only those orgs run one', () => {
        const t = loadTopology(variant((d) => delete d.orgs[2].gateway));
        expect(
            devnetNodes(t, true)
                .filter((n) => n.kind === 'gateway')
                .map((n) => n.org),
        ).to.deep.equal(['SeoulMSP', 'MOISMSP', 'AuditMSP']);
    });

    it('refuses gateways on a topology without the product chaincode with GATEWAY_CHAINCODE_MISSING', () => {
        const file = variant((d) => {
            testNetwork(d);
            d.orgs[1].gateway = { host: '127.0.0.1', port: 3002 };
        });
        expect(() => loadTopology(file)).to.throw(
            TopologyError,
            /^GATEWAY_CHAINCODE_MISSING: .*orgs\[1\]\.gateway: the product's gateway serves chaincode citizencard, which chaincodes does not define/,
        );
    });
});
