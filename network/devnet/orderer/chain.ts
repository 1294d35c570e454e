// The ordering chain of our single ordering node (what Fabric's consensus plugins implement):
// ordered envelopes go through the block cutter; a batch becomes a block when the cutter says so
// or when the batch timer fires; blocks are written in order. Each order() resolves once the
// block holding the envelope is on disk, so a SUCCESS broadcast answer means "durably ordered"
// (Fabric answers at enqueue time; we are stricter because kill -9 must lose nothing acknowledged).
import { common } from '@hyperledger/fabric-protos';
import { BatchConfig } from '../../client/topology';
import { BlockCutter } from './blockcutter';
import { BlockWriter } from './blockwriter';

interface Ordered {
    envelope: Uint8Array;
    resolve: (blockNumber: number) => void;
    reject: (err: Error) => void;
}

export class ChainHaltedError extends Error {
    constructor() {
        super('SERVICE_UNAVAILABLE: the orderer is stopping');
    }
}

export class Chain {
    readonly #cutter: BlockCutter<Ordered>;
    #timer: NodeJS.Timeout | undefined;
    #writes: Promise<void> = Promise.resolve();
    #halted = false;
    #failed: Error | undefined;

    constructor(
        private readonly writer: BlockWriter,
        private readonly batch: BatchConfig,
        private readonly events: {
            blockWritten?: (block: common.Block, bytes: number) => void;
            /** An append failed: the chain is unusable (Fabric panics here). */
            fatal?: (err: Error) => void;
        } = {},
    ) {
        this.#cutter = new BlockCutter<Ordered>(batch);
    }

    /** False once halted or after a write failure: Broadcast answers SERVICE_UNAVAILABLE. */
    get ready(): boolean {
        return !this.#halted && !this.#failed;
    }

    /** Orders one envelope (already validated); resolves with its block number once written. */
    order(envelope: common.Envelope): Promise<number> {
        if (!this.ready) return Promise.reject(this.#failed ?? new ChainHaltedError());
        return new Promise<number>((resolve, reject) => {
            const bytes = envelope.serializeBinary();
            const size = envelope.getPayload_asU8().length + envelope.getSignature_asU8().length;
            const { batches, pending } = this.#cutter.ordered({ envelope: bytes, resolve, reject }, size);
            for (const b of batches) this.#write(b);
            if (batches.length > 0 && this.#timer) {
                clearTimeout(this.#timer);
                this.#timer = undefined;
            }
            if (pending && !this.#timer) this.#timer = setTimeout(() => this.#onTimeout(), this.batch.timeoutMs);
        });
    }

    /**
     * Orders a CONFIG envelope: the pending batch is cut first, then the config goes into a block
     * of its own (as Fabric's consenters do with config messages).
     */
    orderConfig(envelope: common.Envelope): Promise<number> {
        if (!this.ready) return Promise.reject(this.#failed ?? new ChainHaltedError());
        return new Promise<number>((resolve, reject) => {
            if (this.#timer) clearTimeout(this.#timer);
            this.#timer = undefined;
            const pending = this.#cutter.cut();
            if (pending.length > 0) this.#write(pending);
            this.#write([{ envelope: envelope.serializeBinary(), resolve, reject }], true);
        });
    }

    #onTimeout(): void {
        this.#timer = undefined;
        const batch = this.#cutter.cut();
        if (batch.length > 0) this.#write(batch);
    }

    #write(batch: Ordered[], isConfig = false): void {
        // The block is created (numbered, chained) now, in cut order; signing and fsync follow in order.
        const block = this.writer.createNextBlock(
            batch.map((o) => o.envelope),
            isConfig,
        );
        this.#writes = this.#writes.then(async () => {
            if (this.#failed) {
                for (const o of batch) o.reject(this.#failed);
                return;
            }
            try {
                await this.writer.commit(block);
            } catch (err) {
                this.#failed = err as Error;
                for (const o of batch) o.reject(this.#failed);
                this.events.fatal?.(this.#failed);
                return;
            }
            this.events.blockWritten?.(
                block,
                batch.reduce((n, o) => n + o.envelope.length, 0),
            );
            const number = block.getHeader()!.getNumber();
            for (const o of batch) o.resolve(number);
        });
    }

    /** Stops accepting, writes the pending batch and waits until every block is on disk. */
    async halt(): Promise<void> {
        this.#halted = true;
        if (this.#timer) clearTimeout(this.#timer);
        this.#timer = undefined;
        const batch = this.#cutter.cut();
        if (batch.length > 0 && !this.#failed) this.#write(batch);
        else for (const o of batch) o.reject(this.#failed ?? new ChainHaltedError());
        await this.#writes;
    }
}
