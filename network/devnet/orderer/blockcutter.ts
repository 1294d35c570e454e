// The block cutter (orderer/common/blockcutter): gathers ordered messages into batches, cutting
// one when it reaches maxMessageCount or would exceed preferredMaxBytes; a message larger than
// preferredMaxBytes goes alone into its own batch. The batch timeout is the chain's business: it
// calls cut() when the timer of the pending batch fires.
import { BatchConfig } from '../../client/topology';

export interface CutterResult<T> {
    /** Batches to write, in order (zero, one or two). */
    batches: T[][];
    /** True when messages wait in the pending batch (the chain then runs the batch timer). */
    pending: boolean;
}

export class BlockCutter<T> {
    #pending: T[] = [];
    #pendingBytes = 0;

    constructor(private readonly config: Pick<BatchConfig, 'maxMessageCount' | 'preferredMaxBytes'>) {
        if (!(config.maxMessageCount >= 1) || !(config.preferredMaxBytes >= 1)) {
            throw new RangeError(`BatchSize needs maxMessageCount >= 1 and preferredMaxBytes >= 1, got ${JSON.stringify(config)}`);
        }
    }

    get pendingCount(): number {
        return this.#pending.length;
    }

    /** Adds one message of `size` bytes (payload + signature, as Fabric measures it). */
    ordered(message: T, size: number): CutterResult<T> {
        const batches: T[][] = [];
        if (size > this.config.preferredMaxBytes) {
            // Oversized: flush what waits, then the message alone, so order is kept.
            if (this.#pending.length > 0) batches.push(this.cut());
            batches.push([message]);
            return { batches, pending: false };
        }
        if (this.#pendingBytes + size > this.config.preferredMaxBytes) batches.push(this.cut());
        this.#pending.push(message);
        this.#pendingBytes += size;
        if (this.#pending.length >= this.config.maxMessageCount) batches.push(this.cut());
        return { batches, pending: this.#pending.length > 0 };
    }

    /** Returns the pending batch (possibly empty) and starts a new one. */
    cut(): T[] {
        const batch = this.#pending;
        this.#pending = [];
        this.#pendingBytes = 0;
        return batch;
    }
}
