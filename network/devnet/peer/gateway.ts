// The peer's Gateway service (gateway.Gateway), as Fabric v3.1.5's
// internal/pkg/gateway: Evaluate on one peer, Endorse on enough orgs to satisfy the chaincode's and
// the collections' policies, Submit to the orderer, CommitStatus from the local ledger and
// ChaincodeEvents from the local ledger's blocks. Its errors carry the gRPC status codes and the
// gateway.ErrorDetail entries that fabric-gateway turns into EndorseError, SubmitError, ...
import * as grpc from '@grpc/grpc-js';
import { common, gateway, orderer, peer } from '@hyperledger/fabric-protos';
import { BlockStore } from '../common/ledger/blkstorage';
import { PolicyManager, SignedData, parseSignaturePolicy } from '../common/policies';
import { ChaincodeDefinition, CommitEvent } from './ledger/types';
import { RpcError, errorDetail, responseStatus, resultFromProposalResponse } from './gateway/apiutils';
import { BlockTransaction, blockTransactions, chaincodeEventsOfBlock } from './gateway/events';
import { InterestCall, PlanError, PolicyRef, chooseLayouts, interestOf, requirements, SYSTEM_CHAINCODES } from './gateway/plan';
import { Broadcaster, EndorserClient, EndorserRegistry } from './gateway/registry';
import { Logger, silentLogger } from '../../client/logger';

const Code = grpc.status;
/** Pauses before asking again an endorser whose response differed (it may lag a block or two). */
const MISMATCH_RETRY_DELAYS_MS = [100, 250];

/** What the gateway needs of the ledger (PeerLedger satisfies it). */
export interface GatewayLedger {
    readonly blocks: BlockStore;
    chaincodeDefinition(name: string): Promise<ChaincodeDefinition | undefined>;
    onCommit(listener: (event: CommitEvent) => void): () => void;
}

export interface GatewayOptions {
    /** Per endorser call (Fabric's gateway.endorsementTimeout, 30 s). */
    endorsementTimeoutMs: number;
    /** Per orderer call (Fabric's gateway.broadcastTimeout, 30 s). */
    broadcastTimeoutMs: number;
}

export interface GatewayDeps {
    channelId: string;
    registry: EndorserRegistry;
    orderer: Broadcaster;
    ledger: GatewayLedger;
    policies: Pick<PolicyManager, 'evaluate' | 'orgLayouts'>;
    /** Definitions to plan with when the ledger has none committed (the topology's). */
    fallbackDefinitions?: ChaincodeDefinition[];
    parseSignaturePolicy?: (text: string) => common.SignaturePolicyEnvelope;
    logger?: Logger;
    options?: Partial<GatewayOptions>;
}

/** The parts of a signed proposal the gateway looks at. */
export interface UnpackedProposal {
    header: common.Header;
    channelHeader: common.ChannelHeader;
    payload: peer.ChaincodeProposalPayload;
    channelId: string;
    chaincodeId: string;
    /** The first argument (the function name), to remember which orgs endorsed it last time. */
    fn: string;
    hasTransientData: boolean;
}

export function unpackProposal(sp: peer.SignedProposal | undefined): UnpackedProposal {
    const bytes = sp?.getProposalBytes_asU8() ?? new Uint8Array(0);
    if (bytes.length === 0) throw new Error('a signed proposal is required');
    const proposal = peer.Proposal.deserializeBinary(bytes);
    const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    const payload = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
    const spec = peer.ChaincodeInvocationSpec.deserializeBinary(payload.getInput_asU8());
    const channelId = channelHeader.getChannelId();
    if (!channelId) throw new Error('no channel id provided');
    const ccSpec = spec.getChaincodeSpec();
    if (!ccSpec) throw new Error(`no chaincode spec is provided, channel id [${channelId}]`);
    const ccId = ccSpec.getChaincodeId();
    if (!ccId) throw new Error(`no chaincode id is provided, channel id [${channelId}]`);
    if (!ccId.getName()) throw new Error(`no chaincode name is provided, channel id [${channelId}]`);
    const fn = Buffer.from(ccSpec.getInput()?.getArgsList_asU8()[0] ?? new Uint8Array(0)).toString('utf8');
    return {
        header,
        channelHeader,
        payload,
        channelId,
        chaincodeId: ccId.getName(),
        fn,
        hasTransientData: payload.getTransientmapMap().getLength() > 0,
    };
}

/** The unsigned transaction envelope of an endorsed proposal (Fabric's prepareTransaction). */
export function prepareTransaction(
    header: common.Header,
    proposalPayload: peer.ChaincodeProposalPayload,
    responsePayload: Uint8Array,
    endorsements: peer.Endorsement[],
): common.Envelope {
    // Transient data never leaves the endorsers: the transaction carries the input only.
    const cpp = new peer.ChaincodeProposalPayload();
    cpp.setInput(proposalPayload.getInput_asU8());
    const action = new peer.ChaincodeEndorsedAction();
    action.setProposalResponsePayload(responsePayload);
    action.setEndorsementsList(endorsements);
    const cap = new peer.ChaincodeActionPayload();
    cap.setChaincodeProposalPayload(cpp.serializeBinary());
    cap.setAction(action);
    const txAction = new peer.TransactionAction();
    txAction.setHeader(header.getSignatureHeader_asU8());
    txAction.setPayload(cap.serializeBinary());
    const tx = new peer.Transaction();
    tx.setActionsList([txAction]);
    const payload = new common.Payload();
    payload.setHeader(header);
    payload.setData(tx.serializeBinary());
    const envelope = new common.Envelope();
    envelope.setPayload(payload.serializeBinary());
    return envelope;
}

function printable(bytes: Uint8Array, max = 160): string {
    if (bytes.length === 0) return "''";
    const text = Buffer.from(bytes).toString('utf8');
    const shown = /^[\x20-\x7e\s]*$/.test(text)
        ? JSON.stringify(text.length > max ? text.slice(0, max) + '…' : text)
        : `0x${Buffer.from(bytes.subarray(0, max / 2)).toString('hex')}${bytes.length > max / 2 ? '…' : ''}`;
    return `${shown} (${bytes.length} bytes)`;
}

/** What differs between two proposal response payloads, in words (response, then writes, then event). */
export function describePayloadDifference(a: Uint8Array, b: Uint8Array): { first: string; second: string; what: string } {
    try {
        const actA = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(a).getExtension_asU8());
        const actB = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(b).getExtension_asU8());
        const ra = actA.getResponse();
        const rb = actB.getResponse();
        const resp = (r: peer.Response | undefined) =>
            `status ${r?.getStatus() ?? 0}, payload ${printable(r?.getPayload_asU8() ?? new Uint8Array(0))}`;
        const same = (x: Uint8Array, y: Uint8Array) => Buffer.from(x).equals(Buffer.from(y));
        if (
            (ra?.getStatus() ?? 0) !== (rb?.getStatus() ?? 0) ||
            !same(ra?.getPayload_asU8() ?? new Uint8Array(0), rb?.getPayload_asU8() ?? new Uint8Array(0)) ||
            (ra?.getMessage() ?? '') !== (rb?.getMessage() ?? '')
        ) {
            return { first: resp(ra), second: resp(rb), what: 'chaincode responses differ' };
        }
        if (!same(actA.getResults_asU8(), actB.getResults_asU8())) {
            return {
                first: `${resp(ra)}, read-write set of ${actA.getResults_asU8().length} bytes`,
                second: `${resp(rb)}, read-write set of ${actB.getResults_asU8().length} bytes`,
                what: 'read-write sets differ',
            };
        }
        if (!same(actA.getEvents_asU8(), actB.getEvents_asU8())) {
            return {
                first: `${resp(ra)}, event of ${actA.getEvents_asU8().length} bytes`,
                second: `${resp(rb)}, event of ${actB.getEvents_asU8().length} bytes`,
                what: 'chaincode events differ',
            };
        }
        return { first: resp(ra), second: resp(rb), what: 'proposal response payloads differ' };
    } catch {
        return { first: `${a.length} bytes`, second: `${b.length} bytes`, what: 'proposal response payloads differ' };
    }
}

function channelPolicyPathError(err: unknown): string {
    return err instanceof Error ? err.message : String(err);
}

interface Waiter {
    resolve(status: { code: number; blockNumber: number }): void;
}

/**
 * Resolves CommitStatus requests when the local ledger commits their transaction. Listeners are
 * registered before the block store is asked, so a commit between the two is never missed.
 */
export class CommitNotifier {
    readonly #waiters = new Map<string, Set<Waiter>>();
    readonly #unsubscribe: () => void;
    /**
     * Blocks below this number have finished committing (state included). The block store holds a
     * block a moment before its state is applied; a status is only answered once both are done, so
     * a client that evaluates right after CommitStatus reads its own write.
     */
    #committedHeight: number;
    /**
     * Statuses of the transactions committed lately (insertion order, oldest evicted first): the
     * client usually asks once its transaction is already committed, and the answer then costs
     * no block store lookup. A transaction id seen twice keeps its first (committed) status.
     */
    readonly #recent = new Map<string, { code: number; blockNumber: number }>();
    readonly #recentLimit: number;
    /**
     * Transactions this gateway sent to the orderer that have not committed since: asking the
     * block store about them is pointless (it would answer "not found"), so their status is
     * simply awaited.
     */
    readonly #inFlight = new Set<string>();
    readonly #listeners: ((txs: BlockTransaction[]) => void)[] = [];

    constructor(ledger: GatewayLedger, recentLimit = 50_000) {
        this.#committedHeight = ledger.blocks.height;
        this.#recentLimit = recentLimit;
        this.#unsubscribe = ledger.onCommit((event) => this.#onCommit(event));
    }

    /** A transaction was just accepted by the orderer through this gateway. */
    submitted(txId: string): void {
        if (!txId || this.#recent.has(txId)) return;
        this.#inFlight.add(txId);
        if (this.#inFlight.size > this.#recentLimit) this.#inFlight.delete(this.#inFlight.values().next().value!);
    }

    /** Called with every committed block's transactions (one parse of the block for all users). */
    onBlock(listener: (txs: BlockTransaction[]) => void): void {
        this.#listeners.push(listener);
    }

    #onCommit(event: CommitEvent): void {
        const blockNumber = Number(event.block.getHeader()?.getNumber() ?? 0);
        this.#committedHeight = Math.max(this.#committedHeight, blockNumber + 1);
        const txs = blockTransactions(event.block, event.validationCodes);
        for (const tx of txs) {
            if (!tx.txId) continue;
            const status = { code: tx.validationCode, blockNumber };
            this.#inFlight.delete(tx.txId);
            if (!this.#recent.has(tx.txId)) {
                this.#recent.set(tx.txId, status);
                if (this.#recent.size > this.#recentLimit) this.#recent.delete(this.#recent.keys().next().value!);
            }
            const waiters = this.#waiters.get(tx.txId);
            if (!waiters) continue;
            this.#waiters.delete(tx.txId);
            const first = this.#recent.get(tx.txId) ?? status;
            for (const w of waiters) w.resolve(first);
        }
        for (const l of this.#listeners) l(txs);
    }

    /** Waits for the transaction; `lookup` answers from the store once the waiter is in place. */
    async wait(
        txId: string,
        lookup: () => Promise<{ code: number; blockNumber: number } | undefined>,
        signal?: AbortSignal,
    ): Promise<{ code: number; blockNumber: number }> {
        const recent = this.#recent.get(txId);
        if (recent) return recent;
        let waiter!: Waiter;
        const committed = new Promise<{ code: number; blockNumber: number }>((resolve) => {
            waiter = { resolve };
        });
        const set = this.#waiters.get(txId) ?? new Set();
        this.#waiters.set(txId, set);
        set.add(waiter);
        const remove = () => {
            const s = this.#waiters.get(txId);
            if (!s) return;
            s.delete(waiter);
            if (s.size === 0) this.#waiters.delete(txId);
        };
        try {
            const found = this.#inFlight.has(txId) ? undefined : await lookup();
            if (found && found.blockNumber < this.#committedHeight) return found;
            if (signal?.aborted) throw new Error('request cancelled');
            const aborted = new Promise<never>((_, reject) =>
                signal?.addEventListener('abort', () => reject(new Error('request cancelled')), { once: true }),
            );
            return await Promise.race([committed, aborted]);
        } finally {
            remove();
        }
    }

    get pending(): number {
        let n = 0;
        for (const s of this.#waiters.values()) n += s.size;
        return n;
    }

    close(): void {
        this.#unsubscribe();
        this.#waiters.clear();
    }
}

/** Where one chaincode-events response goes; resolves when the client can take more. */
export interface EventSink {
    write(response: gateway.ChaincodeEventsResponse): Promise<void>;
    readonly signal: AbortSignal;
}

export class GatewayServer {
    readonly #deps: GatewayDeps;
    readonly #log: Logger;
    readonly #options: GatewayOptions;
    readonly #notifier: CommitNotifier;
    readonly #layoutCache = new Map<string, string[][]>();
    /** The layout that last endorsed each chaincode function (without transient data). */
    readonly #lastLayouts = new Map<string, string[]>();
    /** Chaincode definitions change only through _lifecycle transactions: cached until one commits. */
    readonly #definitions = new Map<string, ChaincodeDefinition | undefined>();
    #definitionsGeneration = 0;
    readonly #parseSignature: (text: string) => common.SignaturePolicyEnvelope;

    constructor(deps: GatewayDeps) {
        this.#deps = deps;
        this.#log = (deps.logger ?? silentLogger).child({ component: 'gateway' });
        this.#options = { endorsementTimeoutMs: 30_000, broadcastTimeoutMs: 30_000, ...deps.options };
        this.#notifier = new CommitNotifier(deps.ledger);
        this.#notifier.onBlock((txs) => {
            if (txs.some((tx) => tx.chaincode === '_lifecycle')) {
                this.#definitions.clear();
                this.#definitionsGeneration++;
            }
        });
        this.#parseSignature = deps.parseSignaturePolicy ?? parseSignaturePolicy;
    }

    get localMspId(): string {
        return this.#deps.registry.localMspId;
    }

    close(): void {
        this.#notifier.close();
    }

    /** The channel config changed (orgs, policies): org layouts are computed again. */
    configChanged(): void {
        this.#layoutCache.clear();
        this.#lastLayouts.clear();
    }

    // ---------------------------------------------------------------- Evaluate

    async evaluate(request: gateway.EvaluateRequest | undefined): Promise<gateway.EvaluateResponse> {
        if (!request) throw new RpcError(Code.INVALID_ARGUMENT, 'an evaluate request is required');
        const sp = request.getProposedTransaction();
        let up: UnpackedProposal;
        try {
            up = unpackProposal(sp);
        } catch (err) {
            throw new RpcError(Code.INVALID_ARGUMENT, `failed to unpack transaction proposal: ${channelPolicyPathError(err)}`);
        }
        this.#checkChannel(up.channelId);
        const registry = this.#deps.registry;
        let targetOrgs = request.getTargetOrganizationsList();
        let transientProtected = false;
        if (up.hasTransientData && targetOrgs.length === 0) {
            // Transient data stays in the gateway's org unless the client names who may see it.
            targetOrgs = [registry.localMspId];
            transientProtected = true;
        }
        // Fabric's discovery lists a peer for a chaincode only once it is defined on the channel.
        const endorsers = (await this.#defined(up.chaincodeId)) ? this.#evaluators(targetOrgs) : [];
        if (endorsers.length === 0) {
            const reason = `no peers available to evaluate chaincode ${up.chaincodeId} in channel ${up.channelId}`;
            if (transientProtected) {
                throw new RpcError(
                    Code.FAILED_PRECONDITION,
                    `no endorsers found in the gateway's organization; retry specifying target organization(s) to protect transient data: ${reason}`,
                );
            }
            throw new RpcError(Code.FAILED_PRECONDITION, reason);
        }
        const details: gateway.ErrorDetail[] = [];
        let lastCode: grpc.status = Code.UNAVAILABLE;
        const txId = request.getTransactionId();
        for (const endorser of endorsers) {
            const outcome = await endorser.processProposal(sp!, this.#options.endorsementTimeoutMs);
            const st = responseStatus(outcome.response, outcome.error);
            if (st.code === Code.OK) {
                registry.markHealthy(endorser.mspId);
                const response = outcome.response!.getResponse()!;
                try {
                    // The transaction result is the one in the proposal response payload; Response.payload need not be.
                    response.setPayload(resultFromProposalResponse(outcome.response!));
                } catch (err) {
                    this.#log.warn('successful proposal response contained no transaction result', {
                        txId,
                        chaincode: up.chaincodeId,
                        endorser: endorser.mspId,
                        error: channelPolicyPathError(err),
                    });
                }
                this.#log.debug('evaluated', { txId, chaincode: up.chaincodeId, endorser: endorser.mspId, status: response.getStatus() });
                const out = new gateway.EvaluateResponse();
                out.setResult(response);
                return out;
            }
            this.#log.info('evaluate call to endorser failed', {
                txId,
                chaincode: up.chaincodeId,
                endorser: endorser.mspId,
                address: endorser.address,
                error: st.message,
            });
            details.push(errorDetail(endorser.address, endorser.mspId, st.message));
            lastCode = st.code;
            if (st.remove) registry.markFailed(endorser.mspId);
            if (!st.retry) throw new RpcError(st.code, `evaluate call to endorser returned error: ${st.message}`, details);
        }
        throw new RpcError(lastCode, 'failed to evaluate transaction, see attached details for more info', details);
    }

    /** Local peer first (if allowed), then the other target orgs' peers, recently failed ones last. */
    #evaluators(targetOrgs: string[]): EndorserClient[] {
        const registry = this.#deps.registry;
        const orgs = targetOrgs.length > 0 ? registry.availableOrgs().filter((o) => targetOrgs.includes(o)) : registry.availableOrgs();
        const local = orgs.filter((o) => o === registry.localMspId);
        const others = orgs.filter((o) => o !== registry.localMspId).sort((a, b) => registry.penalty(a) - registry.penalty(b));
        return [...local, ...others].map((o) => registry.endorser(o)!);
    }

    // ---------------------------------------------------------------- Endorse

    async endorse(request: gateway.EndorseRequest | undefined): Promise<gateway.EndorseResponse> {
        if (!request) throw new RpcError(Code.INVALID_ARGUMENT, 'an endorse request is required');
        const sp = request.getProposedTransaction();
        if (!sp || sp.getProposalBytes_asU8().length === 0) {
            throw new RpcError(Code.INVALID_ARGUMENT, 'the proposed transaction must contain a signed proposal');
        }
        let up: UnpackedProposal;
        try {
            up = unpackProposal(sp);
        } catch (err) {
            throw new RpcError(Code.INVALID_ARGUMENT, channelPolicyPathError(err));
        }
        this.#checkChannel(up.channelId);
        const txId = request.getTransactionId() || up.channelHeader.getTxId();
        const log = this.#log.child({ txId, chaincode: up.chaincodeId });
        const named = request.getEndorsingOrganizationsList();
        // Responses are compared with the local peer's when the gateway plans (it endorses first).
        const session = new EndorsementSession(
            sp,
            this.#options.endorsementTimeoutMs,
            this.#deps.registry,
            log,
            named.length === 0 ? this.#deps.registry.localMspId : undefined,
        );

        let layout: string[] | undefined;
        const defined = await this.#defined(up.chaincodeId);
        if (named.length > 0) {
            // The client names the orgs and takes responsibility for the policy.
            const unique = [...new Set(named)];
            const missing = unique.filter((o) => !defined || !this.#deps.registry.endorser(o));
            if (missing.length > 0)
                throw new RpcError(Code.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${missing.join(', ')}`);
            if (await session.endorseAll(unique)) layout = unique;
        } else if (!defined) {
            // Fabric: no local endorser has it, and discovery finds no metadata for it.
            throw new RpcError(
                Code.FAILED_PRECONDITION,
                `no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode ${up.chaincodeId} in channel ${up.channelId}`,
            );
        } else {
            layout = await this.#planAndEndorse(up, session);
        }
        if (!layout) {
            const mismatch = session.mismatch;
            const message = 'failed to collect enough transaction endorsements, see attached details for more info';
            throw new RpcError(Code.ABORTED, mismatch ? `${message}: ${mismatch}` : message, session.details);
        }
        const envelope = prepareTransaction(up.header, up.payload, session.responsePayload!, session.endorsementsOf(layout));
        log.debug('endorsed', { orgs: layout });
        const response = new gateway.EndorseResponse();
        response.setPreparedTransaction(envelope);
        return response;
    }

    /**
     * Fabric's planFromFirstEndorser: endorse on the local peer, read the ChaincodeInterest of its
     * response, then add orgs until every policy is met, moving to another layout when an org fails.
     */
    async #planAndEndorse(up: UnpackedProposal, session: EndorsementSession): Promise<string[] | undefined> {
        const registry = this.#deps.registry;
        const local = registry.localMspId;
        const key = `${up.chaincodeId}\u0000${up.fn}`;
        // Without transient data the proposal holds nothing the transaction will not carry anyway,
        // so the orgs that endorsed this function last time are asked together with the local peer
        // (one round trip instead of two). The plan is still derived from the local response;
        // an endorsement it does not need is dropped.
        const predicted = up.hasTransientData
            ? []
            : (this.#lastLayouts.get(key) ?? []).filter((o) => o !== local && registry.penalty(o) === 0);
        const [localOk] = await Promise.all([session.endorseAll([local]), session.endorseAll(predicted)]);
        if (!localOk) {
            throw new RpcError(Code.ABORTED, 'failed to endorse transaction, see attached details for more info', session.details);
        }
        const calls = interestOf(session.response(local)!, up.chaincodeId);
        let layouts: string[][];
        try {
            layouts = await this.#layouts(calls, up.hasTransientData, session.endorsed);
        } catch (err) {
            if (err instanceof RpcError) throw err;
            throw new RpcError(Code.FAILED_PRECONDITION, channelPolicyPathError(err));
        }
        for (;;) {
            const layout = layouts.find((l) => l.every((o) => !session.failed.has(o)));
            if (!layout) return undefined;
            if (await session.endorseAll(layout.filter((o) => !session.endorsed.has(o)))) {
                if (!up.hasTransientData) {
                    this.#lastLayouts.set(key, layout);
                    if (this.#lastLayouts.size > 1000) this.#lastLayouts.delete(this.#lastLayouts.keys().next().value!);
                }
                return layout;
            }
        }
    }

    async #layouts(calls: InterestCall[], hasTransientData: boolean, endorsed: ReadonlySet<string>): Promise<string[][]> {
        const names = [...new Set(calls.map((c) => c.chaincode))].filter((n) => n !== '_lifecycle' && !SYSTEM_CHAINCODES.has(n));
        const defs = new Map<string, ChaincodeDefinition>();
        for (const name of names) {
            const def = (await this.#definition(name)) ?? this.#deps.fallbackDefinitions?.find((d) => d.name === name);
            if (def) defs.set(name, def);
        }
        const appCalls = calls.filter((c) => !SYSTEM_CHAINCODES.has(c.chaincode));
        if (appCalls.length === 0) return [[this.#deps.registry.localMspId]];
        const registry = this.#deps.registry;
        const plan = (protect: boolean) => {
            const req = requirements(
                appCalls,
                (n) => defs.get(n),
                protect,
                (t) => this.#parseSignature(t),
            );
            return {
                req,
                layouts: chooseLayouts(req, { orgLayouts: (p) => this.#orgLayouts(p) }, registry.availableOrgs(), endorsed, (o) =>
                    registry.penalty(o),
                ),
            };
        };
        let result: ReturnType<typeof plan>;
        try {
            result = plan(hasTransientData);
        } catch (err) {
            if (err instanceof PlanError)
                throw new RpcError(
                    Code.FAILED_PRECONDITION,
                    `no combination of peers can be derived which satisfy the endorsement policy: ${err.message}`,
                );
            throw err;
        }
        if (result.layouts.length === 0) {
            if (result.req.protectedCollections.length > 0 && plan(false).layouts.length > 0) {
                throw new RpcError(
                    Code.FAILED_PRECONDITION,
                    `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${result.req.protectedCollections.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`,
                );
            }
            throw new RpcError(
                Code.FAILED_PRECONDITION,
                `no combination of peers can be derived which satisfy the endorsement policy: ${result.req.policies.map((p) => p.text).join(', ')}`,
            );
        }
        return result.layouts;
    }

    /** Whether peers would advertise the chaincode: a system chaincode, or one defined on the channel. */
    async #defined(name: string): Promise<boolean> {
        return name === '_lifecycle' || SYSTEM_CHAINCODES.has(name) || (await this.#definition(name)) !== undefined;
    }

    async #definition(name: string): Promise<ChaincodeDefinition | undefined> {
        if (this.#definitions.has(name)) return this.#definitions.get(name);
        const generation = this.#definitionsGeneration;
        const def = await this.#deps.ledger.chaincodeDefinition(name);
        // Only definitions that exist are kept (a missing one may be committed any moment), and
        // not when a _lifecycle commit happened during the read.
        if (def && generation === this.#definitionsGeneration) this.#definitions.set(name, def);
        return def;
    }

    #orgLayouts(policy: PolicyRef): string[][] {
        const key = typeof policy === 'string' ? policy : Buffer.from(policy.serializeBinary()).toString('base64');
        let layouts = this.#layoutCache.get(key);
        if (!layouts) {
            layouts = this.#deps.policies.orgLayouts(policy);
            this.#layoutCache.set(key, layouts);
        }
        return layouts;
    }

    // ---------------------------------------------------------------- Submit

    async submit(request: gateway.SubmitRequest | undefined): Promise<gateway.SubmitResponse> {
        if (!request) throw new RpcError(Code.INVALID_ARGUMENT, 'a submit request is required');
        const txn = request.getPreparedTransaction();
        if (!txn) throw new RpcError(Code.INVALID_ARGUMENT, 'a prepared transaction is required');
        if (txn.getSignature_asU8().length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'prepared transaction must be signed');
        this.#checkChannel(request.getChannelId());
        const ord = this.#deps.orderer;
        const txId = request.getTransactionId();
        let response: orderer.BroadcastResponse;
        try {
            response = await ord.broadcast(txn, this.#options.broadcastTimeoutMs);
        } catch (err) {
            const message = channelPolicyPathError(err);
            this.#log.warn('error sending transaction to orderer', { txId, address: ord.address, error: message });
            throw new RpcError(Code.UNAVAILABLE, 'no orderers could successfully process transaction', [
                errorDetail(ord.address, ord.mspId, message),
            ]);
        }
        const status = response.getStatus();
        if (status === common.Status.SUCCESS) {
            this.#log.debug('transaction sent to orderer', { txId });
            // The id the orderer will see is the envelope's own, not the request field.
            this.#notifier.submitted(envelopeTxId(txn));
            return new gateway.SubmitResponse();
        }
        const name = Object.entries(common.Status).find(([, v]) => v === status)?.[0] ?? String(status);
        const message = `received unsuccessful response from orderer: status=${name}, info=${response.getInfo()}`;
        this.#log.warn('unsuccessful response from orderer', { txId, status: name, info: response.getInfo() });
        if (status >= 400 && status < 500) throw new RpcError(Code.ABORTED, message);
        throw new RpcError(Code.UNAVAILABLE, 'no orderers could successfully process transaction', [
            errorDetail(ord.address, ord.mspId, message),
        ]);
    }

    // ---------------------------------------------------------------- CommitStatus

    async commitStatus(signed: gateway.SignedCommitStatusRequest | undefined, signal?: AbortSignal): Promise<gateway.CommitStatusResponse> {
        const bytes = signed?.getRequest_asU8() ?? new Uint8Array(0);
        if (bytes.length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'a commit status request is required');
        let request: gateway.CommitStatusRequest;
        try {
            request = gateway.CommitStatusRequest.deserializeBinary(bytes);
        } catch (err) {
            throw new RpcError(Code.INVALID_ARGUMENT, `invalid status request: ${channelPolicyPathError(err)}`);
        }
        if (request.getIdentity_asU8().length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'no identity provided');
        if (!request.getChannelId()) throw new RpcError(Code.INVALID_ARGUMENT, 'no channel ID provided');
        if (!request.getTransactionId()) throw new RpcError(Code.INVALID_ARGUMENT, 'transaction ID should not be empty');
        this.#checkAcl(request.getChannelId(), {
            identity: request.getIdentity_asU8(),
            data: bytes,
            signature: signed!.getSignature_asU8(),
        });
        const txId = request.getTransactionId();
        const blocks = this.#deps.ledger.blocks;
        let status: { code: number; blockNumber: number };
        try {
            status = await this.#notifier.wait(
                txId,
                async () => {
                    const loc = await blocks.getTxLocation(txId);
                    return loc ? { code: loc.validationCode, blockNumber: loc.blockNumber } : undefined;
                },
                signal,
            );
        } catch (err) {
            throw new RpcError(signal?.aborted ? Code.CANCELLED : Code.ABORTED, channelPolicyPathError(err));
        }
        const response = new gateway.CommitStatusResponse();
        response.setResult(status.code as peer.TxValidationCodeMap[keyof peer.TxValidationCodeMap]);
        response.setBlockNumber(status.blockNumber);
        return response;
    }

    // ---------------------------------------------------------------- ChaincodeEvents

    async chaincodeEvents(signed: gateway.SignedChaincodeEventsRequest | undefined, sink: EventSink): Promise<void> {
        const bytes = signed?.getRequest_asU8() ?? new Uint8Array(0);
        if (bytes.length === 0) throw new RpcError(Code.INVALID_ARGUMENT, 'a chaincode events request is required');
        let request: gateway.ChaincodeEventsRequest;
        try {
            request = gateway.ChaincodeEventsRequest.deserializeBinary(bytes);
        } catch (err) {
            throw new RpcError(Code.INVALID_ARGUMENT, `invalid chaincode events request: ${channelPolicyPathError(err)}`);
        }
        this.#checkAcl(request.getChannelId(), {
            identity: request.getIdentity_asU8(),
            data: bytes,
            signature: signed!.getSignature_asU8(),
        });
        if (request.getChannelId() !== this.#deps.channelId)
            throw new RpcError(Code.NOT_FOUND, `channel ${request.getChannelId()} not found`);
        const blocks = this.#deps.ledger.blocks;
        const chaincodeId = request.getChaincodeId();
        const afterTxId = request.getAfterTransactionId();

        let start: number | undefined;
        if (afterTxId) start = (await blocks.getTxLocation(afterTxId))?.blockNumber;
        if (start === undefined) start = startBlock(request.getStartPosition(), blocks.height);

        // Events up to and including the checkpointed transaction were already delivered.
        let passedPrevious = afterTxId === '';
        const matches = (e: peer.ChaincodeEvent): boolean => {
            if (!passedPrevious) {
                if (e.getTxId() === afterTxId) passedPrevious = true;
                return false;
            }
            return e.getChaincodeId() === chaincodeId;
        };
        for (let n = start; !sink.signal.aborted; n++) {
            try {
                await blocks.waitForBlock(n, sink.signal);
            } catch (err) {
                if (sink.signal.aborted) return;
                throw new RpcError(Code.ABORTED, channelPolicyPathError(err));
            }
            const block = await blocks.getBlock(n);
            if (!block) throw new RpcError(Code.ABORTED, `block ${n} is missing from the block store`);
            // A checkpoint's transaction that is not in its block any more (never, in practice) must not hide later blocks.
            if (!passedPrevious && n > start) passedPrevious = true;
            const events = chaincodeEventsOfBlock(block).filter(matches);
            if (events.length === 0) continue;
            const response = new gateway.ChaincodeEventsResponse();
            response.setBlockNumber(n);
            response.setEventsList(events);
            await sink.write(response);
        }
    }

    // ---------------------------------------------------------------- helpers

    #checkChannel(channelId: string): void {
        if (channelId !== this.#deps.channelId) {
            throw new RpcError(Code.UNAVAILABLE, `failed to get config for channel [${channelId}]: channel not found on this peer`);
        }
    }

    /** Gateway_CommitStatus and Gateway_ChaincodeEvents are /Channel/Application/Readers (aclmgmt defaults). */
    #checkAcl(channelId: string, signedData: SignedData): void {
        if (channelId !== this.#deps.channelId)
            throw new RpcError(Code.PERMISSION_DENIED, `access denied: channel [${channelId}] not found`);
        let ok = false;
        let reason = '';
        try {
            const result = this.#deps.policies.evaluate('/Channel/Application/Readers', [signedData]);
            ok = result.ok;
            reason = result.reason ?? '';
        } catch (err) {
            reason = channelPolicyPathError(err);
        }
        if (!ok) {
            throw new RpcError(
                Code.PERMISSION_DENIED,
                `failed evaluating policy on signed data during check policy [/Channel/Application/Readers]: [${reason || 'signature set did not satisfy policy'}]`,
            );
        }
    }
}

function envelopeTxId(envelope: common.Envelope): string {
    try {
        const header = common.Payload.deserializeBinary(envelope.getPayload_asU8()).getHeader();
        return header ? common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8()).getTxId() : '';
    } catch {
        return '';
    }
}

/** Start block of a chaincode events request: a specified number, oldest, newest, or the next block (default). */
export function startBlock(position: orderer.SeekPosition | undefined, height: number): number {
    if (!position) return height;
    switch (position.getTypeCase()) {
        case orderer.SeekPosition.TypeCase.SPECIFIED:
            return position.getSpecified()!.getNumber();
        case orderer.SeekPosition.TypeCase.OLDEST:
            return 0;
        case orderer.SeekPosition.TypeCase.NEWEST:
            return Math.max(0, height - 1);
        default:
            return height;
    }
}

/**
 * One Endorse request's endorsements: who answered what, who failed and why. Every successful
 * response must carry the same ProposalResponsePayload bytes as the first one; an org whose
 * payload differs counts as failed (Fabric: "ProposalResponsePayloads do not match").
 */
export class EndorsementSession {
    readonly endorsed = new Set<string>();
    readonly failed = new Set<string>();
    readonly details: gateway.ErrorDetail[] = [];
    responsePayload?: Uint8Array;
    /** A sentence naming both results when a payload mismatch happened. */
    mismatch?: string;
    readonly #responses = new Map<string, peer.ProposalResponse>();
    #firstOrg?: string;

    /** Settled once the reference org (whose payload the others are compared with) has answered. */
    readonly #referenceAnswered: Promise<void>;
    #referenceDone: () => void = () => undefined;

    constructor(
        private readonly sp: peer.SignedProposal,
        private readonly timeoutMs: number,
        private readonly registry: EndorserRegistry,
        private readonly log: Logger,
        private readonly referenceOrg?: string,
    ) {
        this.#referenceAnswered = referenceOrg ? new Promise((resolve) => (this.#referenceDone = resolve)) : Promise.resolve();
    }

    response(org: string): peer.ProposalResponse | undefined {
        return this.#responses.get(org);
    }

    /** Endorsements of a layout, in layout order, one per endorser identity. */
    endorsementsOf(layout: string[]): peer.Endorsement[] {
        const seen = new Set<string>();
        const out: peer.Endorsement[] = [];
        for (const org of layout) {
            const e = this.#responses.get(org)?.getEndorsement();
            if (!e) continue;
            const key = Buffer.from(e.getEndorser_asU8()).toString('base64');
            if (seen.has(key)) continue;
            seen.add(key);
            out.push(e);
        }
        return out;
    }

    /** Asks every org in parallel; true when all of them endorsed with matching payloads. */
    async endorseAll(orgs: string[]): Promise<boolean> {
        const results = await Promise.all(orgs.map((org) => this.#endorseOne(org)));
        return results.every(Boolean);
    }

    async #endorseOne(org: string): Promise<boolean> {
        if (org !== this.referenceOrg) return this.#endorseOnce(org);
        try {
            return await this.#endorseOnce(org);
        } finally {
            this.#referenceDone();
        }
    }

    async #endorseOnce(org: string): Promise<boolean> {
        const endorser = this.registry.endorser(org);
        if (!endorser) {
            this.failed.add(org);
            this.details.push(errorDetail('', org, `no endorsing peer for org ${org}`));
            return false;
        }
        for (let attempt = 1; ; attempt++) {
            const outcome = await endorser.processProposal(this.sp, this.timeoutMs);
            const st = responseStatus(outcome.response, outcome.error);
            if (st.code !== Code.OK) {
                this.log.warn('endorse call to endorser failed', { endorser: org, address: endorser.address, error: st.message });
                if (st.remove) this.registry.markFailed(org);
                this.failed.add(org);
                this.details.push(errorDetail(endorser.address, org, st.message));
                return false;
            }
            this.registry.markHealthy(org);
            const response = outcome.response!;
            // The chaincode's answer is in the payload already; the duplicate in Response is dropped.
            response.getResponse()?.setPayload(new Uint8Array(0));
            const payload = response.getPayload_asU8();
            if (org !== this.referenceOrg) await this.#referenceAnswered;
            if (this.responsePayload === undefined) {
                this.responsePayload = payload;
                this.#firstOrg = org;
            } else if (!Buffer.from(this.responsePayload).equals(Buffer.from(payload))) {
                const diff = describePayloadDifference(this.responsePayload, payload);
                // Most often a peer a block behind the local one (a client that just saw its previous
                // transaction commit on its own peer); there is no gossip to tell heights, so the
                // peer is asked once more a moment later. Nondeterministic chaincode fails again.
                if (attempt <= MISMATCH_RETRY_DELAYS_MS.length) {
                    this.log.info('proposal response differs, asking the endorser again', {
                        initialEndorser: this.#firstOrg,
                        invokedEndorser: org,
                    });
                    await new Promise((r) => setTimeout(r, MISMATCH_RETRY_DELAYS_MS[attempt - 1]));
                    continue;
                }
                const first = this.registry.endorser(this.#firstOrg!)!;
                const why = 'the chaincode is not deterministic, or a peer is behind the others';
                const sentence = `ProposalResponsePayloads do not match (${diff.what}; ${why}): ${this.#firstOrg} (${first.address}) returned ${diff.first}; ${org} (${endorser.address}) returned ${diff.second}`;
                this.log.warn('proposal response payloads do not match', {
                    initialEndorser: this.#firstOrg,
                    invokedEndorser: org,
                    difference: diff.what,
                });
                this.mismatch ??= sentence;
                this.failed.add(org);
                this.details.push(errorDetail(endorser.address, org, sentence));
                return false;
            }
            this.#responses.set(org, response);
            this.endorsed.add(org);
            return true;
        }
    }
}

// ---------------------------------------------------------------- gRPC service

function toServiceError(err: unknown): Partial<grpc.StatusObject> & Error {
    if (err instanceof RpcError) return err.toServiceError();
    const message = err instanceof Error ? err.message : String(err);
    return Object.assign(new Error(message), { code: Code.INTERNAL, details: message });
}

function unary<Req, Res>(
    handler: (req: Req, signal: AbortSignal) => Promise<Res>,
    log: Logger,
    method: string,
): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
        const abort = new AbortController();
        // grpc-js reports 'cancelled' at the close of every call, answered ones too; aborting then
        // would build an AbortError (a DOMException with its stack) for nothing, per call.
        let settled = false;
        call.on('cancelled', () => {
            if (!settled) abort.abort();
        });
        handler(call.request, abort.signal).then(
            (res) => {
                settled = true;
                callback(null, res);
            },
            (err) => {
                settled = true;
                if (!(err instanceof RpcError)) log.error('gateway call failed unexpectedly', { method, error: err });
                callback(toServiceError(err));
            },
        );
    };
}

/** The gateway.Gateway service implementation for grpc.Server.addService(gateway.GatewayService, ...). */
export function gatewayService(gw: GatewayServer, logger: Logger = silentLogger): grpc.UntypedServiceImplementation {
    const log = logger.child({ component: 'gateway' });
    const chaincodeEvents: grpc.handleServerStreamingCall<gateway.SignedChaincodeEventsRequest, gateway.ChaincodeEventsResponse> = (
        call,
    ) => {
        const abort = new AbortController();
        call.on('cancelled', () => abort.abort());
        call.on('close', () => abort.abort());
        const sink: EventSink = {
            signal: abort.signal,
            write: (response) =>
                new Promise<void>((resolve) => {
                    if (call.write(response)) resolve();
                    else call.once('drain', () => resolve());
                }),
        };
        gw.chaincodeEvents(call.request, sink).then(
            () => {
                if (!abort.signal.aborted) call.end();
            },
            (err) => {
                if (abort.signal.aborted) return;
                if (!(err instanceof RpcError)) log.error('chaincode events stream failed', { error: err });
                call.emit('error', toServiceError(err));
            },
        );
    };
    return {
        evaluate: unary<gateway.EvaluateRequest, gateway.EvaluateResponse>((r) => gw.evaluate(r), log, 'Evaluate'),
        endorse: unary<gateway.EndorseRequest, gateway.EndorseResponse>((r) => gw.endorse(r), log, 'Endorse'),
        submit: unary<gateway.SubmitRequest, gateway.SubmitResponse>((r) => gw.submit(r), log, 'Submit'),
        commitStatus: unary<gateway.SignedCommitStatusRequest, gateway.CommitStatusResponse>(
            (r, s) => gw.commitStatus(r, s),
            log,
            'CommitStatus',
        ),
        chaincodeEvents,
    };
}
