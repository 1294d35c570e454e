// The org's CRLs for client certificates at the gateway's HTTPS port: the revocation_list of the
// org's MSP in the channel's current config (where network:revoke puts the CA's CRL), read again
// every few seconds. A CRL counts only when a CA of the same MSP signed it, as Fabric's MSP
// (mspimplvalidate.go) skips the others; until the first read succeeds no certificate is accepted.
import 'reflect-metadata'; // @peculiar/x509's dependency injection reads it
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const hex = (s: string) => s.toLowerCase().replace(/^0+/, '');

export class ClientRevocations {
    /** Revoked serial numbers (lower-case hex) by issuer name; undefined until the first read. */
    #revoked: Map<string, Set<string>> | undefined;

    get ready(): boolean {
        return this.#revoked !== undefined;
    }

    /** How many certificates the CRLs in force list. */
    get size(): number {
        return [...(this.#revoked?.values() ?? [])].reduce((n, s) => n + s.size, 0);
    }

    async update(msp: { caCertsPem: string[]; crlsPem: string[] }): Promise<void> {
        const cas = msp.caCertsPem.map((pem) => new x509.X509Certificate(pem));
        const revoked = new Map<string, Set<string>>();
        for (const pem of msp.crlsPem) {
            let crl: x509.X509Crl;
            try {
                crl = new x509.X509Crl(pem);
            } catch {
                continue; // the orderer refuses a config holding one; nothing to read here either
            }
            let signed = false;
            for (const ca of cas) {
                if (ca.subject === crl.issuer && (await crl.verify({ publicKey: ca.publicKey }).catch(() => false))) signed = true;
            }
            if (!signed) continue;
            const serials = revoked.get(crl.issuer) ?? new Set<string>();
            for (const entry of crl.entries) serials.add(hex(entry.serialNumber));
            revoked.set(crl.issuer, serials);
        }
        this.#revoked = revoked;
    }

    /** Whether a CRL in force lists this certificate (DER) of its issuer. */
    isRevoked(der: Uint8Array): boolean {
        const cert = new x509.X509Certificate(der);
        return this.#revoked?.get(cert.issuer)?.has(hex(cert.serialNumber)) ?? false;
    }
}
