// Test fixture of the orderer's tests: the repository topology with every port shifted by +200 and its own
// state folder, with crypto material generated once per folder.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import YAML from 'yaml';
import { generateCrypto } from '../../../network/msp/ca';
import { DEFAULT_TOPOLOGY, loadTopology, Topology } from '../../../network/topology';

export const PORT_SHIFT = 200;

function shiftPorts(node: unknown): unknown {
    if (Array.isArray(node)) return node.map(shiftPorts);
    if (node && typeof node === 'object') {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(node)) {
            if ((k === 'port' || k === 'operationsPort') && typeof v === 'number') out[k] = v + PORT_SHIFT;
            else if (k === 'ports' && v && typeof v === 'object') {
                out[k] = Object.fromEntries(Object.entries(v).map(([org, p]) => [org, (p as number) + PORT_SHIFT]));
            } else out[k] = shiftPorts(v);
        }
        return out;
    }
    return node;
}

/** A fresh folder with topology.yaml (ports +200, stateDir inside it) and generated crypto. */
export async function shiftedTopology(options: { batchTimeout?: string } = {}): Promise<{ dir: string; file: string; topology: Topology }> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'h2-orderer-'));
    const doc = shiftPorts(YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'))) as Record<string, unknown>;
    doc.stateDir = path.join(dir, 'state');
    if (options.batchTimeout) (doc.orderer as { batch: Record<string, unknown> }).batch.timeout = options.batchTimeout;
    const file = path.join(dir, 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    const saved = process.env.DEVNET_STATE_DIR;
    delete process.env.DEVNET_STATE_DIR;
    try {
        const topology = loadTopology(file);
        await generateCrypto(topology);
        return { dir, file, topology };
    } finally {
        if (saved !== undefined) process.env.DEVNET_STATE_DIR = saved;
    }
}
