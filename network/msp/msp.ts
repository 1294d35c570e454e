// OWNER: helper H1 (msp). The channel's MSPs, built from the msp.FabricMSPConfig values of the
// channel config: deserialises creators, validates them (chain to a root CA of their MSP,
// validity dates, NodeOU role) and verifies signatures, as Fabric's msp package does.
import { msp } from '@hyperledger/fabric-protos';

export type Role = 'client' | 'peer' | 'admin' | 'orderer';

export interface VerifiedIdentity {
    mspId: string;
    certificatePem: string;
    /** The NodeOU role of the certificate. */
    role: Role;
    /** Certificate subject, e.g. "CN=app1,OU=client,O=SeoulMSP". */
    subject: string;
    /** Fabric CA attributes (extension 1.2.3.4.5.6.7.8.1). */
    attrs: Record<string, string>;
}

/** Stable codes: MSP_UNKNOWN, IDENTITY_INVALID, CERT_EXPIRED, CERT_UNTRUSTED, BAD_SIGNATURE. */
export declare class MspError extends Error {
    readonly code: string;
    constructor(code: string, message: string);
}

export declare class MspManager {
    constructor(configs: msp.FabricMSPConfig[]);
    readonly mspIds: string[];
    /** Parses msp.SerializedIdentity bytes and validates the certificate; throws MspError. Cached. */
    deserialize(serialized: Uint8Array, at?: Date): VerifiedIdentity;
    /** deserialize + ECDSA verification (low-S enforced); throws MspError. */
    verify(serialized: Uint8Array, data: Uint8Array, signature: Uint8Array, at?: Date): VerifiedIdentity;
}
