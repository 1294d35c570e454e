import './quiet.js';
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { textCommitment } from '../../../chaincode/model/commitments.js';
import { openJson, type SealedBox } from '../../../chaincode/model/sealed.js';
import { signDocument } from '../../../chaincode/model/signed.js';
import { MSP, PERSONAL_DATA_COLLECTION } from '../../../chaincode/model/vocabulary.js';
import {
    ISSUER_ONLY,
    TestNet,
    expectRefusal,
    newDevice,
    nonce,
    observedSubmits,
    personalValues,
    samplePerson,
    type Device,
} from './harness.js';

// Issue 24, rule 4: a citizen objects to an entry of their log with a short text; the audit office
// lists open objections and records a finding; the department and the citizen see it. The text is
// the citizen's own words and may hold personal data: only its salted hash is public, the text
// lives in the issuer's private collection (two steps, as the card issue) and is erased with the
// card's personal record.

interface Objection {
    objectionId: string;
    accessId: string;
    status: string;
    callerDept: string;
    finding?: Record<string, string>;
}
interface Page {
    records: Objection[];
    bookmark: string;
}

const SALT = 'c2FsdC1mb3ItdGhlLXRleHQ'; // 23 base64url characters (>= 16 bytes)
const TEXT = 'I never asked for this. I am treated for diabetes at Seoul Clinic and live at 25 Sejong-daero.';

describe('Objections', () => {
    let net: TestNet;
    let device: Device;
    let accessId: string;
    const cardId = 'card-0001';
    const svc = 'svc-welfare-senior';

    beforeEach(async () => {
        net = await TestNet.create();
        device = newDevice();
        personalValues.add(TEXT);
        personalValues.add('diabetes');
        await net.issueCard(cardId, device);
        await net.registerService(svc, net.ids.welfare, { legalBasis: 'Act 26' });
        const d = await net.submit<{ accessId: string }>(net.ids.welfare, 'AccessContract:RequestAccess', {
            cardId,
            serviceId: svc,
            purpose: 'senior welfare benefit eligibility',
            items: ['name'],
            predicates: [],
        });
        accessId = d.accessId;
    });

    const objectionDoc = (extra: Record<string, unknown> = {}, text = TEXT) => ({
        type: 'Objection',
        cardId,
        accessId,
        textHash: textCommitment(text, SALT),
        nonce: nonce(),
        issuedAt: net.iso(),
        ...extra,
    });
    const prepare = (signed: unknown, text = TEXT, opts: { peer?: string; salt?: string } = {}) =>
        net.submit<{ objectionId: string }>(net.ids.citizen, 'ObjectionContract:PrepareObjection', signed, {
            peers: [opts.peer ?? MSP.SEOUL],
            transient: { objectionText: JSON.stringify({ text, salt: opts.salt ?? SALT }) },
        });
    const object = async (extra: Record<string, unknown> = {}, key = device.privateKey) => {
        const signed = signDocument(objectionDoc(extra), key);
        await prepare(signed);
        return net.submit<Objection>(net.ids.citizen, 'ObjectionContract:FileObjection', signed);
    };
    const find = (objectionId: string, extra: Record<string, unknown> = {}, who = net.ids.auditor) =>
        net.submit<Objection>(who, 'ObjectionContract:RecordFinding', {
            objectionId,
            outcome: 'UPHELD',
            findingCode: 'NO_VALID_BASIS',
            text: 'The department could not show the legal basis it named for this access.',
            ...extra,
        });
    const readText = (objectionId: string, who = net.ids.auditor, peer: string = MSP.SEOUL) => {
        const key = randomBytes(32);
        return net
            .evaluate<{ objectionId: string; sealed: SealedBox }>(
                who,
                'ObjectionContract:ReadObjectionText',
                { objectionId },
                { peers: [peer], transient: { responseKey: key } },
            )
            .then((a) => openJson<{ text: string }>(a.sealed, key, a.objectionId).text);
    };

    it('Given an objection and its finding, Then the auditor, the department and the citizen each see it; the text is for the auditor and the citizen only', async () => {
        const o = await object();
        expect(o).to.include({ accessId, status: 'OPEN', callerDept: 'welfare', cardId, textHash: textCommitment(TEXT, SALT) });
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ObjectionFiled');

        // The audit office's work list, and the text on Seoul's peer.
        const open = await net.evaluate<Page>(net.ids.auditor, 'ObjectionContract:ListObjectionsByStatus', { status: 'OPEN' });
        expect(open.records.map((r) => r.objectionId)).to.deep.equal([o.objectionId]);
        expect(await readText(o.objectionId)).to.equal(TEXT);
        expect(await readText(o.objectionId, net.ids.citizen)).to.equal(TEXT);
        await expectRefusal(readText(o.objectionId, net.ids.welfare), 'UNAUTHORIZED_ROLE');
        await expectRefusal(readText(o.objectionId, net.ids.auditor, MSP.AUDIT), 'PEER_NOT_MEMBER');

        const f = await find(o.objectionId);
        expect(f).to.include({ status: 'UPHELD' });
        expect(f.finding).to.include({ outcome: 'UPHELD', findingCode: 'NO_VALID_BASIS' });
        expect(f.finding?.auditorId).to.match(/CN=auditor1/);
        expect(net.ledger.committed.at(-1)?.event?.name).to.equal('ObjectionDecided');

        // The three parties.
        const seen = async (who: typeof net.ids.auditor, fcn: string, args: Record<string, unknown>) => {
            const page = await net.evaluate<Page>(who, `ObjectionContract:${fcn}`, args);
            expect(page.records.map((r) => [r.objectionId, r.status, r.finding?.findingCode])).to.deep.equal([
                [o.objectionId, 'UPHELD', 'NO_VALID_BASIS'],
            ]);
        };
        await seen(net.ids.auditor, 'ListObjectionsByStatus', { status: 'UPHELD' });
        await seen(net.ids.welfare, 'ListObjectionsByCaller', { mspId: MSP.MOHW, dept: 'welfare' });
        await seen(net.ids.mohwOrgAuditor, 'ListObjectionsByCaller', { mspId: MSP.MOHW });
        await seen(net.ids.citizen, 'ListObjectionsByCard', { cardId });
        for (const who of [net.ids.auditor, net.ids.welfare, net.ids.welfare2, net.ids.citizen]) {
            expect(await net.evaluate(who, 'ObjectionContract:GetObjection', { objectionId: o.objectionId })).to.include({
                status: 'UPHELD',
            });
        }
        expect(
            (await net.evaluate<Page>(net.ids.auditor, 'ObjectionContract:ListObjectionsByStatus', { status: 'OPEN' })).records,
        ).to.have.length(0);

        // Nobody else.
        await expectRefusal(
            net.evaluate(net.ids.pension, 'ObjectionContract:GetObjection', { objectionId: o.objectionId }),
            'UNAUTHORIZED_DEPT',
        );
        await expectRefusal(
            net.evaluate(net.ids.resReg, 'ObjectionContract:GetObjection', { objectionId: o.objectionId }),
            'UNAUTHORIZED_ROLE',
        );
        await expectRefusal(
            net.evaluate(net.ids.pension, 'ObjectionContract:ListObjectionsByCaller', { mspId: MSP.MOHW, dept: 'welfare' }),
            'UNAUTHORIZED_DEPT',
        );
        await expectRefusal(
            net.evaluate(net.ids.welfare, 'ObjectionContract:ListObjectionsByStatus', { status: 'OPEN' }),
            'UNAUTHORIZED_ROLE',
        );
        await expectRefusal(net.evaluate(net.ids.welfare, 'ObjectionContract:ListObjectionsByCard', { cardId }), 'UNAUTHORIZED_ROLE');
        const history = await net.evaluate<{ entries: unknown[] }>(net.ids.auditor, 'AuditContract:GetHistory', {
            kind: 'objection',
            id: o.objectionId,
        });
        expect(history.entries).to.have.length(2);
    });

    it('Given the text, Then it is in no argument, public write, event or response: only its salted hash, and the text in the issuer collection', async () => {
        const from = observedSubmits.length;
        const o = await object();
        for (const s of observedSubmits.slice(from)) expect(JSON.stringify(s)).to.not.include('diabetes');
        const publicState = [...net.ledger.state.values()].map((v) => v.value.toString()).join('\n');
        expect(publicState).to.not.include('diabetes');
        expect(net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.get(`objection|${o.objectionId}`)?.toString()).to.include('diabetes');
    });

    it('refuses a text that does not match the signed hash, a missing or unprepared text, the wrong peer, and a weak salt', async () => {
        const signed = signDocument(objectionDoc(), device.privateKey);
        await expectRefusal(prepare(signed, 'something else'), 'OBJECTION_TEXT_MISMATCH');
        await expectRefusal(prepare(signed, TEXT, { peer: MSP.MOHW }), 'PEER_NOT_MEMBER');
        await expectRefusal(prepare(signed, TEXT, { salt: 'short' }), 'INVALID_ARGUMENT');
        await expectRefusal(prepare(signed, 'x'.repeat(1001)), 'INVALID_ARGUMENT');
        await expectRefusal(
            net.submit(net.ids.citizen, 'ObjectionContract:PrepareObjection', signed, { peers: ISSUER_ONLY }),
            'TRANSIENT_MISSING',
        );
        await expectRefusal(prepare(signDocument(objectionDoc(), newDevice().privateKey)), 'SIGNATURE_INVALID');
        await expectRefusal(net.submit(net.ids.citizen, 'ObjectionContract:FileObjection', signed), 'OBJECTION_TEXT_NOT_FOUND');
        // A text prepared for one document does not serve another with another hash.
        const other = signDocument(objectionDoc({}, 'other words'), device.privateKey);
        await prepare(other, 'other words');
        const forged = { ...other, document: { ...other.document, textHash: textCommitment(TEXT, SALT) } };
        await expectRefusal(net.submit(net.ids.citizen, 'ObjectionContract:FileObjection', forged), 'SIGNATURE_INVALID');
        await expectRefusal(net.submit(net.ids.welfare, 'ObjectionContract:FileObjection', other), 'UNAUTHORIZED_ROLE');
        await net.submit(net.ids.citizen, 'ObjectionContract:FileObjection', other);
        await expectRefusal(net.submit(net.ids.citizen, 'ObjectionContract:FileObjection', other), 'SIGNED_REQUEST_REPLAYED');
    });

    it('refuses an objection to an entry of another card, an unknown entry, and a sealed entry before its date', async () => {
        const otherDevice = newDevice();
        await net.issueCard('card-0002', otherDevice);
        await expectRefusal(object({ cardId: 'card-0002' }, otherDevice.privateKey), 'ACCESS_NOT_FOUND');
        await expectRefusal(object({ accessId: 'd'.repeat(64) }), 'ACCESS_NOT_FOUND');
        await expectRefusal(object({ representationId: 'rep-x' }), 'INVALID_ARGUMENT');
        await net.registerService('svc-inv', net.ids.resReg, {
            purpose: 'criminal investigation',
            legalBasis: 'Act 9',
            basis: 'investigation',
            items: ['name'],
            predicates: [],
        });
        const s = await net.submit<{ accessId: string }>(net.ids.resReg, 'AccessContract:RequestSealedAccess', {
            cardId,
            serviceId: 'svc-inv',
            purpose: 'criminal investigation',
            items: ['name'],
            predicates: [],
            sealedUntil: net.iso(86_400),
        });
        await expectRefusal(object({ accessId: s.accessId }), 'ACCESS_NOT_FOUND');
        net.tick(86_400);
        expect(await object({ accessId: s.accessId })).to.include({ status: 'OPEN', callerDept: 'resident-registration' });
    });

    it('refuses a finding by anyone but an auditor, twice, with personal data in its text, or for an unknown objection', async () => {
        const o = await object();
        for (const who of [net.ids.welfare, net.ids.mohwOrgAuditor, net.ids.fakeAuditor, net.ids.citizen])
            await expectRefusal(find(o.objectionId, {}, who), 'UNAUTHORIZED_ROLE');
        await expectRefusal(find(o.objectionId, { text: 'Call the citizen at 010-1234-5678.' }), 'TEXT_NOT_ALLOWED');
        await expectRefusal(find(o.objectionId, { text: '' }), 'INVALID_ARGUMENT');
        await expectRefusal(find(o.objectionId, { outcome: 'CLEARED' }), 'INVALID_ARGUMENT');
        await expectRefusal(find('9'.repeat(64)), 'OBJECTION_NOT_FOUND');
        expect(await find(o.objectionId, { outcome: 'REJECTED', findingCode: 'LAWFUL' })).to.include({ status: 'REJECTED' });
        await expectRefusal(find(o.objectionId), 'OBJECTION_DECIDED');
        expect(
            (await net.evaluate<Page>(net.ids.auditor, 'ObjectionContract:ListObjectionsByStatus', { status: 'REJECTED' })).records,
        ).to.have.length(1);
    });

    it('Given a guardian with scope object, Then they object for the ward with their own key, the act is in the ward’s log; without the scope, refused', async () => {
        const guardian = newDevice();
        await net.issueCard(
            'card-guardian',
            guardian,
            samplePerson({ name: 'Kim Sora', birthDate: '1971-11-11', residentNumber: '711111-2123456' }),
        );
        const represent = (representationId: string, scope: string[]) =>
            net.submit(net.ids.issuer, 'RepresentationContract:RecordRepresentation', {
                representationId,
                representedCardId: cardId,
                representativeCardId: 'card-guardian',
                basis: 'GUARDIANSHIP',
                scope,
                endsAt: net.iso(365 * 86_400),
            });
        await represent('rep-object', ['object', 'viewLog']);
        await represent('rep-consent', ['consent']);
        const asGuardian = (representationId: string) =>
            object({ cardId: 'card-guardian', representationId, representedCardId: cardId }, guardian.privateKey);
        const o = await asGuardian('rep-object');
        expect(o).to.deep.include({ cardId, filedBy: { cardId: 'card-guardian', representationId: 'rep-object' } });
        await expectRefusal(asGuardian('rep-consent'), 'REPRESENTATION_SCOPE_EXCEEDED');
        const log = await net.evaluate<{ records: Record<string, unknown>[] }>(net.ids.citizen, 'AccessContract:ListMyAccessLog', {
            request: signDocument({ type: 'AccessLogListRequest', cardId, nonce: nonce(), issuedAt: net.iso() }, device.privateKey),
        });
        expect(log.records.map((r) => r.docType)).to.deep.equal(['access', 'representativeAct']);
        expect(log.records[1]).to.include({ act: 'object', objectionId: o.objectionId, accessId });
    });

    it('Given a revoked card whose personal record is erased, Then its objection texts are purged too; the public objection keeps only the hash', async () => {
        const o = await object();
        await net.submit(net.ids.issuer, 'CardContract:RevokeCard', { cardId, reason: 'DECEASED' });
        await net.submit(net.ids.issuer, 'CardContract:ErasePersonalRecord', { cardId }, { peers: ISSUER_ONLY });
        expect(net.ledger.pvt.get(PERSONAL_DATA_COLLECTION)?.has(`objection|${o.objectionId}`)).to.equal(false);
        await expectRefusal(readText(o.objectionId), 'OBJECTION_TEXT_NOT_FOUND');
        await net.submit(net.ids.issuer, 'CardContract:ConfirmErasure', { cardId });
        expect(await net.evaluate(net.ids.auditor, 'ObjectionContract:GetObjection', { objectionId: o.objectionId })).to.include({
            status: 'OPEN',
        });
        await expectRefusal(
            net.evaluate(net.ids.auditor, 'ObjectionContract:ReadObjectionText', { objectionId: o.objectionId }),
            'TRANSIENT_MISSING',
        );
    });
});
