// Keys in a PKCS#11 token (an HSM; SoftHSM2 in the tests): an EC P-256 key pair made in the token
// (the private key never leaves it: sensitive, not extractable), named as Fabric's PKCS#11 BCCSP
// names it (CKA_ID = the SKI, SHA-256 of the uncompressed public point), and a PKCS#10 request for
// it signed in the token, for the org's Fabric CA to enroll. The gateway then signs with the key
// through fabric-gateway's HSM signer. pkcs11js is a native module that npm does not build here
// (allowScripts): `npm run hsm:build` builds it; without a token configured nothing needs it.
import 'reflect-metadata'; // @peculiar/x509's dependency injection reads it
import * as crypto from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest, CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';

export interface HsmConfig {
    /** The token's PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
    library: string;
    /** The token's label. */
    label: string;
    /** The user PIN. */
    pin: string;
}

export class HsmError extends Error {
    constructor(
        readonly code: 'HSM_UNAVAILABLE' | 'HSM_TOKEN_NOT_FOUND' | 'HSM_LOGIN_FAILED' | 'HSM_KEY_NOT_FOUND',
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'HsmError';
    }
}

type Pkcs11Module = typeof import('pkcs11js');

/** pkcs11js, or HSM_UNAVAILABLE saying how to build it. */
export function pkcs11Module(): Pkcs11Module {
    try {
        return require('pkcs11js') as Pkcs11Module;
    } catch (e) {
        throw new HsmError('HSM_UNAVAILABLE', `pkcs11js is not built (${(e as Error).message.split('\n')[0]}): run npm run hsm:build`);
    }
}

/** DER of the named curve P-256 (prime256v1), as CKA_EC_PARAMS holds it. */
const P256_PARAMS = Buffer.from('06082a8648ce3d030107', 'hex');
/** The SubjectPublicKeyInfo prefix of an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** A session on the token, logged in as its user; `close` logs out and finalizes. */
function openSession(cfg: HsmConfig): { p11: InstanceType<Pkcs11Module['PKCS11']>; session: Buffer; close(): void; m: Pkcs11Module } {
    const m = pkcs11Module();
    const p11 = new m.PKCS11();
    p11.load(cfg.library);
    // The library is initialized once per process: a gateway's signer may have done it already.
    let initializedHere = true;
    try {
        p11.C_Initialize();
    } catch (e) {
        if ((e as { code?: number }).code !== m.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw e;
        initializedHere = false;
    }
    const finalize = () => {
        if (initializedHere) p11.C_Finalize();
    };
    try {
        const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === cfg.label);
        if (!slot) throw new HsmError('HSM_TOKEN_NOT_FOUND', `no token labelled ${cfg.label} in ${cfg.library}`);
        const session = p11.C_OpenSession(slot, m.CKF_SERIAL_SESSION | m.CKF_RW_SESSION);
        try {
            p11.C_Login(session, m.CKU_USER, cfg.pin);
        } catch (e) {
            if ((e as { code?: number }).code !== m.CKR_USER_ALREADY_LOGGED_IN)
                throw new HsmError('HSM_LOGIN_FAILED', `login to token ${cfg.label} refused: ${(e as Error).message}`);
        }
        return {
            p11,
            session,
            m,
            close: () => {
                p11.C_CloseSession(session);
                finalize();
            },
        };
    } catch (e) {
        finalize();
        throw e;
    }
}

/** The uncompressed point from CKA_EC_POINT (a DER OCTET STRING around it, as the standard says). */
function ecPoint(value: Buffer): Buffer {
    if (value.length === 65 && value[0] === 4) return value;
    if (value[0] === 0x04 && value[1] === 65 && value[2] === 4) return value.subarray(2);
    throw new HsmError('HSM_UNAVAILABLE', `unexpected CKA_EC_POINT of ${value.length} bytes`);
}

/** A DER ECDSA-Sig-Value with low S (Fabric refuses high S) from the token's r||s. */
function derSignature(compact: Buffer): Buffer {
    const n = BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551');
    let s = BigInt(`0x${compact.subarray(32).toString('hex')}`);
    if (s > n / 2n) s = n - s;
    const int = (b: Buffer) => {
        let v = b;
        while (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) v = v.subarray(1);
        if (v[0] & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
        return Buffer.concat([Buffer.from([0x02, v.length]), v]);
    };
    const body = Buffer.concat([int(compact.subarray(0, 32)), int(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'))]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

/**
 * A new key pair in the token and a PKCS#10 request for `subject` (e.g. CN=app1) signed by it.
 * Answers the request and the key's SKI (its CKA_ID), which names it for the signer.
 */
export function requestInToken(cfg: HsmConfig, subject: string): { csrPem: string; ski: Buffer } {
    const { p11, session, m, close } = openSession(cfg);
    try {
        const { publicKey, privateKey } = p11.C_GenerateKeyPair(
            session,
            { mechanism: m.CKM_EC_KEY_PAIR_GEN },
            [
                { type: m.CKA_TOKEN, value: true },
                { type: m.CKA_VERIFY, value: true },
                { type: m.CKA_EC_PARAMS, value: P256_PARAMS },
            ],
            [
                { type: m.CKA_TOKEN, value: true },
                { type: m.CKA_PRIVATE, value: true },
                { type: m.CKA_SENSITIVE, value: true },
                { type: m.CKA_EXTRACTABLE, value: false },
                { type: m.CKA_SIGN, value: true },
            ],
        );
        const point = ecPoint(p11.C_GetAttributeValue(session, publicKey, [{ type: m.CKA_EC_POINT }])[0].value as Buffer);
        const ski = crypto.createHash('sha256').update(point).digest();
        for (const handle of [publicKey, privateKey]) p11.C_SetAttributeValue(session, handle, [{ type: m.CKA_ID, value: ski }]);
        const info = new CertificationRequestInfo({
            subject: AsnConvert.parse(new x509.Name(subject).toArrayBuffer(), Name),
            subjectPKInfo: AsnConvert.parse(Buffer.concat([P256_SPKI_PREFIX, point]), SubjectPublicKeyInfo),
        });
        const digest = crypto
            .createHash('sha256')
            .update(Buffer.from(AsnConvert.serialize(info)))
            .digest();
        p11.C_SignInit(session, { mechanism: m.CKM_ECDSA }, privateKey);
        const signature = derSignature(p11.C_Sign(session, digest, Buffer.alloc(64)));
        const request = new CertificationRequest({
            certificationRequestInfo: info,
            signatureAlgorithm: new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 }),
            signature: new Uint8Array(signature).buffer,
        });
        const der = Buffer.from(AsnConvert.serialize(request));
        const csrPem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE REQUEST-----\n`;
        return { csrPem, ski };
    } finally {
        close();
    }
}

/** Whether the token holds the private key named by this SKI (and so the certificate's key is there). */
export function tokenHoldsKey(cfg: HsmConfig, ski: Buffer): boolean {
    const { p11, session, m, close } = openSession(cfg);
    try {
        p11.C_FindObjectsInit(session, [
            { type: m.CKA_ID, value: ski },
            { type: m.CKA_CLASS, value: m.CKO_PRIVATE_KEY },
        ]);
        const found = p11.C_FindObjects(session, 1);
        p11.C_FindObjectsFinal(session);
        return found.length > 0;
    } finally {
        close();
    }
}
