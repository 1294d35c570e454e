// Fabric policies: signature policies (the cauthdsl language
// "OR('SeoulMSP.peer', AND(...))", OutOf) and implicit meta policies ("MAJORITY Endorsement"),
// evaluated against signed data the way common/policies and common/cauthdsl do: each signature
// verified, each identity used at most once.
import { common, msp } from '@hyperledger/fabric-protos';
import { MspError, MspManager, VerifiedIdentity } from '../msp/msp';

/** One signature over data by a serialized identity (Fabric's protoutil.SignedData). */
export interface SignedData {
    identity: Uint8Array;
    data: Uint8Array;
    signature: Uint8Array;
}

export interface PolicyResult {
    ok: boolean;
    /** Why it failed, for logs and error details. */
    reason?: string;
    /** Identities whose signature verified. */
    signers: VerifiedIdentity[];
    /** Fabric's own words for the failure ("implicit policy evaluation failed - 2 sub-policies were satisfied, ..."). */
    fabricReason?: string;
}

/** Stable codes: POLICY_SYNTAX (bad policy text), POLICY_INVALID (bad policy structure), POLICY_NOT_FOUND (no policy at a path). */
export class PolicyError extends Error {
    constructor(
        readonly code: string,
        message: string,
    ) {
        super(`${code}: ${message}`);
        this.name = 'PolicyError';
    }
}

const ROLE_NAMES = ['member', 'admin', 'client', 'peer', 'orderer'] as const;
type RoleName = (typeof ROLE_NAMES)[number];
const ROLE_CODE: Record<RoleName, number> = {
    member: msp.MSPRole.MSPRoleType.MEMBER,
    admin: msp.MSPRole.MSPRoleType.ADMIN,
    client: msp.MSPRole.MSPRoleType.CLIENT,
    peer: msp.MSPRole.MSPRoleType.PEER,
    orderer: msp.MSPRole.MSPRoleType.ORDERER,
};
const PRINCIPAL_RE = /^([A-Za-z0-9.-]+)\.(admin|member|client|peer|orderer)$/;
const MAX_POLICY_TEXT = 8192;
const MAX_DEPTH = 32;

// ---- parsing the signature policy language ----

type Token = { kind: 'ident' | 'string' | 'number' | 'punct'; text: string; pos: number };

function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let i = 0;
    while (i < text.length) {
        const c = text[i];
        if (/\s/.test(c)) {
            i++;
        } else if (c === '(' || c === ')' || c === ',') {
            tokens.push({ kind: 'punct', text: c, pos: i++ });
        } else if (c === "'" || c === '"') {
            const end = text.indexOf(c, i + 1);
            if (end < 0) throw new PolicyError('POLICY_SYNTAX', `unterminated string at position ${i}`);
            tokens.push({ kind: 'string', text: text.slice(i + 1, end), pos: i });
            i = end + 1;
        } else if (/[0-9]/.test(c)) {
            const m = /^[0-9]+/.exec(text.slice(i))![0];
            tokens.push({ kind: 'number', text: m, pos: i });
            i += m.length;
        } else if (/[A-Za-z_]/.test(c)) {
            const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i))![0];
            tokens.push({ kind: 'ident', text: m, pos: i });
            i += m.length;
        } else {
            throw new PolicyError('POLICY_SYNTAX', `unexpected character ${JSON.stringify(c)} at position ${i}`);
        }
    }
    return tokens;
}

type Node = { gate: { n: number; args: Node[] } } | { principal: { mspId: string; role: RoleName } };

/** Gate names as Fabric's policydsl accepts them: And/and/AND, Or/or/OR, OutOf/outof/OUTOF. */
function gateKind(name: string): 'and' | 'or' | 'outof' | undefined {
    for (const g of ['And', 'Or', 'OutOf']) {
        if (name === g || name === g.toLowerCase() || name === g.toUpperCase()) return g.toLowerCase() as 'and' | 'or' | 'outof';
    }
    return undefined;
}

function parseTokens(tokens: Token[]): Node {
    let p = 0;
    const peek = () => tokens[p];
    const expect = (text: string) => {
        const t = tokens[p];
        if (t?.kind !== 'punct' || t.text !== text) {
            throw new PolicyError(
                'POLICY_SYNTAX',
                `expected '${text}' ${t ? `at position ${t.pos}, found ${JSON.stringify(t.text)}` : 'at the end'}`,
            );
        }
        p++;
    };
    const principal = (t: Token): Node => {
        const m = PRINCIPAL_RE.exec(t.text);
        if (!m)
            throw new PolicyError(
                'POLICY_SYNTAX',
                `principal ${JSON.stringify(t.text)} at position ${t.pos} must look like 'MSPID.member|admin|client|peer|orderer'`,
            );
        return { principal: { mspId: m[1], role: m[2] as RoleName } };
    };
    const gate = (depth: number): Node => {
        if (depth > MAX_DEPTH) throw new PolicyError('POLICY_SYNTAX', `policy nests deeper than ${MAX_DEPTH} levels`);
        const t = tokens[p];
        if (!t) throw new PolicyError('POLICY_SYNTAX', 'empty policy');
        const kind = t.kind === 'ident' ? gateKind(t.text) : undefined;
        if (!kind)
            throw new PolicyError(
                'POLICY_SYNTAX',
                `unrecognized token ${JSON.stringify(t.text)} at position ${t.pos}: expected AND, OR or OutOf`,
            );
        p++;
        expect('(');
        let n: number | undefined;
        if (kind === 'outof') {
            const nt = tokens[p];
            if (nt?.kind !== 'number') throw new PolicyError('POLICY_SYNTAX', `OutOf at position ${t.pos} must start with a number`);
            n = Number(nt.text);
            p++;
            expect(',');
        }
        const args: Node[] = [];
        for (;;) {
            const a = peek();
            if (!a) throw new PolicyError('POLICY_SYNTAX', `unterminated ${t.text}(`);
            if (a.kind === 'string') {
                args.push(principal(a));
                p++;
            } else if (a.kind === 'ident') {
                args.push(gate(depth + 1));
            } else {
                throw new PolicyError(
                    'POLICY_SYNTAX',
                    `unexpected ${JSON.stringify(a.text)} at position ${a.pos}: expected a principal or a gate`,
                );
            }
            const sep = peek();
            if (sep?.kind === 'punct' && sep.text === ',') {
                p++;
                continue;
            }
            expect(')');
            break;
        }
        const count = kind === 'and' ? args.length : kind === 'or' ? 1 : n!;
        // Fabric permits t == n+1 (never satisfiable) but nothing beyond.
        if (count > args.length + 1)
            throw new PolicyError('POLICY_SYNTAX', `OutOf(${count}, ...) at position ${t.pos} names only ${args.length} rules`);
        return { gate: { n: count, args } };
    };
    const root = gate(0);
    if (p !== tokens.length)
        throw new PolicyError(
            'POLICY_SYNTAX',
            `unexpected ${JSON.stringify(tokens[p].text)} at position ${tokens[p].pos} after the policy`,
        );
    return root;
}

/** Parses "OR('A.member','B.peer')", "AND(...)", "OutOf(2, ...)". Throws on bad syntax. */
export function parseSignaturePolicy(text: string): common.SignaturePolicyEnvelope {
    if (typeof text !== 'string' || text.trim() === '') throw new PolicyError('POLICY_SYNTAX', 'empty policy');
    if (text.length > MAX_POLICY_TEXT) throw new PolicyError('POLICY_SYNTAX', `policy text longer than ${MAX_POLICY_TEXT} characters`);
    const root = parseTokens(tokenize(text));
    const principals: msp.MSPPrincipal[] = [];
    // Principal indexes are numbered as Fabric's policydsl numbers them (nested gates first, then
    // the gate's own principals, left to right) so the envelope bytes match Fabric's.
    const build = (node: Node): common.SignaturePolicy => {
        if ('principal' in node) throw new Error('unreachable: principals are built by their gate');
        const rules = new Array<common.SignaturePolicy>(node.gate.args.length);
        node.gate.args.forEach((a, i) => {
            if ('gate' in a) rules[i] = build(a);
        });
        node.gate.args.forEach((a, i) => {
            if (!('principal' in a)) return;
            const role = new msp.MSPRole();
            role.setMspIdentifier(a.principal.mspId);
            role.setRole(ROLE_CODE[a.principal.role] as msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]);
            const principal = new msp.MSPPrincipal();
            principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
            principal.setPrincipal(role.serializeBinary());
            const signedBy = new common.SignaturePolicy();
            signedBy.setSignedBy(principals.length);
            principals.push(principal);
            rules[i] = signedBy;
        });
        const nOutOf = new common.SignaturePolicy.NOutOf();
        nOutOf.setN(node.gate.n);
        nOutOf.setRulesList(rules);
        const policy = new common.SignaturePolicy();
        policy.setNOutOf(nOutOf);
        return policy;
    };
    const envelope = new common.SignaturePolicyEnvelope();
    envelope.setVersion(0);
    envelope.setRule(build(root));
    envelope.setIdentitiesList(principals);
    return envelope;
}

// ---- evaluating signature policies ----

type Matcher = (id: VerifiedIdentity) => boolean;
type Gate = (ids: VerifiedIdentity[], used: boolean[]) => boolean;

interface CompiledSignaturePolicy {
    gate: Gate;
    /** MSP ids the policy names (for orgLayouts). */
    mspIds: string[];
}

function principalMatcher(p: msp.MSPPrincipal, mspIds: Set<string>): Matcher {
    const bytes = p.getPrincipal_asU8();
    try {
        switch (p.getPrincipalClassification()) {
            case msp.MSPPrincipal.Classification.ROLE: {
                const r = msp.MSPRole.deserializeBinary(bytes);
                const mspId = r.getMspIdentifier();
                mspIds.add(mspId);
                const role = ROLE_NAMES.find((n) => ROLE_CODE[n] === r.getRole());
                if (!role) return () => false;
                // member: any valid identity of the MSP; the other roles: its NodeOU role.
                return role === 'member' ? (id) => id.mspId === mspId : (id) => id.mspId === mspId && id.role === role;
            }
            case msp.MSPPrincipal.Classification.ORGANIZATION_UNIT: {
                const ou = msp.OrganizationUnit.deserializeBinary(bytes);
                const mspId = ou.getMspIdentifier();
                mspIds.add(mspId);
                const want = `OU=${ou.getOrganizationalUnitIdentifier()}`;
                return (id) => id.mspId === mspId && id.subject.split(',').includes(want);
            }
            case msp.MSPPrincipal.Classification.IDENTITY: {
                const sid = msp.SerializedIdentity.deserializeBinary(bytes);
                const mspId = sid.getMspid();
                const pem = Buffer.from(sid.getIdBytes_asU8()).toString('utf8').trim();
                return (id) => id.mspId === mspId && id.certificatePem.trim() === pem;
            }
            default:
                return () => false;
        }
    } catch (e) {
        throw new PolicyError('POLICY_INVALID', `unreadable principal: ${(e as Error).message}`);
    }
}

function compileSignaturePolicy(envelope: common.SignaturePolicyEnvelope): CompiledSignaturePolicy {
    const mspIds = new Set<string>();
    const matchers = envelope.getIdentitiesList().map((p) => principalMatcher(p, mspIds));
    const compile = (rule: common.SignaturePolicy | undefined, depth: number): Gate => {
        if (!rule) throw new PolicyError('POLICY_INVALID', 'empty policy element');
        if (depth > MAX_DEPTH) throw new PolicyError('POLICY_INVALID', `policy nests deeper than ${MAX_DEPTH} levels`);
        switch (rule.getTypeCase()) {
            case common.SignaturePolicy.TypeCase.SIGNED_BY: {
                const index = rule.getSignedBy();
                const matches = matchers[index];
                if (!matches)
                    throw new PolicyError('POLICY_INVALID', `identity index ${index} out of range (${matchers.length} identities)`);
                // The first unused identity that satisfies the principal is consumed.
                return (ids, used) => {
                    for (let i = 0; i < ids.length; i++) {
                        if (!used[i] && matches(ids[i])) {
                            used[i] = true;
                            return true;
                        }
                    }
                    return false;
                };
            }
            case common.SignaturePolicy.TypeCase.N_OUT_OF: {
                const nOutOf = rule.getNOutOf()!;
                const n = nOutOf.getN();
                const rules = nOutOf.getRulesList().map((r) => compile(r, depth + 1));
                // As cauthdsl: each rule tries on a copy of `used`; a rule that succeeds keeps what it consumed.
                return (ids, used) => {
                    let verified = 0;
                    const scratch = new Array<boolean>(used.length);
                    for (const r of rules) {
                        for (let i = 0; i < used.length; i++) scratch[i] = used[i];
                        if (r(ids, scratch)) {
                            verified++;
                            for (let i = 0; i < used.length; i++) used[i] = scratch[i];
                        }
                    }
                    return verified >= n;
                };
            }
            default:
                throw new PolicyError('POLICY_INVALID', 'signature policy rule is neither signed_by nor n_out_of');
        }
    };
    return { gate: compile(envelope.getRule(), 0), mspIds: [...mspIds] };
}

const compiledEnvelopes = new WeakMap<common.SignaturePolicyEnvelope, CompiledSignaturePolicy>();

function compiledEnvelope(envelope: common.SignaturePolicyEnvelope): CompiledSignaturePolicy {
    let c = compiledEnvelopes.get(envelope);
    if (!c) {
        c = compileSignaturePolicy(envelope);
        compiledEnvelopes.set(envelope, c);
    }
    return c;
}

/** The same identity signing twice counts once (Fabric de-duplicates by MSP id and certificate). */
function dedupe(identities: VerifiedIdentity[]): VerifiedIdentity[] {
    const seen = new Set<string>();
    return identities.filter((id) => {
        const key = `${id.mspId}\n${id.certificatePem.trim()}`;
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
    });
}

/** Evaluates a signature policy on already-verified identities (no signature checks). */
export function satisfiesSignaturePolicy(policy: common.SignaturePolicyEnvelope, identities: VerifiedIdentity[]): boolean {
    const ids = dedupe(identities);
    return compiledEnvelope(policy).gate(ids, new Array<boolean>(ids.length).fill(false));
}

// ---- channel policies ----

interface Evaluator {
    /** For messages: the path or the text of the policy. */
    name: string;
    evaluate(ids: VerifiedIdentity[]): boolean;
    /** MSP ids that can contribute to satisfying the policy. */
    mspIds(): string[];
    /** Why `ids` do not satisfy it, in the words of Fabric's common/policies and cauthdsl. */
    explain(ids: VerifiedIdentity[]): string;
}

const IMPLICIT_META_RE = /^(ANY|ALL|MAJORITY)\s+([A-Za-z0-9_.-]+)$/;
const RULE_NAMES: Record<number, string> = {
    [common.ImplicitMetaPolicy.Rule.ANY]: 'ANY',
    [common.ImplicitMetaPolicy.Rule.ALL]: 'ALL',
    [common.ImplicitMetaPolicy.Rule.MAJORITY]: 'MAJORITY',
};

function signatureEvaluator(name: string, envelope: common.SignaturePolicyEnvelope): Evaluator {
    const c = compiledEnvelope(envelope);
    return {
        name,
        evaluate: (ids) => c.gate(ids, new Array<boolean>(ids.length).fill(false)),
        mspIds: () => c.mspIds,
        explain: () => 'signature set did not satisfy policy',
    };
}

const REJECT = (name: string): Evaluator => ({
    name,
    evaluate: () => false,
    mspIds: () => [],
    explain: () => `no such policy: '${name}'`,
});

/**
 * Channel policies by path (/Channel/Application/Writers, /Channel/Application/SeoulMSP/Endorsement,
 * /Channel/Orderer/BlockValidation, ...), resolving implicit meta policies over sub-groups.
 */
export class PolicyManager {
    readonly #policies: Map<string, common.Policy>;
    readonly #msps: MspManager;
    readonly #byPath = new Map<string, Evaluator>();
    readonly #byText = new Map<string, Evaluator>();

    constructor(policies: Map<string, common.Policy>, msps: MspManager) {
        this.#policies = policies;
        this.#msps = msps;
    }

    /** A policy by absolute path; or, for "MAJORITY Endorsement" style text, the implicit meta over /Channel/Application. */
    evaluate(policy: string | common.SignaturePolicyEnvelope, signedData: SignedData[], at?: Date): PolicyResult {
        const evaluator = this.#resolve(policy);
        const signers: VerifiedIdentity[] = [];
        const ignored: string[] = [];
        const seen = new Set<string>();
        for (const [i, sd] of signedData.entries()) {
            // De-duplicate on the creator bytes before verifying, so a repeated identity costs nothing.
            const key = Buffer.from(sd.identity).toString('latin1');
            if (seen.has(key)) {
                ignored.push(`#${i}: duplicate identity`);
                continue;
            }
            try {
                signers.push(this.#msps.verify(sd.identity, sd.data, sd.signature, at));
                seen.add(key);
            } catch (e) {
                // As Fabric: an invalid signature is ignored, the policy decides whether the rest suffice.
                ignored.push(`#${i}: ${e instanceof MspError ? e.message : String(e)}`);
            }
        }
        const ids = dedupe(signers);
        if (evaluator.evaluate(ids)) return { ok: true, signers: ids };
        const who = ids.map((id) => `${id.mspId}/${id.role}`).join(', ') || 'none';
        const reason =
            `POLICY_NOT_SATISFIED: ${evaluator.name} is not satisfied by the valid signatures of [${who}]` +
            (ignored.length > 0 ? `; ignored signatures: ${ignored.join('; ')}` : '');
        return { ok: false, reason, signers: ids, fabricReason: evaluator.explain(ids) };
    }

    /** Same, on identities already verified (e.g. endorsers checked once by the validator). */
    evaluateIdentities(policy: string | common.SignaturePolicyEnvelope, identities: VerifiedIdentity[]): boolean {
        return this.#resolve(policy).evaluate(dedupe(identities));
    }

    /**
     * Which sets of application orgs satisfy the policy, smallest first (used to plan endorsements).
     * Each org is assumed to contribute one endorsement by a peer (a valid identity with the peer
     * role): a set is listed when those endorsements satisfy the policy and no smaller listed set is
     * part of it.
     */
    orgLayouts(policy: string | common.SignaturePolicyEnvelope): string[][] {
        const evaluator = this.#resolve(policy);
        const candidates = [...new Set(evaluator.mspIds())];
        if (candidates.length > 20)
            throw new PolicyError('POLICY_INVALID', `policy names ${candidates.length} orgs; layouts are computed for at most 20`);
        const peer = (mspId: string): VerifiedIdentity => ({
            mspId,
            certificatePem: `layout:${mspId}`,
            role: 'peer',
            subject: `CN=peer,OU=peer`,
            attrs: {},
        });
        const layouts: string[][] = [];
        const found: number[] = [];
        const count = candidates.length;
        const masks: number[] = [];
        for (let mask = 1; mask < 1 << count; mask++) masks.push(mask);
        const bits = (m: number) => {
            let c = 0;
            for (let x = m; x; x &= x - 1) c++;
            return c;
        };
        masks.sort((a, b) => bits(a) - bits(b) || a - b);
        for (const mask of masks) {
            if (found.some((f) => (f & mask) === f)) continue;
            const orgs = candidates.filter((_, i) => mask & (1 << i));
            if (evaluator.evaluate(orgs.map(peer))) {
                found.push(mask);
                layouts.push(orgs);
            }
        }
        return layouts;
    }

    #resolve(policy: string | common.SignaturePolicyEnvelope): Evaluator {
        if (typeof policy !== 'string') return signatureEvaluator('signature policy', policy);
        const text = policy.trim();
        if (text.startsWith('/')) return this.#atPath(text, 0);
        let e = this.#byText.get(text);
        if (!e) {
            const meta = IMPLICIT_META_RE.exec(text);
            if (meta) {
                e = this.#implicitMeta(`${text} (/Channel/Application)`, '/Channel/Application', meta[1], meta[2], 0);
            } else if (text.includes('(')) {
                e = signatureEvaluator(text, parseSignaturePolicy(text));
            } else if (/^[A-Za-z0-9_.-]+$/.test(text)) {
                // A bare policy name is relative to the application group, as channelConfigPolicy references are.
                return this.#atPath(`/Channel/Application/${text}`, 0);
            } else {
                throw new PolicyError(
                    'POLICY_SYNTAX',
                    `${JSON.stringify(text)} is neither a policy path, "ANY|ALL|MAJORITY <name>" nor a signature policy`,
                );
            }
            this.#byText.set(text, e);
        }
        return e;
    }

    #atPath(policyPath: string, depth: number): Evaluator {
        const cached = this.#byPath.get(policyPath);
        if (cached) return cached;
        if (depth > MAX_DEPTH)
            throw new PolicyError('POLICY_INVALID', `implicit meta policies nest deeper than ${MAX_DEPTH} levels at ${policyPath}`);
        const policy = this.#policies.get(policyPath);
        if (!policy) throw new PolicyError('POLICY_NOT_FOUND', `no policy at ${policyPath}`);
        let e: Evaluator;
        try {
            switch (policy.getType()) {
                case common.Policy.PolicyType.SIGNATURE:
                    e = signatureEvaluator(policyPath, common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8()));
                    break;
                case common.Policy.PolicyType.IMPLICIT_META: {
                    const meta = common.ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
                    const rule = RULE_NAMES[meta.getRule()];
                    if (!rule) throw new PolicyError('POLICY_INVALID', `${policyPath}: unknown implicit meta rule ${meta.getRule()}`);
                    const group = policyPath.slice(0, policyPath.lastIndexOf('/'));
                    e = this.#implicitMeta(policyPath, group, rule, meta.getSubPolicy(), depth);
                    break;
                }
                default:
                    throw new PolicyError('POLICY_INVALID', `${policyPath}: unsupported policy type ${policy.getType()}`);
            }
        } catch (err) {
            if (err instanceof PolicyError) throw err;
            throw new PolicyError('POLICY_INVALID', `${policyPath}: ${(err as Error).message}`);
        }
        this.#byPath.set(policyPath, e);
        return e;
    }

    /** The direct sub-groups of a config group, from the paths of the policies they hold. */
    #subGroups(group: string): string[] {
        const prefix = `${group}/`;
        const groups = new Set<string>();
        for (const p of this.#policies.keys()) {
            if (!p.startsWith(prefix)) continue;
            const rest = p.slice(prefix.length);
            const slash = rest.indexOf('/');
            if (slash > 0) groups.add(rest.slice(0, slash));
        }
        return [...groups].sort();
    }

    #implicitMeta(name: string, group: string, rule: string, subPolicy: string, depth: number): Evaluator {
        // Fabric would count zero sub-groups as satisfied; a group absent from the config is a mistake, not consent.
        if (![...this.#policies.keys()].some((p) => p.startsWith(`${group}/`))) {
            throw new PolicyError('POLICY_NOT_FOUND', `${name}: the channel config has no group ${group}`);
        }
        const subs = this.#subGroups(group).map((g) => {
            const p = `${group}/${g}/${subPolicy}`;
            // A sub-group without the named policy counts as an unsatisfied one, as in Fabric.
            return this.#policies.has(p) ? this.#atPath(p, depth + 1) : REJECT(p);
        });
        const threshold = subs.length === 0 ? 0 : rule === 'ANY' ? 1 : rule === 'ALL' ? subs.length : Math.floor(subs.length / 2) + 1;
        return {
            name,
            evaluate: (ids) => {
                let remaining = threshold;
                for (const s of subs) {
                    if (remaining === 0) break;
                    if (s.evaluate(ids)) remaining--;
                }
                return remaining === 0;
            },
            mspIds: () => [...new Set(subs.flatMap((s) => s.mspIds()))],
            explain: (ids) =>
                `implicit policy evaluation failed - ${subs.filter((s) => s.evaluate(ids)).length} sub-policies were satisfied, ` +
                `but this policy requires ${threshold} of the '${subPolicy}' sub-policies to be satisfied`,
        };
    }
}
