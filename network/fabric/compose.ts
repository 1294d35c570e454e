// A Docker Compose file for the same network with Fabric's official images, from the same
// settings as the native processes (config.ts) passed as the environment variables the images
// read. Host networking: every node keeps the topology's address, so TLS names, anchor peers,
// orderer endpoints and the chaincode servers' addresses are the native network's.
import * as path from 'node:path';
import { Topology, paths, findOrg } from '../client/topology';
import { caOrgs, caName, FABRIC_LOGGING_ENV, ordererSettings, peerSettings, settingsToEnv, NodeFiles, Settings } from './config';
import { FABRIC_VERSION, FABRIC_CA_VERSION } from './binaries';
import { caHome } from './identities';

export const IMAGES = {
    peer: `hyperledger/fabric-peer:${FABRIC_VERSION}`,
    orderer: `hyperledger/fabric-orderer:${FABRIC_VERSION}`,
    ca: `hyperledger/fabric-ca:${FABRIC_CA_VERSION}`,
};

/** Where the images look for things; the peer image's core.yaml names this builder folder. */
const IN_CONTAINER = {
    caHome: '/etc/hyperledger/fabric-ca-server',
    orderer: { msp: '/var/hyperledger/orderer/msp', tls: '/var/hyperledger/orderer/tls', data: '/var/hyperledger/production/orderer' },
    ordererTlsCa: '/var/hyperledger/orderer/orderer-tlsca.pem',
    peer: { msp: '/etc/hyperledger/fabric/msp', tls: '/etc/hyperledger/fabric/tls', data: '/var/hyperledger/production' },
    builder: '/opt/hyperledger/ccaas_builder',
};

/** The peer's builder config as a Compose env file, in its chaincode TLS folder. */
export const ccaasBuilderEnvFile = (t: Topology, mspId: string) => path.join(paths.peerChaincodeTlsDir(t, mspId), 'ccaas-builder.env');

export function composeFile(t: Topology, builderDir: string): Settings {
    const services: Settings = {};
    for (const org of caOrgs(t)) {
        services[caName(org)] = {
            image: IMAGES.ca,
            container_name: caName(org),
            network_mode: 'host',
            command: `fabric-ca-server start --home ${IN_CONTAINER.caHome}`,
            volumes: [`${caHome(t, org)}:${IN_CONTAINER.caHome}`],
        };
    }
    for (const node of t.orderer.nodes) {
        const name = paths.ordererName(t, node);
        const dir = paths.ordererDir(t, node);
        const files: NodeFiles = IN_CONTAINER.orderer;
        services[name] = {
            image: IMAGES.orderer,
            container_name: name,
            network_mode: 'host',
            environment: {
                ...settingsToEnv('ORDERER', ordererSettings(node, files, IN_CONTAINER.ordererTlsCa)).env,
                ...FABRIC_LOGGING_ENV,
            },
            volumes: [
                `${path.join(dir, 'msp')}:${files.msp}:ro`,
                `${path.join(dir, 'tls')}:${files.tls}:ro`,
                `${paths.tlsRootCert(t, node.operatedBy)}:${IN_CONTAINER.ordererTlsCa}:ro`,
                `${paths.ledger(t, name)}:${files.data}`,
            ],
            depends_on: [caName(findOrg(t, node.operatedBy))],
        };
    }
    for (const org of t.orgs) {
        const name = paths.peerName(t, org.mspId);
        const dir = paths.peerDir(t, org.mspId);
        const files: NodeFiles = IN_CONTAINER.peer;
        // The external builder is a list, which no environment variable can set: ours replaces
        // the image's own ccaas builder at the path the image's core.yaml names.
        const { env } = settingsToEnv('CORE', peerSettings(t, org, files, IN_CONTAINER.builder));
        services[name] = {
            image: IMAGES.peer,
            container_name: name,
            network_mode: 'host',
            environment: { ...env, ...FABRIC_LOGGING_ENV },
            // CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG (the peer's chaincode client key among it), which
            // the image's core.yaml propagates to the builder; written beside the key (mode 0600).
            env_file: [ccaasBuilderEnvFile(t, org.mspId)],
            volumes: [
                `${path.join(dir, 'msp')}:${files.msp}:ro`,
                `${path.join(dir, 'tls')}:${files.tls}:ro`,
                `${paths.ledger(t, name)}:${files.data}`,
                `${builderDir}:${IN_CONTAINER.builder}:ro`,
            ],
            depends_on: t.orderer.nodes.map((n) => paths.ordererName(t, n)),
        };
    }
    return { name: t.channel, services };
}
