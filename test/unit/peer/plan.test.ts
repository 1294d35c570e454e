import { expect } from 'chai';
import {
    chooseLayouts,
    collectionMembers,
    interestFromResults,
    interestOf,
    PlanError,
    requirements,
    InterestCall,
} from '../../../network/devnet/peer/gateway/plan';
import { parseSignaturePolicy } from '../../../network/devnet/common/policies';
import { ORGS, citizencard, layoutOracle, proposalResponse } from './fakes';

const defs = (n: string) => (n === 'citizencard' ? citizencard : undefined);
const parse = (t: string) => parseSignaturePolicy(t);
const oracle = layoutOracle();

describe('peer gateway: endorsement planning', () => {
    it('Given MAJORITY of 4 orgs, When nothing is endorsed yet, Then the layouts are the four sets of 3', () => {
        const req = requirements([{ chaincode: 'citizencard', collections: [], noPrivateReads: true }], defs, false, parse);
        const layouts = chooseLayouts(req, oracle, ORGS);
        expect(layouts).to.have.length(4);
        expect(layouts.every((l) => l.length === 3)).to.equal(true);
    });

    it('Given the local org endorsed, Then layouts with it come first; a recently failed org goes last', () => {
        const req = requirements([{ chaincode: 'citizencard', collections: [], noPrivateReads: true }], defs, false, parse);
        const layouts = chooseLayouts(req, oracle, ORGS, new Set(['SeoulMSP']), (o) => (o === 'MOISMSP' ? 1 : 0));
        expect(layouts[0]).to.deep.equal(['SeoulMSP', 'MOHWMSP', 'AuditMSP']);
        expect(layouts.slice(0, 1).every((l) => l.includes('SeoulMSP'))).to.equal(true);
        expect(layouts[layouts.length - 1]).to.include('MOISMSP');
    });

    it('Given a write to the issuer-only collection with its own policy, Then the issuer alone endorses (transient or not)', () => {
        const calls: InterestCall[] = [{ chaincode: 'citizencard', collections: ['personalData'], noPrivateReads: true }];
        for (const transient of [false, true]) {
            const req = requirements(calls, defs, transient, parse);
            expect(req.policies.map((p) => p.text)).to.deep.equal(["OR('SeoulMSP.peer')"]);
            expect(chooseLayouts(req, oracle, ORGS)).to.deep.equal([['SeoulMSP']]);
        }
    });

    it("Given writes to two orgs' implicit collections, Then discovery's view applies: one member of each org endorses, and with transient data only those orgs", () => {
        const calls: InterestCall[] = [
            { chaincode: 'citizencard', collections: ['_implicit_org_MOISMSP'], noPrivateReads: true },
            { chaincode: 'citizencard', collections: ['_implicit_org_AuditMSP'], noPrivateReads: true },
        ];
        for (const transient of [false, true]) {
            const req = requirements(calls, defs, transient, parse);
            expect(req.policies.map((p) => p.text)).to.deep.equal(["OR('MOISMSP.member')", "OR('AuditMSP.member')"]);
            expect(chooseLayouts(req, oracle, ORGS)).to.deep.equal(transient ? [] : [['MOISMSP', 'AuditMSP']]);
        }
        // One org's own implicit collection with transient data: that org alone.
        const own = requirements([calls[0]], defs, true, parse);
        expect([...own.allowedOrgs!]).to.deep.equal(['MOISMSP']);
        expect(chooseLayouts(own, oracle, ORGS)).to.deep.equal([['MOISMSP']]);
    });

    it('Given public writes and an issuer-only collection write with transient data, Then no layout exists and the collection is reported as protected', () => {
        const calls: InterestCall[] = [
            { chaincode: 'citizencard', collections: [], noPrivateReads: true },
            { chaincode: 'citizencard', collections: ['personalData'], noPrivateReads: true },
        ];
        const req = requirements(calls, defs, true, parse);
        expect([...req.allowedOrgs!]).to.deep.equal(['SeoulMSP']);
        expect(req.protectedCollections).to.deep.equal(['personalData']);
        expect(chooseLayouts(req, oracle, ORGS)).to.deep.equal([]);
        // Without transient data the same writes need MAJORITY and the issuer.
        const open = requirements(calls, defs, false, parse);
        const layouts = chooseLayouts(open, oracle, ORGS);
        expect(layouts).to.have.length(3);
        expect(layouts.every((l) => l.includes('SeoulMSP') && l.length === 3)).to.equal(true);
    });

    it('Given a private read of a two-member collection without its own policy, Then only members may endorse and MAJORITY cannot be met', () => {
        const req = requirements(
            [{ chaincode: 'citizencard', collections: ['sharedNoPolicy'], noPrivateReads: false }],
            defs,
            false,
            parse,
        );
        expect([...req.allowedOrgs!].sort()).to.deep.equal(['MOHWMSP', 'SeoulMSP']);
        expect(req.policies.map((p) => p.text)).to.deep.equal(['MAJORITY Endorsement']);
        expect(chooseLayouts(req, oracle, ORGS)).to.deep.equal([]);
    });

    it('Given _lifecycle, Then the LifecycleEndorsement policy applies', () => {
        const req = requirements([{ chaincode: '_lifecycle', collections: [], noPrivateReads: true }], defs, false, parse);
        expect(req.policies.map((p) => p.text)).to.deep.equal(['/Channel/Application/LifecycleEndorsement']);
    });

    it('refuses an undefined chaincode and an unknown collection with stable codes', () => {
        expect(() => requirements([{ chaincode: 'nope', collections: [], noPrivateReads: true }], defs, false, parse))
            .to.throw(PlanError)
            .with.property('code', 'CHAINCODE_NOT_DEFINED');
        expect(() => requirements([{ chaincode: 'citizencard', collections: ['x'], noPrivateReads: true }], defs, false, parse))
            .to.throw(PlanError)
            .with.property('code', 'COLLECTION_NOT_DEFINED');
    });

    it('derives the interest from the read-write set when the endorser sent none', () => {
        const pr = proposalResponse('SeoulMSP', {
            writes: ['card1'],
            collections: { personalData: { writes: 1 }, sharedNoPolicy: { reads: 1 } },
        });
        expect(interestFromResults(pr)).to.deep.equal([
            { chaincode: 'citizencard', collections: ['personalData'], noPrivateReads: true },
            { chaincode: 'citizencard', collections: ['sharedNoPolicy'], noPrivateReads: false },
            { chaincode: 'citizencard', collections: [], noPrivateReads: true },
        ]);
        // A private-only write does not call for the chaincode policy.
        const onlyPrivate = proposalResponse('SeoulMSP', { collections: { personalData: { writes: 1 } } });
        expect(interestOf(onlyPrivate, 'citizencard')).to.deep.equal([
            { chaincode: 'citizencard', collections: ['personalData'], noPrivateReads: true },
        ]);
        // A read-only transaction needs the chaincode policy.
        expect(interestOf(proposalResponse('SeoulMSP'), 'citizencard')).to.deep.equal([
            { chaincode: 'citizencard', collections: [], noPrivateReads: true },
        ]);
    });

    it('reads collection members from the member policy', () => {
        expect(collectionMembers(citizencard.collections[1]).sort()).to.deep.equal(['MOHWMSP', 'SeoulMSP']);
    });
});
