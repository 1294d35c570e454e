// The fixture builder of the chaincode tests: identities of every role, a shared in-memory ledger,
// and submit/evaluate through fabric-shim's own contract dispatcher (ChaincodeFromContract, as
// `fabric-chaincode-node server` runs it). A submit is endorsed on several peers with the same tx
// id and time: their results must be byte-identical (determinism), and nothing personal may appear
// in its arguments, public writes, event or response (rule 1), or the harness fails the test.

import './quiet.js';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { canonicalJson } from '../../../chaincode/model/canonical.js';
import { exportDevicePublicKey, signDocument } from '../../../chaincode/model/signed.js';
import { MSP, Role, TRANSIENT_PERSONAL, TRANSIENT_SALT_SEED } from '../../../chaincode/model/vocabulary.js';
import type { PersonalData } from '../../../chaincode/model/assets.js';
import { contracts } from '../../../chaincode/index.js';
import { localClock } from '../../../chaincode/ledger.js';
import { makeIdentity, type TestIdentity } from './identities.js';
import { MemoryLedger, MemoryStub, asChaincodeStub } from './memstub.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const ChaincodeFromContract = require('fabric-shim/lib/contract-spi/chaincodefromcontract.js') as new (
    contracts: unknown[],
    serializers: unknown,
    metadata: unknown,
    title: string,
    version: string,
) => { Invoke(stub: unknown): Promise<{ status: number; message?: string; payload?: Uint8Array }> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { JSONSerializer } = require('fabric-contract-api') as { JSONSerializer: unknown };

const serializers = { transaction: 'jsonSerializer', serializers: { jsonSerializer: JSONSerializer } };
// A copy: ChaincodeFromContract appends its SystemContract to the array it is given.
export const chaincode = new ChaincodeFromContract([...contracts], serializers, {}, 'citizencard', '1.0.0');

export type Ids = Awaited<ReturnType<typeof buildIdentities>>;

export async function buildIdentities() {
    return {
        issuer: await makeIdentity(MSP.SEOUL, 'issuer1', { role: Role.ISSUER }),
        citizen: await makeIdentity(MSP.SEOUL, 'citizen-agent', { role: Role.CITIZEN_AGENT }),
        seoulUser: await makeIdentity(MSP.SEOUL, 'User1'),
        serviceAdmin: await makeIdentity(MSP.MOIS, 'service-admin1', { role: Role.SERVICE_ADMIN }),
        /** A service admin of its own org only (not MOIS's national one). */
        mohwServiceAdmin: await makeIdentity(MSP.MOHW, 'mohw-service-admin', { role: Role.SERVICE_ADMIN }),
        resReg: await makeIdentity(MSP.MOIS, 'resident-registration', { role: Role.DEPARTMENT, dept: 'resident-registration' }),
        welfare: await makeIdentity(MSP.MOHW, 'welfare', { role: Role.DEPARTMENT, dept: 'welfare' }),
        welfare2: await makeIdentity(MSP.MOHW, 'welfare-app2', { role: Role.DEPARTMENT, dept: 'welfare' }),
        pension: await makeIdentity(MSP.MOHW, 'pension', { role: Role.DEPARTMENT, dept: 'pension' }),
        noDept: await makeIdentity(MSP.MOHW, 'nodept', { role: Role.DEPARTMENT }),
        mohwUser: await makeIdentity(MSP.MOHW, 'User1'),
        auditor: await makeIdentity(MSP.AUDIT, 'auditor1', { role: Role.AUDITOR }),
        mohwOrgAuditor: await makeIdentity(MSP.MOHW, 'mohw-org-auditor', { role: Role.ORG_AUDITOR }),
        moisOrgAuditor: await makeIdentity(MSP.MOIS, 'mois-org-auditor', { role: Role.ORG_AUDITOR }),
        fakeIssuer: await makeIdentity(MSP.MOHW, 'fake-issuer', { role: Role.ISSUER }),
        fakeAuditor: await makeIdentity(MSP.MOHW, 'fake-auditor', { role: Role.AUDITOR }),
    };
}

let idsPromise: Promise<Ids> | undefined;
export function identities(): Promise<Ids> {
    idsPromise ??= buildIdentities();
    return idsPromise;
}

/** A chaincode refusal: `code` is the stable code of `CODE: message`. */
export class Refusal extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(message);
    }
}

export interface CallOptions {
    transient?: Record<string, Uint8Array | string>;
    /** Peers (by org) that endorse a submit; the first one answers an evaluate. */
    peers?: string[];
    txId?: string;
}

export const PUBLIC_ENDORSERS = [MSP.SEOUL, MSP.MOIS, MSP.MOHW];
export const ISSUER_ONLY = [MSP.SEOUL];

export interface Observed {
    fcn: string;
    args: string[];
    response: string;
    writes: string[];
    event?: string;
}

/** Personal values used by the tests; none may reach public state, events or submit responses. */
export const personalValues = new Set<string>();
/** Everything every submitted transaction exposed, across all tests (checked again at the end). */
export const observedSubmits: Observed[] = [];

const ELIGIBILITY_FACT = /"(disability|lowIncome|multiChildFamily|seoulResident)":(true|false)/;

export function findPersonalData(text: string): string | undefined {
    for (const v of personalValues) if (text.includes(v)) return v;
    const m = ELIGIBILITY_FACT.exec(text);
    return m ? m[0] : undefined;
}

export function assertNoPersonalData(o: Observed): void {
    for (const part of [o.args.join('\n'), o.response, ...o.writes, o.event ?? '']) {
        const found = findPersonalData(part);
        if (found !== undefined) throw new Error(`personal data ${JSON.stringify(found)} exposed by submitted ${o.fcn}`);
    }
}

export interface Device {
    privateKey: KeyObject;
    publicKey: string;
}

export function newDevice(): Device {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return { privateKey, publicKey: exportDevicePublicKey(publicKey) };
}

let nonceCounter = 0;
export function nonce(): string {
    return `nonce-${(++nonceCounter).toString().padStart(12, '0')}`;
}

export function samplePerson(overrides: Partial<PersonalData> = {}): PersonalData {
    const p: PersonalData = {
        name: 'Kim Minji',
        birthDate: '1958-03-14',
        address: '25 Sejong-daero, Jung-gu, Seoul',
        district: 'Jung-gu',
        residentNumber: '580314-2123456',
        disability: false,
        lowIncome: true,
        multiChildFamily: false,
        seoulResident: true,
        ...overrides,
    };
    for (const k of ['name', 'birthDate', 'address', 'residentNumber'] as const) personalValues.add(p[k]);
    personalValues.add(`"district":"${p.district}"`);
    return p;
}

/** One simulated channel: a shared ledger and a clock that moves between transactions. */
export class TestNet {
    readonly ledger = new MemoryLedger();
    now = Date.parse('2026-06-01T00:00:00.000Z');
    txCounter = 0;

    constructor(readonly ids: Ids) {
        // The peer's clock follows the simulated one (ReadGrantedData bounds the proposal time by it).
        localClock.now = () => this.now;
    }

    static async create(): Promise<TestNet> {
        return new TestNet(await identities());
    }

    tick(seconds: number): void {
        this.now += seconds * 1000;
    }
    iso(offsetSeconds = 0): string {
        return new Date(this.now + offsetSeconds * 1000).toISOString();
    }

    #stub(id: TestIdentity, fcn: string, args: string[], peer: string, txId: string, opts: CallOptions): MemoryStub {
        const transient = new Map<string, Uint8Array>();
        for (const [k, v] of Object.entries(opts.transient ?? {})) transient.set(k, typeof v === 'string' ? Buffer.from(v) : v);
        return new MemoryStub(this.ledger, {
            txId,
            timestamp: new Date(this.now),
            mspId: id.mspId,
            certPem: id.certPem,
            peerMspId: peer,
            fcn,
            params: args,
            transient,
        });
    }

    #txId(id: TestIdentity): string {
        return createHash('sha256')
            .update(`tx-${++this.txCounter}`)
            .update(id.certPem)
            .digest('hex');
    }

    async #run(stub: MemoryStub): Promise<string> {
        const res = await chaincode.Invoke(asChaincodeStub(stub));
        for (const it of stub.openIterators) if (!(it as { closed: boolean }).closed) throw new Error(`iterator left open by ${stub.fcn}`);
        if (res.status !== 200) {
            const message = res.message ?? '';
            const code = /^([A-Z][A-Z_]+): /.exec(message)?.[1] ?? 'UNCODED';
            throw new Refusal(code, message);
        }
        return Buffer.from(res.payload ?? Buffer.alloc(0)).toString('utf8');
    }

    /** Endorses on each peer, checks they agree byte for byte, commits once, returns the parsed result. */
    async submit<T = Record<string, unknown>>(id: TestIdentity, fcn: string, arg: unknown, opts: CallOptions = {}): Promise<T> {
        const args = arg === undefined ? [] : [typeof arg === 'string' ? arg : canonicalJson(arg)];
        const txId = opts.txId ?? this.#txId(id);
        const peers = opts.peers ?? PUBLIC_ENDORSERS;
        let first: { stub: MemoryStub; response: string; digest: string } | undefined;
        for (const peer of peers) {
            const stub = this.#stub(id, fcn, args, peer, txId, opts);
            const response = await this.#run(stub);
            const digest = rwsetDigest(stub, response);
            if (first && first.digest !== digest)
                throw new Error(`non-deterministic ${fcn}: endorsement on ${peer} differs from ${peers[0]}`);
            first ??= { stub, response, digest };
        }
        if (!first) throw new Error('no endorsing peer');
        const observed: Observed = {
            fcn,
            args,
            response: first.response,
            writes: [...first.stub.writes].map(([k, v]) => `${k}=${v ? v.toString('utf8') : '<delete>'}`),
            event: first.stub.event && `${first.stub.event.name} ${first.stub.event.payload.toString('utf8')}`,
        };
        assertNoPersonalData(observed);
        observedSubmits.push(observed);
        this.ledger.commit(first.stub);
        this.tick(2);
        return (first.response ? JSON.parse(first.response) : undefined) as T;
    }

    /** Runs on one peer (Seoul by default) without committing. */
    async evaluate<T = Record<string, unknown>>(id: TestIdentity, fcn: string, arg: unknown, opts: CallOptions = {}): Promise<T> {
        const args = arg === undefined ? [] : [typeof arg === 'string' ? arg : canonicalJson(arg)];
        const stub = this.#stub(id, fcn, args, (opts.peers ?? [MSP.SEOUL])[0] as string, opts.txId ?? this.#txId(id), opts);
        const response = await this.#run(stub);
        return (response ? JSON.parse(response) : undefined) as T;
    }

    /** Simulates on one peer and returns the stub (writes, event) without committing. */
    async simulate(
        id: TestIdentity,
        fcn: string,
        arg: unknown,
        opts: CallOptions & { peer?: string } = {},
    ): Promise<{ stub: MemoryStub; response: string }> {
        const args = arg === undefined ? [] : [typeof arg === 'string' ? arg : canonicalJson(arg)];
        const stub = this.#stub(id, fcn, args, opts.peer ?? MSP.SEOUL, opts.txId ?? this.#txId(id), opts);
        const response = await this.#run(stub);
        return { stub, response };
    }

    // ---- fixture steps ----

    /** The two-step issue: private record on the issuer peer, then the public card on MAJORITY peers. */
    async issueCard(cardId: string, device: Device, person: PersonalData = samplePerson(), validityYears = 5) {
        const subjectId = `subj-${cardId}`;
        const step1 = await this.submit<{ commitments: Record<string, string>; anchorHash: string }>(
            this.ids.issuer,
            'CardContract:IssuePersonalRecord',
            { cardId, subjectId },
            {
                peers: ISSUER_ONLY,
                transient: { [TRANSIENT_PERSONAL]: JSON.stringify(person), [TRANSIENT_SALT_SEED]: Buffer.alloc(32, cardId) },
            },
        );
        return this.submit(this.ids.issuer, 'CardContract:CreateCard', {
            cardId,
            subjectId,
            devicePublicKey: device.publicKey,
            validityYears,
            commitments: step1.commitments,
        });
    }

    async registerService(serviceId: string, owner: TestIdentity, extra: Record<string, unknown> = {}) {
        return this.submit(this.ids.serviceAdmin, 'ServiceContract:RegisterService', {
            serviceId,
            ownerMspId: owner.mspId,
            dept: owner.attrs.dept,
            name: `Service ${serviceId}`,
            purpose: 'senior welfare benefit eligibility',
            items: ['name', 'district'],
            predicates: ['ageAtLeast', 'lowIncome'],
            ...extra,
        });
    }

    consentReceipt(cardId: string, serviceId: string, recipientMspId: string, extra: Record<string, unknown> = {}) {
        return {
            type: 'ConsentReceipt',
            cardId,
            serviceId,
            recipientMspId,
            purpose: 'senior welfare benefit eligibility',
            items: ['name'],
            predicates: ['ageAtLeast', 'lowIncome'],
            retentionDays: 30,
            nonce: nonce(),
            issuedAt: this.iso(),
            ...extra,
        };
    }

    async grantConsent(device: Device, cardId: string, serviceId: string, recipientMspId: string, extra: Record<string, unknown> = {}) {
        const signed = signDocument(this.consentReceipt(cardId, serviceId, recipientMspId, extra), device.privateKey);
        return this.submit<{ consentId: string }>(this.ids.citizen, 'ConsentContract:GrantConsent', signed);
    }
}

/** sha256 over everything an endorsement produces: public writes, private write hashes, event, response. */
export function rwsetDigest(stub: MemoryStub, response: string): string {
    const h = createHash('sha256');
    for (const [k, v] of [...stub.writes].sort(([a], [b]) => (a < b ? -1 : 1))) h.update(`W${k}\u0000${v ? v.toString('base64') : '-'}\n`);
    for (const [c, m] of [...stub.pvtWrites].sort(([a], [b]) => (a < b ? -1 : 1))) {
        for (const [k, v] of [...m].sort(([a], [b]) => (a < b ? -1 : 1))) {
            const vh = v === null ? 'delete' : v === 'purge' ? 'purge' : createHash('sha256').update(v).digest('hex');
            h.update(`P${c}\u0000${createHash('sha256').update(k).digest('hex')}\u0000${vh}\n`);
        }
    }
    if (stub.event) h.update(`E${stub.event.name}\u0000${stub.event.payload.toString('base64')}\n`);
    h.update(`R${response}`);
    return h.digest('hex');
}

/** Awaits a call that must be refused with `code`; returns the message. */
export async function expectRefusal(p: Promise<unknown>, code: string): Promise<string> {
    let error: unknown;
    try {
        await p;
    } catch (e) {
        error = e;
    }
    if (!(error instanceof Refusal)) throw new Error(`expected refusal ${code}, got ${error === undefined ? 'success' : String(error)}`);
    if (error.code !== code) throw new Error(`expected refusal ${code}, got ${error.message}`);
    return error.message;
}
