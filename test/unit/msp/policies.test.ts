// Fabric policies: the signature policy language, cauthdsl evaluation (each identity used once),
// implicit meta policies over the channel's groups, and org layouts for endorsement planning.
import { expect } from 'chai';
import { common, msp } from '@hyperledger/fabric-protos';
import {
    parseSignaturePolicy,
    PolicyError,
    PolicyManager,
    satisfiesSignaturePolicy,
    SignedData,
} from '../../../network/devnet/common/policies';
import { buildGenesisBlock, parseChannelConfig } from '../../../network/devnet/common/configtx';
import { SigningIdentity } from '../../../network/devnet/msp/identity';
import { MspManager, VerifiedIdentity } from '../../../network/devnet/msp/msp';
import { mspFixture, MspFixture, thrown } from './fixture';

const ORGS = ['SeoulMSP', 'MOISMSP', 'MOHWMSP', 'AuditMSP'];

function signaturePolicy(text: string): common.Policy {
    const p = new common.Policy();
    p.setType(common.Policy.PolicyType.SIGNATURE);
    p.setValue(parseSignaturePolicy(text).serializeBinary());
    return p;
}

function implicitMeta(rule: 'ANY' | 'ALL' | 'MAJORITY', sub: string): common.Policy {
    const m = new common.ImplicitMetaPolicy();
    m.setRule(common.ImplicitMetaPolicy.Rule[rule]);
    m.setSubPolicy(sub);
    const p = new common.Policy();
    p.setType(common.Policy.PolicyType.IMPLICIT_META);
    p.setValue(m.serializeBinary());
    return p;
}

/** The policies configtxgen writes for our channel (Application part and the orderer org). */
function channelPolicies(): Map<string, common.Policy> {
    const map = new Map<string, common.Policy>();
    for (const org of ORGS) {
        map.set(`/Channel/Application/${org}/Readers`, signaturePolicy(`OR('${org}.member')`));
        map.set(`/Channel/Application/${org}/Writers`, signaturePolicy(`OR('${org}.member')`));
        map.set(`/Channel/Application/${org}/Admins`, signaturePolicy(`OR('${org}.admin')`));
        map.set(`/Channel/Application/${org}/Endorsement`, signaturePolicy(`OR('${org}.peer')`));
    }
    map.set('/Channel/Application/Readers', implicitMeta('ANY', 'Readers'));
    map.set('/Channel/Application/Writers', implicitMeta('ANY', 'Writers'));
    map.set('/Channel/Application/Admins', implicitMeta('MAJORITY', 'Admins'));
    map.set('/Channel/Application/Endorsement', implicitMeta('MAJORITY', 'Endorsement'));
    map.set('/Channel/Application/LifecycleEndorsement', implicitMeta('MAJORITY', 'Endorsement'));
    // Seoul operates the ordering node: in /Channel/Orderer only its ordering nodes write.
    map.set('/Channel/Orderer/SeoulMSP/Writers', signaturePolicy(`OR('SeoulMSP.orderer')`));
    map.set('/Channel/Orderer/Writers', implicitMeta('ANY', 'Writers'));
    map.set('/Channel/Orderer/BlockValidation', implicitMeta('ANY', 'Writers'));
    map.set('/Channel/Writers', implicitMeta('ANY', 'Writers'));
    return map;
}

const id = (mspId: string, role: VerifiedIdentity['role'], n = 0): VerifiedIdentity => ({
    mspId,
    role,
    certificatePem: `${mspId}-${role}-${n}`,
    subject: `CN=${role}${n},OU=${role}`,
    attrs: {},
});

describe('common/policies', () => {
    let f: MspFixture;
    let pm: PolicyManager;
    const data = Buffer.from('proposal response payload');
    const signed = (who: SigningIdentity, d: Uint8Array = data): SignedData => ({
        identity: who.serialize(),
        data: d,
        signature: who.sign(d),
    });

    before(async () => {
        f = await mspFixture();
        pm = new PolicyManager(channelPolicies(), f.msps);
    });

    describe('Given signature policy text', () => {
        it('When parsed, Then principals are numbered as Fabric numbers them (nested gates first)', () => {
            const env = parseSignaturePolicy("OR('SeoulMSP.member', AND('MOISMSP.peer', 'MOHWMSP.admin'))");
            const principals = env.getIdentitiesList().map((p) => {
                const r = msp.MSPRole.deserializeBinary(p.getPrincipal_asU8());
                return `${r.getMspIdentifier()}/${r.getRole()}`;
            });
            expect(principals).to.deep.equal([
                `MOISMSP/${msp.MSPRole.MSPRoleType.PEER}`,
                `MOHWMSP/${msp.MSPRole.MSPRoleType.ADMIN}`,
                `SeoulMSP/${msp.MSPRole.MSPRoleType.MEMBER}`,
            ]);
            const rule = env.getRule()!.getNOutOf()!;
            expect(rule.getN()).to.equal(1);
            expect(rule.getRulesList()[0].getSignedBy()).to.equal(2);
            expect(rule.getRulesList()[1].getNOutOf()!.getN()).to.equal(2);
        });

        it('When gates are written in any of the case forms Fabric accepts, Then they parse alike', () => {
            const a = parseSignaturePolicy("OutOf(2, 'A.member', 'B.member', 'C.member')").serializeBinary();
            expect(Buffer.from(parseSignaturePolicy('OUTOF(2,"A.member","B.member","C.member")').serializeBinary())).to.deep.equal(
                Buffer.from(a),
            );
            expect(parseSignaturePolicy("and('A.client')").getRule()!.getNOutOf()!.getN()).to.equal(1);
            expect(parseSignaturePolicy("Or('A.orderer', 'my.org-1.peer')").getIdentitiesList()).to.have.length(2);
        });

        const bad: [string, string][] = [
            ['', 'empty'],
            ['   ', 'blank'],
            ["OR('SeoulMSP.member'", 'unclosed'],
            ["OR('SeoulMSP.member'))", 'trailing parenthesis'],
            ["OR('SeoulMSP.superuser')", 'unknown role'],
            ["OR('SeoulMSP')", 'no role'],
            ['OR(SeoulMSP.member)', 'unquoted principal'],
            ["XOR('A.member')", 'unknown gate'],
            ['OR()', 'no arguments'],
            ["OutOf('A.member', 'B.member')", 'OutOf without a number'],
            ["OutOf(4, 'A.member', 'B.member')", 'threshold beyond n+1'],
            ["OR('A.member' 'B.member')", 'missing comma'],
            ["OR('A.member',)", 'trailing comma'],
            ["OR('A.member); DROP", 'unterminated string'],
            ["'A.member'", 'a bare principal'],
            ['OR('.repeat(40) + "'A.member'" + ')'.repeat(40), 'too deep'],
            ['MAJORITY Endorsement', 'implicit meta text'],
        ];
        for (const [text, what] of bad) {
            it(`When the text has ${what}, Then parsing refuses it with POLICY_SYNTAX`, () => {
                const e = thrown(() => parseSignaturePolicy(text));
                expect(e).to.be.instanceOf(PolicyError);
                expect(e.code).to.equal('POLICY_SYNTAX');
            });
        }
    });

    describe('Given identities already verified', () => {
        it('When AND names one org twice, Then one identity cannot satisfy both principals', () => {
            const env = parseSignaturePolicy("AND('SeoulMSP.member', 'SeoulMSP.member')");
            expect(satisfiesSignaturePolicy(env, [id('SeoulMSP', 'peer')])).to.equal(false);
            expect(satisfiesSignaturePolicy(env, [id('SeoulMSP', 'peer'), id('SeoulMSP', 'peer')])).to.equal(false);
            expect(satisfiesSignaturePolicy(env, [id('SeoulMSP', 'peer', 1), id('SeoulMSP', 'client', 2)])).to.equal(true);
        });

        it('When principals name roles, Then member matches any role and the others only their NodeOU role', () => {
            expect(satisfiesSignaturePolicy(parseSignaturePolicy("OR('SeoulMSP.member')"), [id('SeoulMSP', 'client')])).to.equal(true);
            expect(satisfiesSignaturePolicy(parseSignaturePolicy("OR('SeoulMSP.peer')"), [id('SeoulMSP', 'client')])).to.equal(false);
            expect(satisfiesSignaturePolicy(parseSignaturePolicy("OR('SeoulMSP.admin')"), [id('SeoulMSP', 'admin')])).to.equal(true);
            expect(satisfiesSignaturePolicy(parseSignaturePolicy("OR('SeoulMSP.orderer')"), [id('SeoulMSP', 'peer')])).to.equal(false);
            expect(satisfiesSignaturePolicy(parseSignaturePolicy("OR('SeoulMSP.member')"), [id('MOISMSP', 'peer')])).to.equal(false);
        });

        it('When OutOf(2) of three orgs is given two of them, Then it holds; one is not enough', () => {
            const env = parseSignaturePolicy("OutOf(2, 'SeoulMSP.peer', 'MOISMSP.peer', 'MOHWMSP.peer')");
            expect(satisfiesSignaturePolicy(env, [id('SeoulMSP', 'peer'), id('MOHWMSP', 'peer')])).to.equal(true);
            expect(satisfiesSignaturePolicy(env, [id('MOHWMSP', 'peer')])).to.equal(false);
            expect(satisfiesSignaturePolicy(env, [])).to.equal(false);
        });

        it('When the channel policy is MAJORITY Endorsement over 4 orgs, Then 3 peers satisfy it and 2 do not', () => {
            expect(
                pm.evaluateIdentities(
                    '/Channel/Application/Endorsement',
                    ORGS.slice(0, 3).map((o) => id(o, 'peer')),
                ),
            ).to.equal(true);
            expect(
                pm.evaluateIdentities('MAJORITY Endorsement', [id('AuditMSP', 'peer'), id('MOISMSP', 'peer'), id('SeoulMSP', 'peer')]),
            ).to.equal(true);
            expect(pm.evaluateIdentities('MAJORITY Endorsement', [id('SeoulMSP', 'peer'), id('MOISMSP', 'peer')])).to.equal(false);
            // Clients are members but not peers: the org Endorsement policies want peers.
            expect(
                pm.evaluateIdentities(
                    'MAJORITY Endorsement',
                    ORGS.map((o) => id(o, 'client')),
                ),
            ).to.equal(false);
            expect(
                pm.evaluateIdentities(
                    '/Channel/Application/LifecycleEndorsement',
                    ORGS.map((o) => id(o, 'peer')),
                ),
            ).to.equal(true);
        });

        it('When ANY and ALL rules resolve through nested groups, Then /Channel/Writers accepts any org member', () => {
            expect(pm.evaluateIdentities('/Channel/Writers', [id('AuditMSP', 'client')])).to.equal(true);
            expect(pm.evaluateIdentities('/Channel/Orderer/BlockValidation', [id('SeoulMSP', 'orderer')])).to.equal(true);
            // Another role of the operating org signs no block.
            expect(pm.evaluateIdentities('/Channel/Orderer/BlockValidation', [id('SeoulMSP', 'peer')])).to.equal(false);
            expect(pm.evaluateIdentities('/Channel/Orderer/BlockValidation', [id('SeoulMSP', 'client')])).to.equal(false);
            expect(pm.evaluateIdentities('/Channel/Orderer/BlockValidation', [id('MOHWMSP', 'orderer')])).to.equal(false);
            expect(
                pm.evaluateIdentities(
                    'ALL Readers',
                    ORGS.slice(1).map((o) => id(o, 'client')),
                ),
            ).to.equal(false);
            expect(
                pm.evaluateIdentities(
                    'ALL Readers',
                    ORGS.map((o) => id(o, 'client')),
                ),
            ).to.equal(true);
            expect(pm.evaluateIdentities('Writers', [id('SeoulMSP', 'client')])).to.equal(true);
        });

        it('When a policy is missing or its reference malformed, Then POLICY_NOT_FOUND or POLICY_SYNTAX', () => {
            expect(thrown(() => pm.evaluateIdentities('/Channel/Application/Nope', [])).code).to.equal('POLICY_NOT_FOUND');
            expect(thrown(() => pm.evaluateIdentities('SOME Endorsement', [])).code).to.equal('POLICY_SYNTAX');
            expect(thrown(() => pm.evaluateIdentities("OR('A.member'", [])).code).to.equal('POLICY_SYNTAX');
            expect(thrown(() => new PolicyManager(new Map(), f.msps).evaluateIdentities('MAJORITY Endorsement', [])).code).to.equal(
                'POLICY_NOT_FOUND',
            );
        });

        it('When a sub-group lacks the named policy, Then it counts as unsatisfied', () => {
            const map = channelPolicies();
            map.delete('/Channel/Application/AuditMSP/Endorsement');
            const partial = new PolicyManager(map, f.msps);
            // Still four groups, so MAJORITY needs three; Audit can no longer be one of them.
            expect(
                partial.evaluateIdentities(
                    'MAJORITY Endorsement',
                    ['SeoulMSP', 'MOISMSP', 'AuditMSP'].map((o) => id(o, 'peer')),
                ),
            ).to.equal(false);
            expect(
                partial.evaluateIdentities(
                    'MAJORITY Endorsement',
                    ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((o) => id(o, 'peer')),
                ),
            ).to.equal(true);
        });
    });

    describe('Given signed data', () => {
        it('When three org peers sign, Then MAJORITY Endorsement holds and the signers are reported', () => {
            const result = pm.evaluate(
                'MAJORITY Endorsement',
                ['SeoulMSP', 'MOISMSP', 'AuditMSP'].map((o) => signed(f.peer(o))),
            );
            expect(result.ok).to.equal(true);
            expect(result.signers.map((s) => s.mspId)).to.deep.equal(['SeoulMSP', 'MOISMSP', 'AuditMSP']);
        });

        it('When one of three signatures is tampered with, Then it is ignored, the policy fails and the reason says why', () => {
            const bad = signed(f.peer('MOHWMSP'));
            bad.data = Buffer.from('something else');
            const result = pm.evaluate('/Channel/Application/Endorsement', [signed(f.peer('SeoulMSP')), signed(f.peer('MOISMSP')), bad]);
            expect(result.ok).to.equal(false);
            expect(result.signers).to.have.length(2);
            expect(result.reason).to.match(/^POLICY_NOT_SATISFIED/);
            expect(result.reason).to.contain('BAD_SIGNATURE');
        });

        it('When the same peer signs twice, Then it counts once', () => {
            const seoul = signed(f.peer('SeoulMSP'));
            const result = pm.evaluate('MAJORITY Endorsement', [seoul, seoul, signed(f.peer('MOISMSP'))]);
            expect(result.ok).to.equal(false);
            expect(result.reason).to.contain('duplicate identity');
        });

        it('When an invalid identity is among valid ones, Then the valid ones still satisfy the policy', () => {
            const garbage: SignedData = { identity: Buffer.from([1, 2, 3]), data, signature: Buffer.from([4]) };
            const result = pm.evaluate("OR('MOHWMSP.client')", [garbage, signed(f.user('MOHWMSP', 'welfare'))]);
            expect(result.ok).to.equal(true);
            expect(result.signers[0].attrs.dept).to.equal('welfare');
        });

        it('When an admin signs, Then an Admins policy holds; a client of the same org does not satisfy it', () => {
            expect(pm.evaluate('/Channel/Application/SeoulMSP/Admins', [signed(f.user('SeoulMSP', 'Admin'))]).ok).to.equal(true);
            expect(pm.evaluate('/Channel/Application/SeoulMSP/Admins', [signed(f.user('SeoulMSP', 'User1'))]).ok).to.equal(false);
        });

        it('When the envelope comes as an object, Then it is evaluated the same', () => {
            const env = parseSignaturePolicy("AND('SeoulMSP.peer', 'MOISMSP.peer')");
            expect(pm.evaluate(env, [signed(f.peer('SeoulMSP')), signed(f.peer('MOISMSP'))]).ok).to.equal(true);
            expect(pm.evaluate(env, [signed(f.peer('SeoulMSP'))]).ok).to.equal(false);
        });
    });

    describe('Given endorsement planning', () => {
        it('When the policy is MAJORITY of 4, Then the layouts are the four sets of 3 orgs', () => {
            const layouts = pm.orgLayouts('MAJORITY Endorsement');
            expect(layouts).to.have.length(4);
            for (const l of layouts) expect(l).to.have.length(3);
            expect(new Set(layouts.map((l) => [...l].sort().join()))).to.have.property('size', 4);
        });

        it('When the policy mixes sizes, Then minimal sets come smallest first and supersets are left out', () => {
            const layouts = pm.orgLayouts(
                "OR('SeoulMSP.peer', AND('MOISMSP.peer', 'MOHWMSP.peer'), AND('SeoulMSP.member', 'AuditMSP.peer'))",
            );
            expect(layouts).to.deep.equal([['SeoulMSP'], ['MOISMSP', 'MOHWMSP']]);
        });

        it('When no peer can satisfy the policy, Then there is no layout', () => {
            expect(pm.orgLayouts("OR('SeoulMSP.admin')")).to.deep.equal([]);
        });
    });

    describe('Given the channel config configtx builds from the same crypto material', () => {
        it('When its policies and MSPs are used, Then MAJORITY Endorsement and Writers evaluate as above with its MSPs', () => {
            const config = parseChannelConfig(buildGenesisBlock(f.topology));
            const channelPm = new PolicyManager(config.policies, new MspManager(config.msps));
            const peers = (orgs: string[]) => orgs.map((o) => signed(f.peer(o)));
            expect(channelPm.evaluate('/Channel/Application/Endorsement', peers(['SeoulMSP', 'MOHWMSP', 'AuditMSP'])).ok).to.equal(true);
            expect(channelPm.evaluate('/Channel/Application/Endorsement', peers(['SeoulMSP', 'AuditMSP'])).ok).to.equal(false);
            expect(channelPm.evaluate('/Channel/Application/Writers', [signed(f.user('AuditMSP', 'auditor1'))]).ok).to.equal(true);
            expect(channelPm.orgLayouts('/Channel/Application/Endorsement')).to.have.length(4);
        });
    });
});
