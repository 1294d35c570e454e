import './quiet.js';
import { expect } from 'chai';
import { birthdayAtAge, daysBetween, seoulDate } from '../../../chaincode/model/calendar.js';
import {
    chainHash,
    lastMinorDay,
    minorityAnchors,
    minoritySeeds,
    ownToken,
    powerToken,
    verifyOwnToken,
    verifyPowerToken,
    type MinoritySeeds,
} from '../../../chaincode/model/minority.js';
import { signDocument, verifyDeviceSignature } from '../../../chaincode/model/signed.js';
import { CHANNEL_POLICY, MSP, PERSONAL_DATA_COLLECTION } from '../../../chaincode/model/vocabulary.js';
import { ISSUER_ONLY, TestNet, expectRefusal, newDevice, nonce, observedSubmits, samplePerson, type Device } from './harness.js';

// Issue 24, rule 1: legal representatives. A representative is a person with their own card and
// device key; the issuer records the representation (card ids only); consents and withdrawals for
// the represented citizen are signed by the representative's key and checked by every endorser;
// a child's representation ends on the 14th birthday, which is never on the public ledger (the
// minority's hash chains, model/minority.ts), and then the child's own key takes over.

interface Minority {
    startDate: string;
    powerAnchor: string;
    ownAnchor: string;
    status: string;
}
interface Page<T> {
    records: T[];
    bookmark: string;
}

const DAY = 86_400;
const CHILD_BIRTH = '2013-03-14'; // 13 on 2026-06-01; 14 on 2027-03-14 (Seoul), i.e. from 2027-03-13T15:00:00Z
const FOURTEENTH = Date.parse('2027-03-13T15:00:00.000Z');

describe('Legal representatives', () => {
    let net: TestNet;
    let parent: Device;
    let child: Device;
    let seeds: MinoritySeeds;
    let minority: Minority;
    const parentCard = 'card-parent';
    const childCard = 'card-child';
    const svc = 'svc-child-allowance';
    const purpose = 'child allowance eligibility';
    const rep = 'rep-0001';

    const prepare = (cardId: string, chainSeed: Uint8Array = Buffer.alloc(32, 7), peer: string = MSP.SEOUL) =>
        net.submit<Minority & { anchorHash: string }>(
            net.ids.issuer,
            'RepresentationContract:PrepareMinority',
            { cardId },
            { peers: [peer], transient: { chainSeed } },
        );
    const recordMinority = async (cardId: string, chainSeed: Uint8Array = Buffer.alloc(32, 7)) => {
        const p = await prepare(cardId, chainSeed);
        const { anchorHash: _h, cardId: _c, ...anchors } = p as Minority & { anchorHash: string; cardId: string };
        return net.submit<Minority>(net.ids.issuer, 'RepresentationContract:RecordMinority', { cardId, ...anchors });
    };
    const record = (extra: Record<string, unknown> = {}, who = net.ids.issuer) =>
        net.submit<Record<string, unknown>>(who, 'RepresentationContract:RecordRepresentation', {
            representationId: rep,
            representedCardId: childCard,
            representativeCardId: parentCard,
            basis: 'MINOR_UNDER_14',
            scope: ['consent', 'withdraw', 'viewLog', 'object'],
            ...extra,
        });
    const today = () => daysBetween(minority.startDate, seoulDate(new Date(net.now)));
    const token = (day = today()) => powerToken(seeds.powerSeed, minority.powerAnchor, day);
    const receipt = (extra: Record<string, unknown> = {}) => ({
        type: 'RepresentativeConsentReceipt',
        cardId: parentCard,
        representationId: rep,
        representedCardId: childCard,
        minorityToken: token(),
        serviceId: svc,
        recipientMspId: MSP.MOHW,
        purpose,
        items: ['name'],
        predicates: ['lowIncome'],
        retentionDays: 30,
        nonce: nonce(),
        issuedAt: net.iso(),
        ...extra,
    });
    const consentAs = (extra: Record<string, unknown> = {}, key = parent.privateKey) =>
        net.submit<Record<string, unknown> & { consentId: string }>(
            net.ids.citizen,
            'ConsentContract:GrantConsentAsRepresentative',
            signDocument(receipt(extra), key),
        );
    const withdrawAs = (consentId: string, extra: Record<string, unknown> = {}, key = parent.privateKey) =>
        net.submit<Record<string, unknown>>(
            net.ids.citizen,
            'ConsentContract:WithdrawConsentAsRepresentative',
            signDocument(
                {
                    type: 'RepresentativeConsentWithdrawal',
                    cardId: parentCard,
                    representationId: rep,
                    representedCardId: childCard,
                    minorityToken: token(),
                    consentId,
                    nonce: nonce(),
                    issuedAt: net.iso(),
                    ...extra,
                },
                key,
            ),
        );
    const childLog = () =>
        net.evaluate<Page<Record<string, unknown>>>(net.ids.citizen, 'AccessContract:ListMyAccessLog', {
            request: signDocument(
                { type: 'AccessLogListRequest', cardId: childCard, nonce: nonce(), issuedAt: net.iso() },
                child.privateKey,
            ),
            pageSize: 100,
        });
    const ownConsent = (device = child, cardId = childCard) =>
        net.submit(
            net.ids.citizen,
            'ConsentContract:GrantConsent',
            signDocument(net.consentReceipt(cardId, svc, MSP.MOHW, { purpose, predicates: ['lowIncome'] }), device.privateKey),
        );

    beforeEach(async () => {
        net = await TestNet.create();
        parent = newDevice();
        child = newDevice();
        await net.issueCard(
            parentCard,
            parent,
            samplePerson({ name: 'Kim Jiwoo', birthDate: '1985-07-02', residentNumber: '850702-2123456' }),
        );
        await net.issueCard(
            childCard,
            child,
            samplePerson({ name: 'Kim Haneul', birthDate: CHILD_BIRTH, residentNumber: '130314-4123456' }),
        );
        await net.registerService(svc, net.ids.welfare, { purpose, items: ['name', 'district'], predicates: ['lowIncome'] });
        minority = await recordMinority(childCard);
        seeds = minoritySeeds(Buffer.alloc(32, 7), childCard);
    });

    describe('a child under 14', () => {
        it('Given a 13-year-old and a recorded representation, When the parent consents with their own key, Then every endorser accepts it, the consent is the child’s, and the act is in the child’s log', async () => {
            const r = await record();
            expect(r).to.include({
                status: 'ACTIVE',
                basis: 'MINOR_UNDER_14',
                representedCardId: childCard,
                representativeCardId: parentCard,
            });
            expect(r).to.not.have.property('endsAt');
            const c = await consentAs();
            expect(c).to.include({ cardId: childCard, serviceId: svc, status: 'ACTIVE' });
            expect(c.representation).to.deep.equal({ representationId: rep, representativeCardId: parentCard });
            const stored = c.receipt as { document: object; signature: string };
            expect(verifyDeviceSignature(parent.publicKey, stored.document, stored.signature)).to.equal(true);
            expect(verifyDeviceSignature(child.publicKey, stored.document, stored.signature)).to.equal(false);
            expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ConsentGranted');

            const d = await net.submit(net.ids.welfare, 'AccessContract:RequestAccess', {
                cardId: childCard,
                serviceId: svc,
                purpose,
                items: ['name'],
                predicates: [{ name: 'lowIncome' }],
                consentId: c.consentId,
            });
            expect(d).to.include({ decision: 'GRANTED', reason: 'CONSENT' });

            const w = await withdrawAs(c.consentId);
            expect(w).to.include({ status: 'WITHDRAWN' });
            expect(w.withdrawnByRepresentation).to.deep.equal({ representationId: rep, representativeCardId: parentCard });

            const log = await childLog();
            expect(log.records.map((e) => [e.docType, e.act ?? e.decision])).to.deep.equal([
                ['representativeAct', 'consent'],
                ['access', 'GRANTED'],
                ['representativeAct', 'withdraw'],
            ]);
            expect(log.records[0]).to.include({
                cardId: childCard,
                representationId: rep,
                representativeCardId: parentCard,
                consentId: c.consentId,
                basis: 'MINOR_UNDER_14',
            });
        });

        it('refuses the child’s own consent while under 14 (CITIZEN_IS_MINOR); the child may still withdraw', async () => {
            await record();
            await expectRefusal(ownConsent(), 'CITIZEN_IS_MINOR');
            const c = await consentAs();
            const w = await net.submit(
                net.ids.citizen,
                'ConsentContract:WithdrawConsent',
                signDocument(
                    { type: 'ConsentWithdrawal', cardId: childCard, consentId: c.consentId, nonce: nonce(), issuedAt: net.iso() },
                    child.privateKey,
                ),
            );
            expect(w).to.include({ status: 'WITHDRAWN' });
        });

        it('Given the 14th birthday (the tx timestamp’s Seoul date), Then the parent is refused, and the child’s own key takes over with its own token', async () => {
            await record();
            net.now = FOURTEENTH - 1; // 23:59:59.999 in Seoul on the day before
            expect(await consentAs()).to.include({ status: 'ACTIVE' });
            net.now = FOURTEENTH;
            expect(token()).to.equal(undefined); // the parent's app has no token for this day: the chain has ended
            await expectRefusal(consentAs({ minorityToken: token(today() - 1) }), 'REPRESENTATION_ENDED');
            await expectRefusal(consentAs({ minorityToken: minority.powerAnchor }), 'REPRESENTATION_ENDED');

            const end = (day: number, tokenOverride?: string) =>
                net.submit<Minority>(
                    net.ids.citizen,
                    'RepresentationContract:EndMinority',
                    signDocument(
                        {
                            type: 'MinorityEnd',
                            cardId: childCard,
                            ownToken: tokenOverride ?? ownToken(seeds.ownSeed, minority.ownAnchor, day) ?? '0'.repeat(64),
                            nonce: nonce(),
                            issuedAt: net.iso(),
                        },
                        child.privateKey,
                    ),
                );
            // Before the birthday no own token exists; any guess fails.
            expect(ownToken(seeds.ownSeed, minority.ownAnchor, today() - 1)).to.equal(undefined);
            net.now = FOURTEENTH - 1;
            await expectRefusal(end(today(), chainHash(seeds.ownSeed, 0)), 'MINORITY_NOT_ENDED');
            await expectRefusal(ownConsent(), 'CITIZEN_IS_MINOR');
            net.now = FOURTEENTH;
            await expectRefusal(
                net.submit(
                    net.ids.citizen,
                    'RepresentationContract:EndMinority',
                    signDocument(
                        {
                            type: 'MinorityEnd',
                            cardId: childCard,
                            ownToken: ownToken(seeds.ownSeed, minority.ownAnchor, today()),
                            nonce: nonce(),
                            issuedAt: net.iso(),
                        },
                        parent.privateKey,
                    ),
                ),
                'SIGNATURE_INVALID',
            );
            const ended = await end(today());
            expect(ended).to.include({ status: 'ENDED' });
            expect(net.ledger.committed.at(-1)?.event?.name).to.equal('MinorityEnded');
            await expectRefusal(end(today()), 'NOT_A_MINOR');
            expect(await ownConsent()).to.include({ status: 'ACTIVE' });
            // And the parent, even with an old token, stays refused.
            await expectRefusal(consentAs({ minorityToken: token(0) }), 'REPRESENTATION_ENDED');
            const view = await net.evaluate(net.ids.auditor, 'RepresentationContract:GetRepresentation', { representationId: rep });
            expect(view.status).to.equal('ENDED');
        });

        it('refuses a minority for a child who is already 14, and a child’s representation without a recorded minority', async () => {
            const teen = newDevice();
            await net.issueCard(
                'card-teen',
                teen,
                samplePerson({ name: 'Lee Seojun', birthDate: '2012-05-31', residentNumber: '120531-3123456' }),
            );
            await expectRefusal(prepare('card-teen'), 'NOT_A_MINOR');
            await expectRefusal(record({ representedCardId: 'card-teen' }), 'MINORITY_NOT_FOUND');
            // The teen's own key was never restricted.
            expect(await ownConsent(teen, 'card-teen')).to.include({ status: 'ACTIVE' });
        });

        it('two steps like the card issue: the anchors come from the issuer peer’s private record, checked by hash', async () => {
            const other = newDevice();
            await net.issueCard(
                'card-baby',
                other,
                samplePerson({ name: 'Park Doyun', birthDate: '2025-12-24', residentNumber: '251224-3123456' }),
            );
            await expectRefusal(prepare('card-baby', Buffer.alloc(32, 1), MSP.MOHW), 'PEER_NOT_MEMBER');
            await expectRefusal(
                net.submit(net.ids.issuer, 'RepresentationContract:PrepareMinority', { cardId: 'card-baby' }, { peers: ISSUER_ONLY }),
                'TRANSIENT_MISSING',
            );
            await expectRefusal(
                net.submit(
                    net.ids.welfare,
                    'RepresentationContract:PrepareMinority',
                    { cardId: 'card-baby' },
                    { peers: ISSUER_ONLY, transient: { chainSeed: Buffer.alloc(32) } },
                ),
                'UNAUTHORIZED_ROLE',
            );
            const anchors = { cardId: 'card-baby', startDate: minority.startDate, powerAnchor: 'a'.repeat(64), ownAnchor: 'b'.repeat(64) };
            await expectRefusal(net.submit(net.ids.issuer, 'RepresentationContract:RecordMinority', anchors), 'RECORD_NOT_FOUND');
            const p = await prepare('card-baby', Buffer.alloc(32, 1));
            await expectRefusal(
                net.submit(net.ids.issuer, 'RepresentationContract:RecordMinority', { ...anchors, powerAnchor: p.powerAnchor }),
                'RECORD_MISMATCH',
            );
            await expectRefusal(
                net.submit(net.ids.issuer, 'RepresentationContract:RecordMinority', { ...anchors, startDate: '2026-02-30' }),
                'INVALID_ARGUMENT',
            );
            await expectRefusal(prepare(childCard), 'MINORITY_EXISTS');
            await expectRefusal(
                net.submit(net.ids.issuer, 'RepresentationContract:RecordMinority', {
                    cardId: childCard,
                    startDate: minority.startDate,
                    powerAnchor: minority.powerAnchor,
                    ownAnchor: minority.ownAnchor,
                }),
                'MINORITY_EXISTS',
            );
            // The anchor lives in the issuer's collection only.
            expect([...(net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.keys() ?? [])]).to.include('minority|card-child');
            const m = await net.evaluate(net.ids.citizen, 'RepresentationContract:GetMinority', { cardId: childCard });
            expect(m).to.include({ status: 'ACTIVE', horizonDays: CHANNEL_POLICY.minorityHorizonDays });
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'RepresentationContract:GetMinority', { cardId: childCard }),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(
                net.evaluate(net.ids.auditor, 'RepresentationContract:GetMinority', { cardId: parentCard }),
                'MINORITY_NOT_FOUND',
            );
            await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId: 'card-baby', reason: 'ADMINISTRATIVE' });
            await expectRefusal(prepare('card-baby', Buffer.alloc(32, 1)), 'CARD_REVOKED');
        });

        it('Given every submit of these flows, Then neither the child’s birth date nor the 14th birthday is in any argument, public write, event or response', async () => {
            const from = observedSubmits.length;
            await record();
            await consentAs();
            // The child's app ends the minority some weeks after the birthday (an act's own time is public, see docs).
            net.now = FOURTEENTH + 40 * DAY * 1000;
            await net.submit(
                net.ids.citizen,
                'RepresentationContract:EndMinority',
                signDocument(
                    {
                        type: 'MinorityEnd',
                        cardId: childCard,
                        ownToken: ownToken(seeds.ownSeed, minority.ownAnchor, today()),
                        nonce: nonce(),
                        issuedAt: net.iso(),
                    },
                    child.privateKey,
                ),
            );
            const forbidden = [CHILD_BIRTH, birthdayAtAge(CHILD_BIRTH, 14), '2027-03-13'];
            // This test's submits (the fixture's card issue is checked by the harness: no birth date either).
            for (const o of observedSubmits.slice(from)) {
                for (const part of [o.args.join('\n'), o.response, ...o.writes, o.event ?? '']) {
                    for (const f of forbidden) expect(part, o.fcn).to.not.include(f);
                }
            }
            const publicState = [...net.ledger.state.values()].map((v) => v.value.toString()).join('\n');
            for (const f of forbidden) expect(publicState).to.not.include(f);
        });
    });

    describe('a guardianship', () => {
        const ward = 'card-ward';
        const guardian = 'card-guardian';
        let wardDevice: Device;
        let guardianDevice: Device;
        beforeEach(async () => {
            wardDevice = newDevice();
            guardianDevice = newDevice();
            await net.issueCard(
                ward,
                wardDevice,
                samplePerson({ name: 'Choi Youngsoo', birthDate: '1941-01-09', residentNumber: '410109-1123456' }),
            );
            await net.issueCard(
                guardian,
                guardianDevice,
                samplePerson({ name: 'Choi Mina', birthDate: '1970-10-10', residentNumber: '701010-2123456' }),
            );
        });
        const guardianship = (extra: Record<string, unknown> = {}) =>
            record({
                representationId: 'rep-guard',
                representedCardId: ward,
                representativeCardId: guardian,
                basis: 'GUARDIANSHIP',
                scope: ['consent'],
                endsAt: net.iso(30 * DAY),
                ...extra,
            });
        const guardianConsent = (extra: Record<string, unknown> = {}) =>
            consentAs(
                { cardId: guardian, representationId: 'rep-guard', representedCardId: ward, minorityToken: undefined, ...extra },
                guardianDevice.privateKey,
            );

        it('Given a guardianship within its scope, Then the guardian consents until the end date and is refused after it; acts outside the scope are refused', async () => {
            const g = await guardianship();
            expect(g).to.include({ basis: 'GUARDIANSHIP', endsAt: net.iso(30 * DAY - 2) });
            const c = await guardianConsent();
            expect(c).to.include({ cardId: ward });
            await expectRefusal(
                withdrawAs(
                    c.consentId,
                    { cardId: guardian, representationId: 'rep-guard', representedCardId: ward, minorityToken: undefined },
                    guardianDevice.privateKey,
                ),
                'REPRESENTATION_SCOPE_EXCEEDED',
            );
            // The ward's own key is not restricted by a guardianship.
            expect(await ownConsent(wardDevice, ward)).to.include({ status: 'ACTIVE' });
            net.now = Date.parse(g.endsAt as string);
            await expectRefusal(guardianConsent(), 'REPRESENTATION_ENDED');
            const view = await net.evaluate(net.ids.issuer, 'RepresentationContract:GetRepresentation', { representationId: 'rep-guard' });
            expect(view.status).to.equal('ENDED');
        });

        it('refuses a guardianship without an end date or ending in the past, and a child’s representation with one', async () => {
            await expectRefusal(guardianship({ endsAt: undefined }), 'INVALID_ARGUMENT');
            await expectRefusal(guardianship({ endsAt: net.iso(-1) }), 'INVALID_ARGUMENT');
            await expectRefusal(record({ endsAt: net.iso(DAY) }), 'INVALID_ARGUMENT');
        });
    });

    describe('the power check', () => {
        it('refuses a representative’s signature from the wrong key, another card that signs as representative, another represented card, a missing token, a replay', async () => {
            await record();
            // The document names the parent's card but another key signed it.
            await expectRefusal(consentAs({}, newDevice().privateKey), 'SIGNATURE_INVALID');
            await expectRefusal(consentAs({}, child.privateKey), 'SIGNATURE_INVALID');
            // A stranger signs with their own (valid) key as if they were the representative.
            const stranger = newDevice();
            await net.issueCard(
                'card-stranger',
                stranger,
                samplePerson({ name: 'Jung Hoon', birthDate: '1979-04-04', residentNumber: '790404-1123456' }),
            );
            await expectRefusal(consentAs({ cardId: 'card-stranger' }, stranger.privateKey), 'NOT_REPRESENTATIVE');
            await expectRefusal(consentAs({ representedCardId: 'card-stranger' }), 'REPRESENTATION_MISMATCH');
            await expectRefusal(consentAs({ representationId: 'rep-none' }), 'REPRESENTATION_NOT_FOUND');
            await expectRefusal(consentAs({ minorityToken: undefined }), 'INVALID_ARGUMENT');
            await expectRefusal(consentAs({ minorityToken: 'f'.repeat(64) }), 'REPRESENTATION_ENDED');
            await expectRefusal(consentAs({ purpose: 'marketing' }), 'PURPOSE_MISMATCH');
            const signed = signDocument(receipt(), parent.privateKey);
            await net.submit(net.ids.citizen, 'ConsentContract:GrantConsentAsRepresentative', signed);
            await expectRefusal(
                net.submit(net.ids.citizen, 'ConsentContract:GrantConsentAsRepresentative', signed),
                'SIGNED_REQUEST_REPLAYED',
            );
            await expectRefusal(
                net.submit(net.ids.welfare, 'ConsentContract:GrantConsentAsRepresentative', signDocument(receipt(), parent.privateKey)),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(withdrawAs('e'.repeat(64)), 'CONSENT_NOT_FOUND');
            const own = await net.grantConsent(parent, parentCard, svc, MSP.MOHW, { purpose, predicates: ['lowIncome'] });
            await expectRefusal(withdrawAs(own.consentId), 'CONSENT_MISMATCH');
        });

        it('refuses a revoked representation, a suspended representative card, and a suspended represented card', async () => {
            await record();
            await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId: parentCard, reason: 'LOST_DEVICE' });
            await expectRefusal(consentAs(), 'CARD_SUSPENDED');
            await net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId: parentCard, reason: 'RECOVERED' });
            await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId: childCard, reason: 'LOST_DEVICE' });
            await expectRefusal(consentAs(), 'CARD_SUSPENDED');
            await net.submit(net.ids.issuer, 'CardContract:ReinstateCard', { cardId: childCard, reason: 'RECOVERED' });
            const revoke = (who = net.ids.issuer) =>
                net.submit(who, 'RepresentationContract:RevokeRepresentation', { representationId: rep, reason: 'COURT_ORDER' });
            await expectRefusal(revoke(net.ids.auditor), 'UNAUTHORIZED_ROLE');
            expect(await revoke()).to.include({ status: 'REVOKED', revokeReason: 'COURT_ORDER' });
            await expectRefusal(revoke(), 'REPRESENTATION_REVOKED');
            await expectRefusal(consentAs(), 'REPRESENTATION_REVOKED');
        });

        it('refuses a representation by a non-issuer, of a card by itself, twice, by a minor, with a revoked or unusable card', async () => {
            await expectRefusal(record({}, net.ids.fakeIssuer), 'UNAUTHORIZED_ROLE');
            await expectRefusal(record({ representativeCardId: childCard }), 'INVALID_ARGUMENT');
            await expectRefusal(record({ scope: [] }), 'INVALID_ARGUMENT');
            await expectRefusal(record({ scope: ['sell'] }), 'INVALID_ARGUMENT');
            await record();
            await expectRefusal(record(), 'REPRESENTATION_EXISTS');
            // The child cannot represent anyone.
            await expectRefusal(
                record({
                    representationId: 'rep-0002',
                    representedCardId: parentCard,
                    representativeCardId: childCard,
                    basis: 'GUARDIANSHIP',
                    endsAt: net.iso(DAY),
                }),
                'REPRESENTATIVE_INELIGIBLE',
            );
            await expectRefusal(record({ representationId: 'rep-0003', representativeCardId: 'card-none' }), 'CARD_NOT_FOUND');
            await net.submit(net.ids.issuer, 'CardContract:SuspendCard', { cardId: parentCard, reason: 'LOST_DEVICE' });
            await expectRefusal(record({ representationId: 'rep-0004' }), 'CARD_SUSPENDED');
            await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId: childCard, reason: 'ADMINISTRATIVE' });
            await expectRefusal(record({ representationId: 'rep-0005' }), 'CARD_REVOKED');
            await expectRefusal(
                net.submit(net.ids.issuer, 'RepresentationContract:RevokeRepresentation', {
                    representationId: 'rep-none',
                    reason: 'COURT_ORDER',
                }),
                'REPRESENTATION_NOT_FOUND',
            );
        });
    });

    describe('what a representative sees', () => {
        it('Given a representation, When the parent lists their own (signed), Then it is there with its scope; the child sees it from its side; issuer and auditors list by card', async () => {
            await record();
            const mine = (device: Device, cardId: string, extra: Record<string, unknown> = {}) =>
                net.evaluate<Page<Record<string, unknown>>>(net.ids.citizen, 'RepresentationContract:ListMyRepresentations', {
                    request: signDocument(
                        { type: 'RepresentationListRequest', cardId, nonce: nonce(), issuedAt: net.iso() },
                        device.privateKey,
                    ),
                    ...extra,
                });
            const held = await mine(parent, parentCard);
            expect(held.records).to.have.length(1);
            expect(held.records[0]).to.include({ representationId: rep, representedCardId: childCard, status: 'ACTIVE' });
            expect(held.records[0]?.scope).to.deep.equal(['consent', 'object', 'viewLog', 'withdraw']);
            expect((await mine(child, childCard)).records).to.have.length(0);
            expect((await mine(child, childCard, { side: 'represented' })).records.map((r) => r.representationId)).to.deep.equal([rep]);
            await expectRefusal(
                net.evaluate(net.ids.citizen, 'RepresentationContract:ListMyRepresentations', {
                    request: signDocument(
                        { type: 'RepresentationListRequest', cardId: parentCard, nonce: nonce(), issuedAt: net.iso() },
                        child.privateKey,
                    ),
                }),
                'SIGNATURE_INVALID',
            );
            for (const who of [net.ids.issuer, net.ids.auditor]) {
                const byCard = await net.evaluate<Page<unknown>>(who, 'RepresentationContract:ListRepresentationsByCard', {
                    cardId: childCard,
                    side: 'represented',
                });
                expect(byCard.records).to.have.length(1);
            }
            await expectRefusal(
                net.evaluate(net.ids.citizen, 'RepresentationContract:ListRepresentationsByCard', {
                    cardId: childCard,
                    side: 'represented',
                }),
                'UNAUTHORIZED_ROLE',
            );
            await expectRefusal(
                net.evaluate(net.ids.welfare, 'RepresentationContract:GetRepresentation', { representationId: rep }),
                'UNAUTHORIZED_ROLE',
            );
            const history = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', {
                kind: 'representation',
                id: rep,
            });
            expect(history.entries).to.have.length(1);
        });

        it('Given scope viewLog, Then the parent reads the child’s log as the child would (sealed entries hidden); without it, refused', async () => {
            await record({ scope: ['consent', 'viewLog'] });
            await net.registerService('svc-inv', net.ids.resReg, {
                purpose: 'criminal investigation',
                legalBasis: 'Act 9',
                basis: 'investigation',
                items: ['name'],
                predicates: [],
            });
            await consentAs();
            await net.submit(net.ids.resReg, 'AccessContract:RequestSealedAccess', {
                cardId: childCard,
                serviceId: 'svc-inv',
                purpose: 'criminal investigation',
                items: ['name'],
                predicates: [],
                sealedUntil: net.iso(10 * DAY),
            });
            const asParent = (extra: Record<string, unknown> = {}, key = parent.privateKey) =>
                net.evaluate<Page<Record<string, unknown>>>(net.ids.citizen, 'AccessContract:ListAccessLogAsRepresentative', {
                    request: signDocument(
                        {
                            type: 'RepresentativeAccessLogListRequest',
                            cardId: parentCard,
                            representationId: rep,
                            representedCardId: childCard,
                            minorityToken: token(),
                            nonce: nonce(),
                            issuedAt: net.iso(),
                            ...extra,
                        },
                        key,
                    ),
                });
            const log = await asParent();
            expect(log.records.map((r) => r.docType)).to.deep.equal(['representativeAct']);
            expect(log).to.deep.equal(await childLog().then((p) => ({ ...p, fetchedRecordsCount: 1 })));
            await expectRefusal(asParent({}, newDevice().privateKey), 'SIGNATURE_INVALID');
            await net.submit(net.ids.issuer, 'RepresentationContract:RevokeRepresentation', {
                representationId: rep,
                reason: 'REPRESENTATIVE_CHANGED',
            });
            await net.submit(net.ids.issuer, 'RepresentationContract:RecordRepresentation', {
                representationId: 'rep-consent-only',
                representedCardId: childCard,
                representativeCardId: parentCard,
                basis: 'MINOR_UNDER_14',
                scope: ['consent'],
            });
            await expectRefusal(asParent({ representationId: 'rep-consent-only' }), 'REPRESENTATION_SCOPE_EXCEEDED');
        });
    });

    describe('the hash chains (model/minority.ts)', () => {
        it('give the representative a token exactly up to the day before the 14th birthday, and the child one from that day on', () => {
            const s = minoritySeeds(Buffer.alloc(16, 3), 'card-x');
            for (const last of [0, 1, 100, 5000]) {
                const a = minorityAnchors(s, last);
                for (const day of [0, last - 1, last, last + 1, last + 2]) {
                    if (day < 0) continue;
                    const p = powerToken(s.powerSeed, a.powerAnchor, day);
                    const o = ownToken(s.ownSeed, a.ownAnchor, day);
                    expect(p !== undefined, `power day ${day} of ${last}`).to.equal(day <= last);
                    expect(o !== undefined, `own day ${day} of ${last}`).to.equal(day > last);
                    if (p) expect(verifyPowerToken(a.powerAnchor, day, p)).to.equal(true);
                    if (o) expect(verifyOwnToken(a.ownAnchor, day, o)).to.equal(true);
                    if (p && day > 0) expect(verifyPowerToken(a.powerAnchor, day + 1, p)).to.equal(false);
                }
            }
            expect(() => minorityAnchors(s, CHANNEL_POLICY.minorityHorizonDays)).to.throw(RangeError);
            expect(powerToken(s.powerSeed, 'c'.repeat(64), 0)).to.equal(undefined);
            expect(ownToken(s.ownSeed, 'c'.repeat(64), 0)).to.equal(undefined);
            expect(verifyPowerToken('c'.repeat(64), -1, 'c'.repeat(64))).to.equal(false);
        });

        it('count the 14th birthday as ages are counted (29 February: 1 March)', () => {
            expect(birthdayAtAge('2013-03-14', 14)).to.equal('2027-03-14');
            expect(birthdayAtAge('2012-02-29', 14)).to.equal('2026-03-01');
            expect(birthdayAtAge('2012-02-29', 16)).to.equal('2028-02-29');
            expect(lastMinorDay('2013-03-14', '2027-03-13')).to.equal(0);
            expect(lastMinorDay('2013-03-14', '2027-03-14')).to.equal(-1);
            expect(lastMinorDay('2013-03-14', '2013-03-14')).to.equal(daysBetween('2013-03-14', '2027-03-14') - 1);
            expect(lastMinorDay('2013-03-14', '2013-03-14')).to.be.below(CHANNEL_POLICY.minorityHorizonDays);
        });
    });
});
