// A fabric-gateway Checkpointer kept in the gateway's SQLite database: the position of one
// subscriber in the chaincode event stream survives reconnects and gateway restarts.
// Same semantics as fabric-gateway's file checkpointer (block + last transaction seen in it).
import type { ChaincodeEvent, Checkpointer } from '@hyperledger/fabric-gateway';
import { prepared, type Db } from '../db';

export class SqliteCheckpointer implements Checkpointer {
    readonly #db: Db;
    readonly #name: string;
    #blockNumber?: bigint;
    #transactionId?: string;

    constructor(db: Db, name: string) {
        this.#db = db;
        this.#name = name;
        const row = prepared(db, 'SELECT block_number, transaction_id FROM checkpoints WHERE name = ?').get(name) as
            | { block_number: string | null; transaction_id: string | null }
            | undefined;
        if (row?.block_number) this.#blockNumber = BigInt(row.block_number);
        if (row?.transaction_id) this.#transactionId = row.transaction_id;
    }

    #save(): void {
        prepared(
            this.#db,
            `INSERT INTO checkpoints (name, block_number, transaction_id, updated_at) VALUES (?, ?, ?, ?)
                      ON CONFLICT(name) DO UPDATE SET block_number = excluded.block_number, transaction_id = excluded.transaction_id, updated_at = excluded.updated_at`,
        ).run(this.#name, this.#blockNumber?.toString() ?? null, this.#transactionId ?? null, Date.now());
    }

    async checkpointBlock(blockNumber: bigint): Promise<void> {
        this.#blockNumber = blockNumber + 1n;
        this.#transactionId = undefined;
        this.#save();
    }

    async checkpointTransaction(blockNumber: bigint, transactionId: string): Promise<void> {
        this.#blockNumber = blockNumber;
        this.#transactionId = transactionId;
        this.#save();
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
