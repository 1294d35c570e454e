// Signing identities loaded from an MSP folder; signatures are ECDSA P-256
// over SHA-256, DER-encoded, with S normalised to the low half as Fabric requires.
import * as crypto from 'node:crypto';
import { msp } from '@hyperledger/fabric-protos';
import { readMspIdentity } from '../../client/msp-folder';
import { IdentityError, requireP256, signData } from '../../client/signing';

export interface SigningIdentity {
    readonly mspId: string;
    readonly certificatePem: string;
    /** msp.SerializedIdentity bytes: what Fabric calls the creator. */
    serialize(): Uint8Array;
    /** DER ECDSA signature of SHA-256(data), low-S. */
    sign(data: Uint8Array): Uint8Array;
}

export {
    decodeEcdsaSignature,
    encodeEcdsaSignature,
    IdentityError,
    isLowS,
    newFastSigner,
    newMessageSigner,
    P256_N,
    requireP256,
    signData,
    toLowS,
    type DigestSigner,
} from '../../client/signing';

// ---- serialized identities ----

export function serializeIdentity(mspId: string, certificatePem: string): Uint8Array {
    if (!mspId) throw new IdentityError('IDENTITY_INVALID', 'mspId is empty');
    const id = new msp.SerializedIdentity();
    id.setMspid(mspId);
    // Fabric puts the PEM text itself (not the DER) in id_bytes.
    id.setIdBytes(Buffer.from(certificatePem, 'utf8'));
    return id.serializeBinary();
}

export function deserializeIdentity(bytes: Uint8Array): msp.SerializedIdentity {
    let id: msp.SerializedIdentity;
    try {
        id = msp.SerializedIdentity.deserializeBinary(bytes);
    } catch (e) {
        throw new IdentityError('IDENTITY_INVALID', `not a msp.SerializedIdentity: ${(e as Error).message}`);
    }
    if (!id.getMspid()) throw new IdentityError('IDENTITY_INVALID', 'serialized identity has no mspid');
    if (id.getIdBytes_asU8().length === 0) throw new IdentityError('IDENTITY_INVALID', 'serialized identity has no id_bytes');
    return id;
}

// ---- loading from an MSP folder ----

/** An in-memory signing identity (e.g. from enroll()). */
export function newSigningIdentity(mspId: string, certificatePem: string, privateKeyPem: string): SigningIdentity {
    let key: crypto.KeyObject;
    let cert: crypto.X509Certificate;
    try {
        key = crypto.createPrivateKey(privateKeyPem);
        cert = new crypto.X509Certificate(certificatePem);
    } catch (e) {
        throw new IdentityError('MSP_DIR_INVALID', `unreadable certificate or key: ${(e as Error).message}`);
    }
    requireP256(key, 'the private key');
    // A mismatched key would sign valid-looking signatures nobody can verify: refuse early.
    if (!cert.checkPrivateKey(key)) throw new IdentityError('KEY_MISMATCH', 'the private key does not match the certificate');
    const creator = serializeIdentity(mspId, certificatePem);
    return {
        mspId,
        certificatePem,
        serialize: () => creator,
        sign: (data) => signData(key, data),
    };
}

/** Loads the signing certificate and its key from an MSP folder, whatever the tool named them. */
export function loadSigningIdentity(mspDir: string, mspId: string): SigningIdentity {
    const { certificatePem, privateKeyPem } = readMspIdentity(mspDir);
    return newSigningIdentity(mspId, certificatePem, privateKeyPem);
}

/**
 * When the certificate of a serialized identity expires, or undefined when it cannot be read
 * (Fabric's common/crypto ExpiresAt: no decision is made then).
 */
export function identityExpiresAt(serialized: Uint8Array): Date | undefined {
    // Asked for every proposal and every broadcast envelope, mostly of the same few creators:
    // parsing the certificate each time cost about half of an evaluation's CPU in the peer.
    const key = Buffer.from(serialized.buffer, serialized.byteOffset, serialized.byteLength).toString('latin1');
    let expiresAt = expiryByCreator.get(key);
    if (expiresAt === undefined && !expiryByCreator.has(key)) {
        try {
            expiresAt = Date.parse(new crypto.X509Certificate(Buffer.from(deserializeIdentity(serialized).getIdBytes_asU8())).validTo);
        } catch {
            expiresAt = undefined;
        }
        if (expiryByCreator.size >= EXPIRY_CACHE_LIMIT) expiryByCreator.delete(expiryByCreator.keys().next().value as string);
        expiryByCreator.set(key, expiresAt);
    }
    return expiresAt === undefined ? undefined : new Date(expiresAt);
}

/** Expiry (ms since the epoch, undefined when unreadable) by serialized creator: a pure function of the bytes. */
const expiryByCreator = new Map<string, number | undefined>();
const EXPIRY_CACHE_LIMIT = 10_000;
