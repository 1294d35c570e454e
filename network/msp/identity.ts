// OWNER: helper H1 (msp). Signing identities loaded from an MSP folder; signatures are ECDSA P-256
// over SHA-256, DER-encoded, with S normalised to the low half as Fabric requires.
import { msp } from '@hyperledger/fabric-protos';

export interface SigningIdentity {
    readonly mspId: string;
    readonly certificatePem: string;
    /** msp.SerializedIdentity bytes: what Fabric calls the creator. */
    serialize(): Uint8Array;
    /** DER ECDSA signature of SHA-256(data), low-S. */
    sign(data: Uint8Array): Uint8Array;
}

/** Loads signcerts/*.pem and keystore/*_sk (or the only key file) from an MSP folder. */
export declare function loadSigningIdentity(mspDir: string, mspId: string): SigningIdentity;

export declare function serializeIdentity(mspId: string, certificatePem: string): Uint8Array;
export declare function deserializeIdentity(bytes: Uint8Array): msp.SerializedIdentity;
