// Chaincode-as-a-service packages, as `peer lifecycle chaincode install` takes them: a gzipped tar
// holding metadata.json ({"type":"ccaas","label"}) and code.tar.gz (connection.json: where the
// org's chaincode server listens). Built byte for byte the same on every run (fixed times, gzip
// without a timestamp), so a package id never changes unless the server's address does.
import * as crypto from 'node:crypto';
import * as zlib from 'node:zlib';
import type { ConnectionJson } from '../devnet/peer/chaincode/connection';

/** One ustar entry (regular file, mode 0644, owner 0, mtime 0). */
function tarEntry(name: string, content: Buffer): Buffer {
    const header = Buffer.alloc(512);
    const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
    const octal = (offset: number, length: number, value: number) =>
        field(offset, length, `${value.toString(8).padStart(length - 1, '0')}\0`);
    if (Buffer.byteLength(name) > 100) throw new Error(`PACKAGE_INVALID: tar entry name too long: ${name}`);
    field(0, 100, name);
    octal(100, 8, 0o644);
    octal(108, 8, 0);
    octal(116, 8, 0);
    octal(124, 12, content.length);
    octal(136, 12, 0);
    field(156, 1, '0');
    field(257, 6, 'ustar\0');
    field(263, 2, '00');
    // The checksum is computed with its own field read as spaces.
    header.fill(' ', 148, 156);
    let sum = 0;
    for (const byte of header) sum += byte;
    field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
    const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
    return Buffer.concat([header, content, padding]);
}

/** A gzipped tar of the given files, in the given order. */
export function tarGz(files: [string, Buffer][]): Buffer {
    const tar = Buffer.concat([...files.map(([name, content]) => tarEntry(name, content)), Buffer.alloc(1024)]);
    return zlib.gzipSync(tar, { level: 9 });
}

/** Reads a gzipped tar back (regular files only): for tests and for checking a package. */
export function untarGz(archive: Buffer): Map<string, Buffer> {
    const tar = zlib.gunzipSync(archive);
    const files = new Map<string, Buffer>();
    for (let offset = 0; offset + 512 <= tar.length; ) {
        const header = tar.subarray(offset, offset + 512);
        if (header.every((b) => b === 0)) break;
        const name = header.subarray(0, 100).toString('ascii').replace(/\0.*$/s, '');
        const size = Number.parseInt(header.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim(), 8);
        files.set(name, tar.subarray(offset + 512, offset + 512 + size));
        offset += 512 + Math.ceil(size / 512) * 512;
    }
    return files;
}

export interface CcaasPackage {
    label: string;
    bytes: Buffer;
    /** <label>:<hex SHA-256 of the package>, as the peer computes it. */
    packageId: string;
}

/**
 * The ccaas package of one org's chaincode server: its connection.json, whose TLS fields are
 * templates the builder fills on the peer's machine (no key or certificate in the package).
 */
export function ccaasPackage(label: string, connection: ConnectionJson): CcaasPackage {
    if (!/^[A-Za-z0-9_.+-]+$/.test(label)) throw new Error(`PACKAGE_INVALID: label ${label} has characters Fabric refuses`);
    const code = tarGz([['connection.json', Buffer.from(JSON.stringify(connection, null, 2))]]);
    const bytes = tarGz([
        ['metadata.json', Buffer.from(JSON.stringify({ type: 'ccaas', label }))],
        ['code.tar.gz', code],
    ]);
    return { label, bytes, packageId: `${label}:${crypto.createHash('sha256').update(bytes).digest('hex')}` };
}
