// A fabric-gateway connection for one identity of one org, built from the topology: the same
// code the CLI, the tests and the benchmarks use to reach a peer (TLS, the org's TLS root).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { connect, Gateway, Identity, Signer, ConnectOptions } from '@hyperledger/fabric-gateway';
import { Topology, findOrg, paths, address } from './topology';
import { newFastSigner } from './signing';
import { readMspIdentity } from './msp-folder';

export interface OrgConnection {
    gateway: Gateway;
    client: grpc.Client;
    identity: Identity;
    signer: Signer;
    close(): void;
}

/** A gRPC client to an org's peer over TLS, verified against the org's TLS CA. */
export function newPeerClient(topology: Topology, mspId: string): grpc.Client {
    const org = findOrg(topology, mspId);
    const credentials = grpc.credentials.createSsl(fs.readFileSync(paths.tlsRootCert(topology, mspId)));
    return new grpc.Client(address(org.peer), credentials, {
        'grpc.ssl_target_name_override': paths.peerName(topology, mspId),
        'grpc.max_receive_message_length': 100 * 1024 * 1024,
    });
}

/** Reads users/<user>@<domain>/msp: the certificate and the private key. */
export function loadUser(topology: Topology, mspId: string, user: string): { identity: Identity; signer: Signer; privateKeyPem: string } {
    const mspDir = path.join(paths.userDir(topology, mspId, user), 'msp');
    if (!fs.existsSync(mspDir)) throw new Error(`UNKNOWN_IDENTITY: no MSP folder for ${user} of ${mspId} at ${mspDir}`);
    // Whatever cryptogen or fabric-ca-client named the files (a reenroll leaves old keys behind).
    const { certificatePem, privateKeyPem } = readMspIdentity(mspDir);
    return { identity: { mspId, credentials: Buffer.from(certificatePem) }, signer: newFastSigner(privateKeyPem), privateKeyPem };
}

export function connectAs(
    topology: Topology,
    mspId: string,
    user: string,
    options: Partial<ConnectOptions> = {},
    client: grpc.Client = newPeerClient(topology, mspId),
): OrgConnection {
    const { identity, signer } = loadUser(topology, mspId, user);
    const gateway = connect({
        client,
        identity,
        signer,
        evaluateOptions: () => ({ deadline: Date.now() + 10_000 }),
        endorseOptions: () => ({ deadline: Date.now() + 20_000 }),
        submitOptions: () => ({ deadline: Date.now() + 10_000 }),
        commitStatusOptions: () => ({ deadline: Date.now() + 60_000 }),
        ...options,
    });
    return {
        gateway,
        client,
        identity,
        signer,
        close() {
            gateway.close();
            client.close();
        },
    };
}
