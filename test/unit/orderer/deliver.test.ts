// serveDeliver on a fake stream: ranges, backpressure (waits for 'drain'), cancellation of a wait,
// HEADER_WITH_SIG, and the refusal statuses.
import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { common, orderer } from '@hyperledger/fabric-protos';
import { expect } from 'chai';
import { serveDeliver } from '../../../network/devnet/common/deliver';
import { makeChannelHeader, makePayload, makeSignatureHeader } from '../../../network/devnet/common/protoutil';
import { BlockStore } from '../../../network/devnet/common/ledger/blkstorage';
import { chain, nextBlock } from '../ledger/blocks';

type Msg = { block?: number; dataCount?: number; status?: number };

/** A stand-in for grpc's ServerDuplexStream: write() reports a full buffer every `every` messages. */
class FakeCall extends EventEmitter {
    written: Msg[] = [];
    ended = false;
    /** Writes made while the buffer was full (the server should have waited for 'drain'). */
    violations = 0;
    #full = false;
    constructor(private readonly every = 0) {
        super();
    }
    write(m: Msg): boolean {
        if (this.#full) this.violations++;
        this.written.push(m);
        if (this.every > 0 && this.written.length % this.every === 0) {
            this.#full = true;
            setTimeout(() => {
                this.#full = false;
                this.emit('drain');
            }, 5);
            return false;
        }
        return true;
    }
    end(): void {
        this.ended = true;
    }
}

function seek(
    start: number | 'oldest' | 'newest',
    stop: number | 'newest',
    opts: { behavior?: number; channel?: string; headers?: boolean; timestamp?: Date } = {},
): common.Envelope {
    const pos = (p: number | 'oldest' | 'newest') => {
        const s = new orderer.SeekPosition();
        if (p === 'oldest') s.setOldest(new orderer.SeekOldest());
        else if (p === 'newest') s.setNewest(new orderer.SeekNewest());
        else {
            const n = new orderer.SeekSpecified();
            n.setNumber(p);
            s.setSpecified(n);
        }
        return s;
    };
    const info = new orderer.SeekInfo();
    info.setStart(pos(start));
    info.setStop(pos(stop));
    if (opts.behavior !== undefined) info.setBehavior(opts.behavior as 0 | 1);
    if (opts.headers) info.setContentType(orderer.SeekInfo.SeekContentType.HEADER_WITH_SIG);
    const ch = makeChannelHeader({
        type: common.HeaderType.DELIVER_SEEK_INFO,
        channelId: opts.channel ?? 'testchannel',
        timestamp: opts.timestamp,
    });
    const env = new common.Envelope();
    env.setPayload(
        makePayload(ch, makeSignatureHeader(Buffer.from('creator'), Buffer.from('nonce')), info.serializeBinary()).serializeBinary(),
    );
    env.setSignature(Buffer.from('sig'));
    return env;
}

const responder = {
    block: (b: common.Block): Msg => ({ block: b.getHeader()!.getNumber(), dataCount: b.getData()?.getDataList().length ?? 0 }),
    status: (s: number): Msg => ({ status: s }),
};

async function until(cond: () => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond()) {
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 5));
    }
}

describe('serveDeliver (common/deliver)', () => {
    let dir: string;
    let store: BlockStore;
    let blocks: common.Block[];
    let authorized: boolean;
    let sequence = 0;
    const source = () => ({
        channelId: 'testchannel',
        blocks: store,
        configSequence: () => sequence,
        authorize: () => {
            if (!authorized) throw new Error('not a reader');
        },
    });
    const serve = (call: FakeCall) =>
        serveDeliver(call as unknown as grpc.ServerDuplexStream<common.Envelope, Msg>, source(), responder, {
            log: (e, f) => {
                if (process.env.H2_DEBUG) console.log(e, f);
            },
        });

    beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deliver-'));
        store = await BlockStore.open(dir);
        blocks = chain(10);
        for (const b of blocks) await store.append(b);
        authorized = true;
        sequence = 0;
    });
    afterEach(async () => {
        await store.close();
        fs.rmSync(dir, { recursive: true, force: true });
    });

    it('streams oldest..newest then SUCCESS, waiting for drain when the stream buffer is full', async () => {
        const call = new FakeCall(3);
        serve(call);
        call.emit('data', seek('oldest', 'newest'));
        await until(() => call.written.some((m) => m.status !== undefined));
        expect(call.written.map((m) => m.block ?? m.status)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, common.Status.SUCCESS]);
        expect(call.violations).to.equal(0);
        expect(call.ended).to.equal(false); // the client may send another request
        call.emit('data', seek(3, 4));
        await until(() => call.written.filter((m) => m.status !== undefined).length === 2);
        expect(call.written.slice(11).map((m) => m.block ?? m.status)).to.deep.equal([3, 4, common.Status.SUCCESS]);
        call.emit('end');
        await until(() => call.ended);
    });

    it('newest..newest gives exactly one block', async () => {
        const call = new FakeCall();
        serve(call);
        call.emit('data', seek('newest', 'newest'));
        await until(() => call.written.some((m) => m.status !== undefined));
        expect(call.written.map((m) => m.block ?? m.status)).to.deep.equal([9, common.Status.SUCCESS]);
    });

    it('BLOCK_UNTIL_READY waits for a future block; cancelling the call abandons the wait', async () => {
        const call = new FakeCall();
        serve(call);
        call.emit('data', seek(10, 11));
        await new Promise((r) => setTimeout(r, 20));
        expect(call.written).to.deep.equal([]);
        const b10 = nextBlock(blocks[9], ['x']);
        await store.append(b10);
        await until(() => call.written.length === 1);
        expect(call.written[0].block).to.equal(10);
        call.emit('cancelled');
        await store.append(nextBlock(b10, ['y']));
        await new Promise((r) => setTimeout(r, 20));
        expect(call.written.map((m) => m.block ?? m.status)).to.deep.equal([10]);
    });

    it("authorizes a long-running request again when the channel config changes (an org removed stops at that block), as Fabric's session access control", async () => {
        const call = new FakeCall();
        serve(call);
        call.emit('data', seek(10, 20));
        await new Promise((r) => setTimeout(r, 20));
        const b10 = nextBlock(blocks[9], ['a']);
        await store.append(b10);
        await until(() => call.written.length === 1);
        // The policy's answer alone is not asked again while the config stays the same ...
        authorized = false;
        const b11 = nextBlock(b10, ['b']);
        await store.append(b11);
        await until(() => call.written.length === 2);
        // ... but the block that carries a new config (here: any block after the sequence moved) is checked.
        sequence++;
        await store.append(nextBlock(b11, ['c']));
        await until(() => call.ended);
        expect(call.written).to.deep.equal([{ block: 10, dataCount: 1 }, { block: 11, dataCount: 1 }, { status: common.Status.FORBIDDEN }]);
    });

    it('HEADER_WITH_SIG sends blocks without their data', async () => {
        const call = new FakeCall();
        serve(call);
        call.emit('data', seek(2, 3, { headers: true }));
        await until(() => call.written.some((m) => m.status !== undefined));
        expect(call.written.slice(0, 2).map((m) => m.dataCount)).to.deep.equal([0, 0]);
    });

    for (const [what, envelope, status, prepare] of [
        [
            'FAIL_IF_NOT_READY past the height',
            () => seek(12, 12, { behavior: orderer.SeekInfo.SeekBehavior.FAIL_IF_NOT_READY }),
            common.Status.NOT_FOUND,
            () => undefined,
        ],
        ['a start beyond the next block', () => seek(50, 60), common.Status.NOT_FOUND, () => undefined],
        ['another channel', () => seek('oldest', 'newest', { channel: 'other' }), common.Status.NOT_FOUND, () => undefined],
        ['a start after the stop', () => seek(5, 2), common.Status.BAD_REQUEST, () => undefined],
        [
            'a stale timestamp',
            () => seek('oldest', 'newest', { timestamp: new Date(Date.now() - 3600_000) }),
            common.Status.BAD_REQUEST,
            () => undefined,
        ],
        ['an envelope that is not one', () => Object.assign(new common.Envelope(), {}), common.Status.BAD_REQUEST, () => undefined],
        ['a requester who is not a reader', () => seek('oldest', 'newest'), common.Status.FORBIDDEN, () => (authorized = false)],
    ] as const) {
        it(`refuses ${what} with status ${status} and ends the stream`, async () => {
            prepare();
            const call = new FakeCall();
            serve(call);
            call.emit('data', envelope());
            await until(() => call.ended);
            expect(call.written).to.deep.equal([{ status }]);
        });
    }
});
