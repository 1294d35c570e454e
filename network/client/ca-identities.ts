// Identities of an org through its Fabric CA, on the devnet and on real Fabric alike: the org's
// registrar (the CA's bootstrap identity, enrolled once into ca/registrar/msp), registering and
// enrolling an identity into users/<name>@<domain>/msp (network:revoke revokes). Used by `gateway:admin` and
// `network:enroll`; holds no CA key.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CA_REGISTRAR_ID, caOf, paths, type Topology } from './topology';
import { type CaCredential, FabricCaClient, FabricCaError } from './fabric-ca-client';
import { hasMspIdentity, readMspIdentity } from './msp-folder';
import { type HsmConfig, requestInToken } from './hsm';

/** The client of an org's CA, from the topology (TLS trust: paths.caTlsRootCert). */
export function caClient(t: Topology, mspId: string): FabricCaClient {
    const ca = caOf(t, mspId);
    const tlsRoot = paths.caTlsRootCert(t, mspId);
    if (!fs.existsSync(tlsRoot)) throw new Error(`CA_TLS_ROOT_MISSING: ${tlsRoot} does not exist; bring the network up first`);
    return new FabricCaClient({ url: `https://${ca.host}:${ca.port}`, tlsRootCertPem: fs.readFileSync(tlsRoot) });
}

/** The org's registrar: its enrolled MSP folder, enrolled on first use with the bootstrap secret. */
export async function registrar(t: Topology, mspId: string, client = caClient(t, mspId)): Promise<CaCredential> {
    const mspDir = paths.caRegistrarMsp(t, mspId);
    if (hasMspIdentity(mspDir)) return readMspIdentity(mspDir);
    const secretFile = paths.caRegistrarSecret(t, mspId);
    if (!fs.existsSync(secretFile)) {
        throw new Error(`CA_REGISTRAR_UNKNOWN: ${secretFile} does not exist: the secret of ${mspId}'s CA registrar is kept there`);
    }
    const enrollment = await client.enroll({ enrollmentId: CA_REGISTRAR_ID, secret: fs.readFileSync(secretFile, 'utf8').trim() });
    client.writeMsp(mspDir, enrollment);
    return enrollment;
}

export interface IdentityRequest {
    mspId: string;
    /** Enrollment id; the folder is users/<name>@<domain>/msp. */
    name: string;
    /** client (default), admin, peer or orderer: the NodeOU of the certificate. */
    type?: string;
    /** Registered as ecert attributes: in every certificate of the identity (extension 1.2.3.4.5.6.7.8.1). */
    attrs?: Record<string, string>;
    /** Answer the identity already enrolled in that folder instead of refusing with IDENTITY_EXISTS. */
    reuse?: boolean;
    /** Make the key in this PKCS#11 token (the CSR is signed there; no private key is written). */
    hsm?: HsmConfig;
}

export interface EnrolledIdentity {
    mspId: string;
    name: string;
    mspDir: string;
    certificatePem: string;
    /** False when an existing folder was reused. */
    enrolled: boolean;
}

/**
 * Registers the identity at its org's CA as the org's registrar and enrolls it into its MSP
 * folder, as `fabric-ca-client register` + `enroll`. A run interrupted between the two (the CA
 * knows the id, no folder yet) is finished on a rerun with `reuse`: the registrar sets a new secret.
 */
export async function registerAndEnroll(t: Topology, req: IdentityRequest): Promise<EnrolledIdentity> {
    const mspDir = path.join(paths.userDir(t, req.mspId, req.name), 'msp');
    if (hasMspIdentity(mspDir)) {
        if (!req.reuse) throw new Error(`IDENTITY_EXISTS: ${req.name} is already enrolled in ${req.mspId} (${mspDir})`);
        return { mspId: req.mspId, name: req.name, mspDir, certificatePem: readMspIdentity(mspDir).certificatePem, enrolled: false };
    }
    const client = caClient(t, req.mspId);
    const admin = await registrar(t, req.mspId, client);
    const secret = crypto.randomBytes(18).toString('base64url');
    const attrs = Object.entries(req.attrs ?? {}).map(([name, value]) => ({ name, value, ecert: true }));
    try {
        await client.register(admin, { id: req.name, secret, type: req.type ?? 'client', attrs });
    } catch (e) {
        if (!(e instanceof FabricCaError && e.caCode === 74 && req.reuse)) throw e;
        await client.modifyIdentity(admin, req.name, { secret });
    }
    const csrPem = req.hsm ? requestInToken(req.hsm, `CN=${req.name}`).csrPem : undefined;
    const enrollment = await client.enroll({ enrollmentId: req.name, secret, ...(csrPem ? { csrPem } : {}) });
    client.writeMsp(mspDir, enrollment);
    return { mspId: req.mspId, name: req.name, mspDir, certificatePem: enrollment.certificatePem, enrolled: true };
}
