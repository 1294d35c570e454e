// Real-Fabric generation, read back: the CA server configurations, configtx.yaml, the peer and
// orderer settings, the Compose file and the ccaas packages, all from the default topology.
// No Fabric binary is needed.
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { loadTopology, paths, Topology, DEFAULT_TOPOLOGY } from '../../../network/client/topology';
import {
    caOrgs,
    caServerConfig,
    configtx,
    FABRIC_LOGGING_ENV,
    CHANNEL_PROFILE,
    fabricPorts,
    nativeNodeFiles,
    ordererSettings,
    overlay,
    peerSettings,
    settingsToEnv,
    Settings,
} from '../../../network/fabric/config';
import { composeFile, IMAGES } from '../../../network/fabric/compose';
import { ccaasPackage, untarGz } from '../../../network/fabric/package';
import { ccaasConnection, dialOptions, fillTemplates } from '../../../network/devnet/peer/chaincode/connection';
import { asFabric, builderDir, endorsementPolicyArgs, fabricNodes, orgPackage, peerCli } from '../../../network/fabric/network';
import { FABRIC_TOOLS, type FabricBinaries } from '../../../network/fabric/binaries';

/** Through YAML and back, as Fabric's tools read the files. */
/** A generated file read back as YAML, inspected field by field. */
type Parsed = ReturnType<typeof YAML.parse>;
const readBack = (s: Settings): Parsed => YAML.parse(YAML.stringify(s));

describe('fabric/config: what real Fabric reads, generated from the topology', () => {
    let t: Topology;
    before(() => {
        t = asFabric(loadTopology(DEFAULT_TOPOLOGY));
    });

    describe('Given the default topology', () => {
        it('Then the Fabric state lives in its own folder beside the devnet state', () => {
            expect(t.stateDir).to.equal(loadTopology(DEFAULT_TOPOLOGY).fabricStateDir);
            expect(t.stateDir).to.not.equal(loadTopology(DEFAULT_TOPOLOGY).stateDir);
        });

        it('Then every port a Fabric node binds is distinct, and every org has a CA, a peer and a chaincode listener', () => {
            const owners = [...fabricPorts(t).values()];
            for (const org of t.orgs) {
                expect(owners).to.include(`ca.${org.domain}`);
                expect(owners).to.include(`peer0.${org.domain}`);
                expect(owners).to.include(`peer0.${org.domain} chaincode listener`);
            }
            expect(owners.filter((o) => /^orderer\.(seoul|mois|mohw)\.example\.gov admin$/.test(o))).to.have.length(3);
        });

        it('When a port is shared by a peer chaincode listener and another node, Then the refusal names both', () => {
            const clash = {
                ...t,
                orderer: {
                    ...t.orderer,
                    nodes: [{ ...t.orderer.nodes[0], adminPort: t.orgs[0].peer.port + 1 }, ...t.orderer.nodes.slice(1)],
                },
            };
            expect(() => fabricPorts(clash)).to.throw(
                /FABRIC_CONFIG_INVALID: port 7052 is used by both orderer\.seoul\.example\.gov admin and peer0\.seoul\.example\.gov chaincode listener/,
            );
        });
    });

    describe('Fabric CA server configuration', () => {
        it('Then each org gets TLS on, its port, its name, an operations endpoint and a registrar that may give attributes', () => {
            for (const org of caOrgs(t)) {
                const cfg = readBack(caServerConfig(org, 'admin', 'secret-1'));
                expect(cfg.port).to.equal(org.ca.port);
                expect(cfg.tls.enabled).to.equal(true);
                expect(cfg.ca.name).to.equal(`ca.${org.domain}`);
                expect(cfg.operations.listenAddress).to.equal(`127.0.0.1:${org.ca.operationsPort}`);
                expect(cfg.csr.hosts).to.include.members(['127.0.0.1', `ca.${org.domain}`]);
                const [registrar] = cfg.registry.identities;
                expect(registrar).to.include({ name: 'admin', pass: 'secret-1' });
                expect(registrar.attrs['hf.Registrar.Attributes']).to.equal('*');
                expect(cfg.signing.profiles.tls.usage).to.include.members(['server auth', 'client auth']);
            }
            // Every org runs its own CA, and no CA is the ordering nodes' alone: each is its operator's.
            expect(caOrgs(t).map((o) => o.mspId)).to.deep.equal(t.orgs.map((o) => o.mspId));
        });
    });

    describe('configtx.yaml', () => {
        let profile: Parsed;
        before(() => {
            profile = readBack(configtx(t, (n) => `/tls/${n.name}.crt`)).Profiles[CHANNEL_PROFILE];
        });

        it('Then three etcdraft consenters sit at the topology ordering nodes, with their TLS certificates', () => {
            expect(profile.Orderer.OrdererType).to.equal('etcdraft');
            expect(profile.Orderer.EtcdRaft.Consenters).to.deep.equal(
                t.orderer.nodes.map((n) => ({
                    Host: '127.0.0.1',
                    Port: n.port,
                    ClientTLSCert: `/tls/${n.name}.crt`,
                    ServerTLSCert: `/tls/${n.name}.crt`,
                })),
            );
            expect(profile.Orderer.EtcdRaft.Consenters.map((c: Parsed) => c.Port)).to.deep.equal([7050, 8050, 9050]);
            // Each node's org is its operator's, with that node's endpoint, and only its ordering nodes write (sign blocks).
            expect(profile.Orderer.Organizations.map((o: Parsed) => [o.ID, o.OrdererEndpoints, o.Policies.Writers.Rule])).to.deep.equal([
                ['SeoulMSP', ['127.0.0.1:7050'], "OR('SeoulMSP.orderer')"],
                ['MOISMSP', ['127.0.0.1:8050'], "OR('MOISMSP.orderer')"],
                ['MOHWMSP', ['127.0.0.1:9050'], "OR('MOHWMSP.orderer')"],
            ]);
        });

        it("Then the batch settings are the devnet's", () => {
            expect(profile.Orderer.BatchTimeout).to.equal('20ms');
            expect(profile.Orderer.BatchSize).to.deep.equal({
                MaxMessageCount: 100,
                AbsoluteMaxBytes: 10485760,
                PreferredMaxBytes: 2097152,
            });
        });

        it('Then endorsement and lifecycle endorsement need a MAJORITY, and the application capability is V2_5 (PurgePrivateData)', () => {
            expect(profile.Application.Policies.Endorsement).to.deep.equal({ Type: 'ImplicitMeta', Rule: 'MAJORITY Endorsement' });
            expect(profile.Application.Policies.LifecycleEndorsement).to.deep.equal({ Type: 'ImplicitMeta', Rule: 'MAJORITY Endorsement' });
            expect(profile.Application.Capabilities).to.deep.equal({ V2_5: true });
            expect(profile.Orderer.Policies.BlockValidation.Rule).to.equal('ANY Writers');
        });

        it('Then every org is present with its MSP folder, its own policies and its anchor peer', () => {
            const orgs = profile.Application.Organizations;
            expect(orgs.map((o: Parsed) => o.ID)).to.deep.equal(t.orgs.map((o) => o.mspId));
            for (const [i, org] of t.orgs.entries()) {
                expect(orgs[i].MSPDir).to.equal(paths.orgMsp(t, org.mspId));
                expect(orgs[i].AnchorPeers).to.deep.equal([{ Host: org.peer.host, Port: org.peer.port }]);
                expect(orgs[i].Policies.Endorsement.Rule).to.equal(`OR('${org.mspId}.peer')`);
                expect(orgs[i].Policies.Admins.Rule).to.equal(`OR('${org.mspId}.admin')`);
            }
        });
    });

    describe('peer settings (over the sample core.yaml)', () => {
        it('Then each peer has TLS, LevelDB, its addresses and operations port, our builder, no Docker, and the short private data retention', () => {
            for (const org of t.orgs) {
                const name = paths.peerName(t, org.mspId);
                const s = readBack(peerSettings(t, org, nativeNodeFiles(t, paths.peerDir(t, org.mspId), name), builderDir(t)));
                expect(s.peer.address).to.equal(`127.0.0.1:${org.peer.port}`);
                expect(s.peer.chaincodeListenAddress).to.equal(`127.0.0.1:${org.peer.port + 1}`);
                expect(s.peer.gossip.externalEndpoint).to.equal(`127.0.0.1:${org.peer.port}`);
                expect(s.peer.localMspId).to.equal(org.mspId);
                expect(s.peer.tls.enabled).to.equal(true);
                expect(s.peer.tls.cert.file).to.equal(path.join(paths.peerDir(t, org.mspId), 'tls', 'server.crt'));
                expect(s.ledger.state.stateDatabase).to.equal('goleveldb');
                expect(s.ledger.pvtdataStore.purgeInterval).to.equal(1);
                expect(s.peer.gossip.pvtData.transientstoreMaxBlockRetention).to.be.at.most(10);
                expect(s.operations.listenAddress).to.equal(`127.0.0.1:${org.peer.operationsPort}`);
                expect(s.vm.endpoint).to.equal('');
                expect(s.chaincode.externalBuilders).to.deep.equal([
                    { name: 'ccaas', path: builderDir(t), propagateEnvironment: ['CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG'] },
                ]);
            }
        });

        it('When laid over a sample, Then our keys win, lists are replaced and the sample keeps the rest', () => {
            const sample: Settings = {
                peer: { id: 'jdoe', keepalive: { interval: '7200s' }, gossip: { bootstrap: '127.0.0.1:7051' } },
                chaincode: { externalBuilders: [{ name: 'x' }] as unknown as Settings[] },
            };
            const merged = readBack(overlay(sample, peerSettings(t, t.orgs[1], nativeNodeFiles(t, '/n', 'n'), '/b')));
            expect(merged.peer.id).to.equal('peer0.mois.example.gov');
            expect(merged.peer.keepalive.interval).to.equal('7200s');
            expect(merged.peer.gossip.bootstrap).to.equal('127.0.0.1:8051');
            expect(merged.chaincode.externalBuilders.map((b: Parsed) => b.name)).to.deep.equal(['ccaas']);
        });
    });

    describe('orderer settings (over the sample orderer.yaml)', () => {
        it('Then each orderer joins channels by channel participation only, over TLS, with a client-authenticated admin endpoint', () => {
            for (const node of t.orderer.nodes) {
                const s = readBack(ordererSettings(node, nativeNodeFiles(t, paths.ordererDir(t, node), node.name), '/ordererTlsCa.pem'));
                expect(s.General.ListenPort).to.equal(node.port);
                expect(s.General.BootstrapMethod).to.equal('none');
                expect(s.General.TLS.Enabled).to.equal(true);
                expect(s.General.LocalMSPID).to.equal(node.operatedBy);
                expect(s.ChannelParticipation.Enabled).to.equal(true);
                expect(s.Admin.ListenAddress).to.equal(`127.0.0.1:${node.adminPort}`);
                expect(s.Admin.TLS.ClientAuthRequired).to.equal(true);
                expect(s.Admin.TLS.ClientRootCAs).to.deep.equal(['/ordererTlsCa.pem']);
                expect(s.Operations.ListenAddress).to.equal(`127.0.0.1:${node.operationsPort}`);
            }
        });

        it('Given an org on another host, Then its nodes listen on every interface and advertise the host name', () => {
            const far = { ...t.orgs[2], peer: { ...t.orgs[2].peer, host: 'peer0.mohw.example.gov' } };
            const s = readBack(peerSettings(t, far, nativeNodeFiles(t, '/n', 'n'), '/b'));
            expect(s.peer.listenAddress).to.equal(`0.0.0.0:${far.peer.port}`);
            expect(s.peer.address).to.equal(`peer0.mohw.example.gov:${far.peer.port}`);
            expect(s.peer.gossip.externalEndpoint).to.equal(`peer0.mohw.example.gov:${far.peer.port}`);
        });
    });

    describe('settings as environment variables', () => {
        it('Then scalars and lists of strings become Fabric variables and lists of objects are reported apart', () => {
            const { env, unset } = settingsToEnv('CORE', {
                peer: { gossip: { bootstrap: 'a:1' } },
                x: { roots: ['/a', '/b'], builders: [{ n: 1 }] as unknown as Settings[] },
            });
            expect(env).to.deep.equal({ CORE_PEER_GOSSIP_BOOTSTRAP: 'a:1', CORE_X_ROOTS: '[/a,/b]' });
            expect(unset).to.deep.equal(['x.builders']);
        });
    });

    describe('log format', () => {
        const bin: FabricBinaries = {
            bin: Object.fromEntries(FABRIC_TOOLS.map((tool) => [tool, `/opt/fabric/bin/${tool}`])) as FabricBinaries['bin'],
            configDir: '/opt/fabric/config',
        };
        /** Fabric's own default (fabric-lib-go flogging), which writes ANSI colour codes into every log line. */
        const FABRIC_DEFAULT =
            '%{color}%{time:2006-01-02 15:04:05.000 MST} %{id:04x} %{level:.4s}%{color:reset} [%{module}] %{color:bold}%{shortfunc}%{color:reset} -> %{message}';

        it("Then Fabric's default format without its colour directives: the same fields in the same order", () => {
            const format = FABRIC_LOGGING_ENV.FABRIC_LOGGING_FORMAT;
            expect(format).to.not.include('%{color');
            expect(format).to.equal(FABRIC_DEFAULT.replace(/%\{color(:[a-z]+)?\}/g, ''));
        });

        it('Then every peer and orderer process, the peer CLI and every peer and orderer container get it in their environment', () => {
            const nodes = fabricNodes(t, bin).filter((n) => n.kind === 'peer' || n.kind === 'orderer');
            expect(nodes).to.have.length(t.orgs.length + t.orderer.nodes.length);
            for (const node of nodes) expect(node.env?.FABRIC_LOGGING_FORMAT, node.name).to.equal(FABRIC_LOGGING_ENV.FABRIC_LOGGING_FORMAT);
            for (const org of t.orgs) expect(peerCli(t, org).FABRIC_LOGGING_FORMAT).to.equal(FABRIC_LOGGING_ENV.FABRIC_LOGGING_FORMAT);
            const services = readBack(composeFile(t, builderDir(t))).services as Record<string, Parsed>;
            const fabricServices = Object.values(services).filter((s) => s.image === IMAGES.peer || s.image === IMAGES.orderer);
            expect(fabricServices).to.have.length(nodes.length);
            for (const s of fabricServices) expect(s.environment.FABRIC_LOGGING_FORMAT).to.equal(FABRIC_LOGGING_ENV.FABRIC_LOGGING_FORMAT);
        });

        it('Then the orderer config leaves unset nothing that the orderer would log about before its log format applies', () => {
            const files = nativeNodeFiles(t, paths.ordererDir(t), 'orderer.seoul.example.gov');
            const general = readBack(
                ordererSettings(t.orderer.nodes[0], files, paths.tlsRootCert(t, t.orderer.nodes[0].operatedBy)),
            ).General;
            expect(general.Cluster.ReplicationPolicy).to.equal('consensus');
            expect(general).to.include.keys('ListenAddress', 'ListenPort', 'LocalMSPDir', 'LocalMSPID', 'BootstrapMethod');
        });
    });

    describe('the Compose file', () => {
        let compose: Parsed;
        before(() => {
            compose = readBack(composeFile(t, builderDir(t)));
        });

        it("Then it runs the official images at the project's versions: a CA per org, three orderers, a peer per org", () => {
            const services = Object.values(compose.services) as Parsed[];
            expect(services.filter((s) => s.image === IMAGES.ca)).to.have.length(t.orgs.length);
            expect(services.filter((s) => s.image === IMAGES.orderer)).to.have.length(3);
            expect(services.filter((s) => s.image === IMAGES.peer)).to.have.length(t.orgs.length);
            expect(IMAGES).to.deep.equal({
                peer: 'hyperledger/fabric-peer:3.1.5',
                orderer: 'hyperledger/fabric-orderer:3.1.5',
                ca: 'hyperledger/fabric-ca:1.5.21',
            });
            for (const org of t.orgs) expect(compose.services).to.have.property(`peer0.${org.domain}`);
        });

        it('Then every port a container listens on is distinct, and each peer carries the settings of the native path', () => {
            const listens: string[] = [];
            for (const s of Object.values(compose.services) as Parsed[]) {
                for (const [k, v] of Object.entries(s.environment ?? {})) {
                    // ORDERER_GENERAL_LISTENADDRESS is a host alone; its port is ORDERER_GENERAL_LISTENPORT.
                    if (/LISTENADDRESS$/.test(k) && String(v).includes(':')) listens.push(String(v).split(':').pop() as string);
                    if (/LISTENPORT$/.test(k)) listens.push(String(v));
                }
            }
            expect(new Set(listens).size).to.equal(listens.length);
            const seoul = compose.services['peer0.seoul.example.gov'].environment;
            expect(seoul.CORE_LEDGER_PVTDATASTORE_PURGEINTERVAL).to.equal('1');
            expect(seoul.CORE_PEER_TLS_ENABLED).to.equal('true');
            expect(seoul.CORE_PEER_LOCALMSPID).to.equal('SeoulMSP');
            expect(compose.services['peer0.seoul.example.gov'].volumes).to.include(`${builderDir(t)}:/opt/hyperledger/ccaas_builder:ro`);
            // The builder's TLS templates come from the peer's own env file, never from compose.yaml.
            expect(compose.services['peer0.seoul.example.gov'].env_file).to.deep.equal([
                path.join(paths.peerChaincodeTlsDir(t, 'SeoulMSP'), 'ccaas-builder.env'),
            ]);
            expect(compose.services['orderer.mois.example.gov'].environment.ORDERER_GENERAL_BOOTSTRAPMETHOD).to.equal('none');
            expect(compose.services['orderer.mois.example.gov'].environment.ORDERER_GENERAL_LOCALMSPID).to.equal('MOISMSP');
        });
    });

    describe('chaincode as a service', () => {
        it("Then each org's package points at its own server, reads back as a ccaas package, and its id is label:SHA-256", () => {
            const cc = t.chaincodes[0];
            const ids = new Set<string>();
            for (const org of t.orgs) {
                const pkg = orgPackage(cc, org);
                const files = untarGz(pkg.bytes);
                expect(JSON.parse(files.get('metadata.json')?.toString() ?? '')).to.deep.equal({
                    type: 'ccaas',
                    label: `${cc.name}_${cc.version}`,
                });
                const code = untarGz(files.get('code.tar.gz') as Buffer);
                // TLS with client authentication, the certificates left to the builder: no key in a package.
                expect(JSON.parse(code.get('connection.json')?.toString() ?? '')).to.deep.equal({
                    address: `127.0.0.1:${cc.server.ports[org.mspId]}`,
                    dial_timeout: '10s',
                    tls_required: true,
                    client_auth_required: true,
                    domain: `chaincode-${cc.name}.${org.domain}`,
                    root_cert: '{{.root_cert}}',
                    client_cert: '{{.client_cert}}',
                    client_key: '{{.client_key}}',
                });
                expect(pkg.packageId).to.equal(`${pkg.label}:${crypto.createHash('sha256').update(pkg.bytes).digest('hex')}`);
                expect(orgPackage(cc, org).bytes.equals(pkg.bytes), 'the same bytes on every run').to.equal(true);
                ids.add(pkg.packageId);
            }
            expect(ids.size).to.equal(t.orgs.length);
        });

        it('When a label has characters Fabric refuses, Then no package is built', () => {
            expect(() => ccaasPackage('bad label', { address: '127.0.0.1:1', dial_timeout: '10s', tls_required: false })).to.throw(
                /PACKAGE_INVALID/,
            );
        });

        it('Then MAJORITY Endorsement is the channel policy and anything else a signature policy', () => {
            expect(endorsementPolicyArgs('MAJORITY Endorsement')).to.deep.equal([
                '--channel-config-policy',
                '/Channel/Application/Endorsement',
            ]);
            expect(endorsementPolicyArgs("OR('SeoulMSP.peer')")).to.deep.equal(['--signature-policy', "OR('SeoulMSP.peer')"]);
        });

        it('Then our builder claims a ccaas package only, and releases its connection.json where the peer looks for it', () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'builder-'));
            try {
                const bin = path.join(builderDir(t), 'bin');
                const [src, meta, out, rel] = ['src', 'meta', 'out', 'rel'].map((d) => path.join(dir, d));
                for (const d of [src, meta, out, rel]) fs.mkdirSync(d);
                const pkg = untarGz(orgPackage(t.chaincodes[0], t.orgs[0]).bytes);
                fs.writeFileSync(path.join(meta, 'metadata.json'), pkg.get('metadata.json') as Buffer);
                fs.writeFileSync(
                    path.join(src, 'connection.json'),
                    untarGz(pkg.get('code.tar.gz') as Buffer).get('connection.json') as Buffer,
                );
                execFileSync(path.join(bin, 'detect'), [src, meta]);
                // Without the peer's builder config, the TLS templates cannot be filled: no build.
                const noConfig = { ...process.env, CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: '' };
                expect(() => execFileSync(path.join(bin, 'build'), [src, meta, out], { env: noConfig, stdio: 'pipe' }))
                    .to.throw()
                    .with.property('stderr')
                    .that.satisfies((e: Buffer) =>
                        /connection.json uses \{\{.root_cert\}\}, which CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG does not set/.test(String(e)),
                    );
                const config = {
                    root_cert: '-----BEGIN CERTIFICATE-----\nroot/+=\n-----END CERTIFICATE-----\n',
                    client_cert: '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n',
                    client_key: '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n',
                };
                const env = { ...process.env, CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG: JSON.stringify(config) };
                execFileSync(path.join(bin, 'build'), [src, meta, out], { env });
                execFileSync(path.join(bin, 'release'), [out, rel]);
                const released = JSON.parse(fs.readFileSync(path.join(rel, 'chaincode', 'server', 'connection.json'), 'utf8'));
                // What Fabric's peer reads from the release is what the devnet's peer dials with.
                expect(released).to.deep.equal(fillTemplates(ccaasConnection(t.chaincodes[0], t.orgs[0]), config));
                expect(dialOptions(released)).to.deep.equal({
                    address: '127.0.0.1:7101',
                    dialTimeoutMs: 10_000,
                    tls: {
                        rootCert: config.root_cert,
                        clientCert: config.client_cert,
                        clientKey: config.client_key,
                        serverName: 'chaincode-citizencard.seoul.example.gov',
                    },
                });
                fs.writeFileSync(path.join(meta, 'metadata.json'), JSON.stringify({ type: 'node', label: 'x' }));
                expect(() => execFileSync(path.join(bin, 'detect'), [src, meta], { stdio: 'ignore' })).to.throw();
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
