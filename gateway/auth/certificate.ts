// Mutual TLS: a client certificate that chains to the org's CA (checked by the TLS layer, see
// http/listen.ts) names its app by its subject CN: the enrollment ID Fabric CA puts there, or
// cryptogen's `<name>@<org domain>` form. Beside API keys, not instead: a request without a
// certificate authenticates with its key.
import { TLSSocket } from 'node:tls';
import type { Request } from 'express';

/** The app name of a verified client certificate, or undefined (plain HTTP, no certificate, or one of another CA). */
export function clientCertificateName(req: Request): string | undefined {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    // Several CNs are ambiguous: name no app.
    if (typeof cn !== 'string' || cn.length === 0) return undefined;
    // The chain already ties the certificate to this org, so the domain after '@' adds nothing.
    return cn.replace(/@[^@]*$/, '');
}

/** The DER of a verified client certificate, or undefined (as clientCertificateName). */
export function clientCertificateDer(req: Request): Buffer | undefined {
    const socket = req.socket;
    if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
    return socket.getPeerCertificate()?.raw;
}
