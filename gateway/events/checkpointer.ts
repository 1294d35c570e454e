// A fabric-gateway Checkpointer kept in the gateway's store (SQLite, or PostgreSQL shared by
// replicas): the position of one subscriber in the chaincode event stream survives reconnects,
// gateway restarts and a reconnect to another replica. Same semantics as fabric-gateway's file
// checkpointer (block + last transaction seen in it).
import type { ChaincodeEvent, Checkpointer } from '@hyperledger/fabric-gateway';
import type { GatewayStore } from '../store/store';

export class StoreCheckpointer implements Checkpointer {
    readonly #store: GatewayStore;
    readonly #name: string;
    #blockNumber?: bigint;
    #transactionId?: string;

    private constructor(store: GatewayStore, name: string) {
        this.#store = store;
        this.#name = name;
    }

    /** The subscriber's checkpoint as last saved (none: from the current block). */
    static async load(store: GatewayStore, name: string): Promise<StoreCheckpointer> {
        const cp = new StoreCheckpointer(store, name);
        const row = await store.loadCheckpoint(name);
        if (row?.blockNumber) cp.#blockNumber = BigInt(row.blockNumber);
        if (row?.transactionId) cp.#transactionId = row.transactionId;
        return cp;
    }

    #save(): Promise<void> {
        return this.#store.saveCheckpoint(this.#name, {
            blockNumber: this.#blockNumber?.toString() ?? null,
            transactionId: this.#transactionId ?? null,
        });
    }

    async checkpointBlock(blockNumber: bigint): Promise<void> {
        this.#blockNumber = blockNumber + 1n;
        this.#transactionId = undefined;
        await this.#save();
    }

    async checkpointTransaction(blockNumber: bigint, transactionId: string): Promise<void> {
        this.#blockNumber = blockNumber;
        this.#transactionId = transactionId;
        await this.#save();
    }

    async checkpointChaincodeEvent(event: ChaincodeEvent): Promise<void> {
        await this.checkpointTransaction(event.blockNumber, event.transactionId);
    }

    getBlockNumber(): bigint | undefined {
        return this.#blockNumber;
    }

    getTransactionId(): string | undefined {
        return this.#transactionId;
    }
}
