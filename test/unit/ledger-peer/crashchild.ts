// Child process of the kill -9 test: opens a peer ledger and commits the blocks of a file (one
// length-prefixed serialized block after another) from its height on, printing each height.
import * as fs from 'node:fs';
import { common } from '@hyperledger/fabric-protos';
import { parseChannelConfig } from '../../../network/devnet/common/configtx';
import { MspManager } from '../../../network/devnet/msp/msp';
import { PolicyManager } from '../../../network/devnet/common/policies';
import { openPeerLedger } from '../../../network/devnet/peer/ledger/kvledger';

export function readBlocks(file: string): common.Block[] {
    const buf = fs.readFileSync(file);
    const out: common.Block[] = [];
    for (let off = 0; off < buf.length; ) {
        const len = buf.readUInt32BE(off);
        out.push(common.Block.deserializeBinary(buf.subarray(off + 4, off + 4 + len)));
        off += 4 + len;
    }
    return out;
}

async function main(): Promise<void> {
    const [dir, file, mspId] = process.argv.slice(2);
    const blocks = readBlocks(file);
    const channelConfig = parseChannelConfig(blocks[0]);
    const msps = new MspManager(channelConfig.msps);
    const policies = new PolicyManager(channelConfig.policies, msps);
    const ledger = await openPeerLedger({ dir, channelConfig, msps, policies, mspId, log: (m) => process.stdout.write(`log ${m}\n`) });
    for (let n = ledger.height; n < blocks.length; n++) {
        await ledger.commit(blocks[n]);
        process.stdout.write(`${ledger.height}\n`);
    }
    await ledger.close();
}

if (require.main === module) {
    main().catch((e) => {
        process.stderr.write(`${(e as Error).stack}\n`);
        process.exit(1);
    });
}
