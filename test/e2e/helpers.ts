// Shared helpers of the end-to-end tests: connections per org and user, raw ledger reads and
// file scans.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { Topology } from '../../network/topology';
import { connectAs, OrgConnection } from '../../network/client';

const open: OrgConnection[] = [];

export function connection(topology: Topology, mspId: string, user = 'User1'): OrgConnection {
    const c = connectAs(topology, mspId, user);
    open.push(c);
    return c;
}

export function contractOf(topology: Topology, gateway: Gateway, chaincode: string): Contract {
    return gateway.getNetwork(topology.channel).getContract(chaincode);
}

/** Closes every connection the tests opened (call in after()). */
export function closeConnections(): void {
    for (const c of open.splice(0)) c.close();
}

export const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');

/** A unique marker for private values: easy to find in raw bytes, never found by accident. */
export const marker = (label: string): string => `${label}-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/** Files under dir whose raw bytes contain needle. */
export function filesContaining(dir: string, needle: string): string[] {
    if (!fs.existsSync(dir)) return [];
    const bytes = Buffer.from(needle);
    const found: string[] = [];
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else if (entry.isFile() && fs.readFileSync(p).includes(bytes)) found.push(p);
        }
    };
    walk(dir);
    return found;
}

/** GET the operations service's ledger summary of a node: height and state digest. */
export async function ledgerSummary(host: string, operationsPort: number): Promise<{ height: number; stateDigest?: string }> {
    const response = await fetch(`http://${host}:${operationsPort}/ledger`);
    if (response.status !== 200) throw new Error(`operations /ledger answered ${response.status}`);
    return (await response.json()) as { height: number; stateDigest?: string };
}

export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await probe();
            if (value !== undefined) return value;
        } catch (e) {
            last = e;
        }
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}
