// The transient store (core/transientstore): private write sets produced by endorsements on
// this peer, kept until their transaction commits. Unlike Fabric's (a LevelDB whose log keeps
// private values on disk), ours lives in memory only: nothing private touches disk before the
// commit decides which collections this peer may keep. Bounded in entries and expired by block
// height (Fabric's transientstoreMaxBlockRetention).
import { ledger } from '@hyperledger/fabric-protos';

export interface TransientStoreOptions {
    /** Entries are dropped once the ledger is this many blocks past their endorsement. */
    maxBlockRetention: number;
    /** At most this many transactions are kept; the oldest go first. */
    maxEntries: number;
}

interface Entry {
    pvt: ledger.rwset.TxPvtReadWriteSet;
    height: number;
}

export class TransientStore {
    /** By tx id; a tx endorsed twice on this peer (retries) keeps every candidate. */
    private readonly entries = new Map<string, Entry[]>();
    private count = 0;

    constructor(private readonly options: TransientStoreOptions = { maxBlockRetention: 1000, maxEntries: 10000 }) {}

    get size(): number {
        return this.count;
    }

    persist(txId: string, pvt: ledger.rwset.TxPvtReadWriteSet, height: number): void {
        const list = this.entries.get(txId) ?? [];
        // Map iteration order is insertion order: re-inserting keeps the oldest first.
        this.entries.delete(txId);
        list.push({ pvt, height });
        this.entries.set(txId, list);
        this.count++;
        while (this.count > this.options.maxEntries) {
            const [oldest, l] = this.entries.entries().next().value as [string, Entry[]];
            l.shift();
            this.count--;
            if (l.length === 0) this.entries.delete(oldest);
        }
    }

    /** Every candidate private write set for a transaction (newest last). */
    get(txId: string): ledger.rwset.TxPvtReadWriteSet[] {
        return (this.entries.get(txId) ?? []).map((e) => e.pvt);
    }

    /** Forgets the transactions of a committed block and whatever is older than the retention. */
    purgeAfterCommit(txIds: Iterable<string>, newHeight: number): void {
        for (const id of txIds) this.remove(id);
        // Entries are in order of their last endorsement: only the oldest can have expired.
        const minHeight = newHeight - this.options.maxBlockRetention;
        for (const [id, list] of this.entries) {
            if (list[list.length - 1].height >= minHeight) break;
            this.remove(id);
        }
    }

    private remove(txId: string): void {
        const list = this.entries.get(txId);
        if (!list) return;
        this.count -= list.length;
        this.entries.delete(txId);
    }
}
