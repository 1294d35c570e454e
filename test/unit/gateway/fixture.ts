// One fixture builder for the gateway's HTTP tests: the app with its Fabric layer replaced by a
// scripted fake that counts submits, and apps with API keys in a temporary SQLite file.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ServiceError } from '@grpc/grpc-js';
import { EndorseError, GatewayError, type Checkpointer } from '@hyperledger/fabric-gateway';
import { AppStore } from '../../../gateway/auth/store';
import { generateApiKey } from '../../../gateway/auth/keys';
import { openDb, prepared, type Db, SqliteStore } from '../../../gateway/store/sqlite';
import { registerChaincodeCodes } from '../../../gateway/errors';
import type {
    BlockView,
    ChainInfo,
    ChaincodeEventMessage,
    EvaluateRequest,
    EventStream,
    FabricLayer,
    PreparedTransaction,
    SubmitHooks,
    SubmitRequest,
    SubmitResult,
    TransactionProof,
} from '../../../gateway/fabric/types';
import { createApp, type GatewayApp } from '../../../gateway/http/app';
import type { RequestLimits } from '../../../gateway/http/limits';
import { IdempotencyStore } from '../../../gateway/idempotency/store';
import { silentLogger, type Logger } from '../../../network/client/logger';
import { createMetrics } from '../../../gateway/metrics';
import { CHAINCODE_HTTP_STATUS } from '../../../gateway/status-table';

export type Script = (fn: string, arg: Record<string, string>, req: EvaluateRequest) => unknown | Promise<unknown>;

/** A Fabric layer that answers from a script and records every call. */
export class FakeFabric implements FabricLayer {
    submits: SubmitRequest[] = [];
    evaluates: EvaluateRequest[] = [];
    resumes: PreparedTransaction[] = [];
    closed = false;
    readyValue = true;
    #tx = 0;
    constructor(public script: Script = () => ({})) {}

    async evaluate(_identity: string, req: EvaluateRequest): Promise<Uint8Array> {
        this.evaluates.push(req);
        return Buffer.from(JSON.stringify(await this.script(req.fn, JSON.parse(req.args[0]), req)));
    }

    async submit(_identity: string, req: SubmitRequest, hooks: SubmitHooks = {}): Promise<SubmitResult> {
        this.submits.push(req);
        const transactionId = (++this.#tx).toString(16).padStart(64, '0');
        const value = await this.script(req.fn, JSON.parse(req.args[0]), req);
        const result = Buffer.from(JSON.stringify(value));
        hooks.onPrepared?.({ transactionId, bytes: Buffer.from(`signed-${transactionId}`), result });
        const after = (this as { afterPrepared?: () => Promise<void> }).afterPrepared;
        if (after) await after();
        return { transactionId, blockNumber: 7n, result };
    }

    async resume(_identity: string, tx: PreparedTransaction): Promise<SubmitResult> {
        this.resumes.push(tx);
        return { transactionId: tx.transactionId, blockNumber: 8n, result: tx.result };
    }

    /** Events the fake stream yields (then it ends); the options of each subscription are recorded. */
    events: ChaincodeEventMessage[] = [];
    subscriptions: { checkpoint?: Checkpointer; startBlock?: bigint }[] = [];

    async chaincodeEvents(_identity: string, opts: { checkpoint?: Checkpointer; startBlock?: bigint }): Promise<EventStream> {
        this.subscriptions.push(opts);
        const events = this.events;
        return {
            close: () => undefined,
            [Symbol.asyncIterator]: async function* () {
                yield* events;
            },
        };
    }

    async transactionProof(_identity: string, transactionId: string): Promise<TransactionProof> {
        return {
            transactionId,
            blockNumber: '7',
            validationCode: 'VALID',
            valid: true,
            channel: 'citizencards',
            chaincode: 'citizencard',
            creatorMspId: 'MOHWMSP',
            endorsingOrgs: ['MOHWMSP', 'SeoulMSP'],
            timestamp: '2026-01-01T00:00:00.000Z',
        };
    }

    /** Blocks the fake chain holds (chainInfo's height is their count). */
    blocks: BlockView[] = [];

    async chainInfo(_identity: string): Promise<ChainInfo> {
        return { height: String(this.blocks.length), currentBlockHash: '', previousBlockHash: '' };
    }

    async block(_identity: string, blockNumber: bigint): Promise<BlockView> {
        return this.blocks[Number(blockNumber)];
    }

    /** The application orgs of the fake channel. */
    orgs = ['AuditMSP', 'MOHWMSP', 'MOISMSP', 'SeoulMSP'];

    async channelOrgs(_identity: string): Promise<string[]> {
        return this.orgs;
    }

    /** The org's CA certificates and CRLs the fake channel config holds (tests set them). */
    revocations: { caCertsPem: string[]; crlsPem: string[] } = { caCertsPem: [], crlsPem: [] };

    async orgRevocations(_identity: string): Promise<{ caCertsPem: string[]; crlsPem: string[] }> {
        return this.revocations;
    }

    async ready(): Promise<boolean> {
        return this.readyValue;
    }

    async close(): Promise<void> {
        this.closed = true;
    }
}

const fakeServiceError = (code: number, details: string): ServiceError =>
    Object.assign(new Error(`${code} ${details}`), { code, details, metadata: undefined as never });

/** What Fabric's gateway returns when the chaincode threw `CODE: message` during endorsement. */
export function chaincodeEndorseError(code: string, message = 'refused'): EndorseError {
    const text = `chaincode response 500, ${code}: ${message}`;
    return new EndorseError({
        code: 10,
        details: [{ address: 'peer0.seoul.example.gov:7051', mspId: 'SeoulMSP', message: text }],
        cause: fakeServiceError(10, 'failed to endorse transaction, see attached details for more info'),
        transactionId: 'ab'.repeat(32),
        message: '10 ABORTED: failed to endorse transaction, see attached details for more info',
    });
}

/** What an evaluate returns when the chaincode threw. */
export function chaincodeEvaluateError(code: string, message = 'refused'): GatewayError {
    const text = `evaluate call to endorser returned error: chaincode response 500, ${code}: ${message}`;
    return new GatewayError({ code: 2, details: [], cause: fakeServiceError(2, text), message: `2 UNKNOWN: ${text}` });
}

export function unavailableError(): GatewayError {
    return new GatewayError({
        code: 14,
        details: [],
        cause: fakeServiceError(14, 'No connection established'),
        message: '14 UNAVAILABLE: No connection established',
    });
}

export interface Fixture {
    gw: GatewayApp;
    fabric: FakeFabric;
    db: Db;
    store: SqliteStore;
    dbFile: string;
    apps: AppStore;
    keys: Record<string, string>;
    auth(name: string): Record<string, string>;
    close(): void;
}

export function tmpDbFile(): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gw-test-')), 'gateway.sqlite');
}

export function buildFixture(
    opts: {
        script?: Script;
        dbFile?: string;
        limits?: Partial<RequestLimits>;
        bodyLimit?: string;
        fabric?: FakeFabric;
        owner?: string;
        log?: Logger;
        now?: () => Date;
    } = {},
): Fixture {
    registerChaincodeCodes(CHAINCODE_HTTP_STATUS);
    const dbFile = opts.dbFile ?? tmpDbFile();
    const db = openDb(dbFile);
    const store = new SqliteStore(db, dbFile);
    const apps = new AppStore(store);
    const keys: Record<string, string> = {};
    const existing = new Set((prepared(db, 'SELECT name FROM apps').all() as { name: string }[]).map((a) => a.name));
    const want = [
        { name: 'welfare-app', mspId: 'MOHWMSP', identity: 'welfare', role: 'department', dept: 'welfare' },
        { name: 'other-app', mspId: 'MOHWMSP', identity: 'other', role: 'department', dept: 'pension' },
        { name: 'seoul-app', mspId: 'SeoulMSP', identity: 'issuer1', role: 'issuer' },
    ];
    for (const a of want) {
        keys[a.name] = seedApp(db, a, existing.has(a.name));
    }
    const fabric = opts.fabric ?? new FakeFabric(opts.script);
    const gw = createApp({
        mspId: 'MOHWMSP',
        fabric,
        apps,
        store,
        log: opts.log ?? silentLogger,
        metrics: createMetrics(),
        idempotency: new IdempotencyStore(store, { ttlMs: 3600_000, owner: opts.owner }),
        limits: { max: 100_000, anonymousMax: 100_000, ...opts.limits },
        bodyLimit: opts.bodyLimit ?? '16kb',
        now: opts.now,
    });
    return {
        gw,
        fabric,
        db,
        store,
        dbFile,
        apps,
        keys,
        auth: (name) => ({ Authorization: `Bearer ${keys[name]}` }),
        close: () => db.close(),
    };
}

/** A body that passes validation of POST /v1/access-requests. */
export const validAccessRequest = () => ({
    cardId: 'card-0001',
    serviceId: 'svc-welfare-1',
    purpose: 'basic pension eligibility',
    items: ['name', 'birthDate'],
    predicates: [{ name: 'ageAtLeast', value: 65 }],
});

/**
 * An app with a new API key, written at once (the fixture is built synchronously; AppStore, which
 * the gateway uses, is asynchronous): the same row as AppStore.create writes, or its key replaced.
 */
export function seedApp(db: Db, a: { name: string; mspId: string; identity: string; role: string; dept?: string }, exists = false): string {
    const key = generateApiKey();
    if (exists) {
        prepared(db, 'UPDATE apps SET key_id = ?, key_hash = ? WHERE name = ?').run(key.keyId, key.hash, a.name);
    } else {
        prepared(
            db,
            `INSERT INTO apps (app_id, name, msp_id, identity, role, dept, key_id, key_hash, created_at, disabled_at)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)`,
        ).run(crypto.randomUUID(), a.name, a.mspId, a.identity, a.role, a.dept ?? null, key.keyId, key.hash, new Date().toISOString());
    }
    return key.apiKey;
}
