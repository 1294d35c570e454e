import './quiet.js';
import { expect } from 'chai';
import { generateKeyPairSync } from 'node:crypto';
import { ChaincodeError, ERROR_HTTP_STATUS, ErrorCode, parseErrorCode } from '../../../chaincode/errors.js';
import { canonicalBytes, canonicalJson } from '../../../chaincode/model/canonical.js';
import { commitment, computeCommitments, deriveSalt } from '../../../chaincode/model/commitments.js';
import { ListMyAccessArgs, RequestAccessArgs } from '../../../chaincode/model/dto.js';
import {
    documentHash,
    exportDevicePublicKey,
    parseDevicePublicKey,
    SignedConsentReceipt,
    signDocument,
    verifyDeviceSignature,
} from '../../../chaincode/model/signed.js';
import { getMetadataStorage, IsInt, IsString } from 'class-validator';
import { parseArgs, validateStrict } from '../../../chaincode/model/validate.js';
import { codePoints, isCalendarDate, isInstant } from '../../../chaincode/model/formats.js';
import { ListAccessByCallerArgs, PersonalDataDto } from '../../../chaincode/model/dto.js';
import { DATA_ITEMS } from '../../../chaincode/model/vocabulary.js';
import { requireIssuerPeer } from '../../../chaincode/ledger.js';
import { newDevice, samplePerson } from './harness.js';

describe('chaincode model (shared with the gateway)', () => {
    describe('canonicalJson', () => {
        it('sorts keys at every depth, drops undefined, keeps array order', () => {
            expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: undefined }], c: null } })).to.equal(
                '{"a":{"c":null,"d":[3,{"z":1}]},"b":1}',
            );
            expect(canonicalJson([undefined, () => 1])).to.equal('[null,null]');
            expect(canonicalJson(undefined)).to.equal('null');
            expect(canonicalJson(new Date(0))).to.equal('"1970-01-01T00:00:00.000Z"');
            expect(canonicalBytes({ k: 'é' })).to.deep.equal(Buffer.from('{"k":"é"}'));
        });
        it('refuses what has no single JSON form', () => {
            expect(() => canonicalJson({ x: NaN })).to.throw(/non-finite/);
            expect(() => canonicalJson({ x: 1n })).to.throw(/bigint/);
            expect(() => canonicalJson({ x: Buffer.from('a') })).to.throw(/bytes/);
        });
    });

    describe('signatures', () => {
        it('verify over canonical bytes whatever the key order; fail on any change, on a wrong or non-P-256 key', () => {
            const d = newDevice();
            const signed = signDocument({ b: 2, a: 1 }, d.privateKey);
            expect(verifyDeviceSignature(d.publicKey, { a: 1, b: 2 }, signed.signature)).to.equal(true);
            expect(verifyDeviceSignature(d.publicKey, { a: 1, b: 3 }, signed.signature)).to.equal(false);
            expect(verifyDeviceSignature(newDevice().publicKey, { a: 1, b: 2 }, signed.signature)).to.equal(false);
            expect(verifyDeviceSignature(d.publicKey, { a: 1, b: 2 }, 'garbage')).to.equal(false);
            expect(verifyDeviceSignature('AAAA', { a: 1, b: 2 }, signed.signature)).to.equal(false);
            const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
            expect(parseDevicePublicKey(exportDevicePublicKey(p384.publicKey))).to.equal(undefined);
            const pem = d.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
            expect(verifyDeviceSignature(d.publicKey, { a: 1 }, signDocument({ a: 1 }, pem).signature)).to.equal(true);
            expect(documentHash({ b: 2, a: 1 })).to.equal(documentHash({ a: 1, b: 2 }));
        });
    });

    describe('commitments', () => {
        it('are salted per card and attribute and bind the value', () => {
            const seed = Buffer.alloc(32, 1);
            expect(deriveSalt(seed, 'card-1', 'name')).to.not.equal(deriveSalt(seed, 'card-2', 'name'));
            expect(deriveSalt(seed, 'card-1', 'name')).to.not.equal(deriveSalt(seed, 'card-1', 'address'));
            const salts = Object.fromEntries(DATA_ITEMS.map((a) => [a, deriveSalt(seed, 'card-1', a)]));
            const c = computeCommitments(samplePerson(), salts);
            expect(c.name).to.equal(commitment('name', salts.name as string, 'Kim Minji'));
            expect(c.name).to.not.equal(commitment('name', salts.name as string, 'Kim Minjy'));
        });
    });

    describe('parseArgs and error codes', () => {
        it("Given rules read once, When a rule is added to a class or a subclass is declared later, Then validation uses the new rules (the rules' memo is forgotten)", () => {
            class Late {
                @IsString()
                a!: string;
                b?: unknown;
            }
            const late = Object.assign(new Late(), { a: 'x', b: 'y' });
            // b has no rule yet: refused as unknown, twice alike (the second answer from the memo).
            const first = validateStrict(late).map((e) => Object.keys(e.constraints ?? {}));
            expect(first).to.deep.equal([['whitelistValidation']]);
            expect(validateStrict(late).map((e) => Object.keys(e.constraints ?? {}))).to.deep.equal(first);
            IsString()(Late.prototype, 'b');
            expect(validateStrict(late)).to.deep.equal([]);
            class Later extends Late {
                @IsInt()
                c!: number;
            }
            const later = Object.assign(new Later(), { a: 1, b: 'y', c: 'z' });
            expect(
                validateStrict(later)
                    .map((e) => `${e.property}:${Object.keys(e.constraints ?? {}).join()}`)
                    .sort(),
            ).to.deep.equal(['a:isString', 'c:isInt']);
        });

        it('Given the memo, When a caller tries to change the rules it was given, Then that throws and the next validation is unchanged', () => {
            validateStrict(Object.assign(new RequestAccessArgs(), {}));
            const rules = getMetadataStorage().getTargetValidationMetadatas(RequestAccessArgs, '', false, false);
            expect(Object.isFrozen(rules)).to.equal(true);
            expect(() => (rules as unknown[]).push({})).to.throw(TypeError);
            expect(() => parseArgs(RequestAccessArgs, { cardId: 'x', name: 'Kim Minji' })).to.throw(/name: whitelistValidation/);
        });

        it('refuses unknown members, wrong types and non-objects with INVALID_ARGUMENT naming properties only', () => {
            expect(() => parseArgs(RequestAccessArgs, { cardId: 'x', name: 'Kim Minji' })).to.throw(
                ChaincodeError,
                /^INVALID_ARGUMENT: .*name: whitelistValidation/,
            );
            expect(() => parseArgs(RequestAccessArgs, '{')).to.throw(/INVALID_ARGUMENT: argument is not valid JSON/);
            expect(() => parseArgs(RequestAccessArgs, 'null')).to.throw(/must be a JSON object/);
            try {
                parseArgs(RequestAccessArgs, { cardId: 'Kim Minji secret' });
            } catch (e) {
                expect((e as Error).message).to.not.include('Kim Minji');
            }
            const ok = parseArgs(RequestAccessArgs, {
                cardId: 'card-1',
                serviceId: 'svc-1',
                purpose: 'p',
                items: ['name'],
                predicates: [{ name: 'ageAtLeast', value: 65 }],
            });
            expect(ok.predicates[0]?.value).to.equal(65);
        });

        it('refuses prototype member names, deep nesting and huge values before validating, and a missing signed document', () => {
            const valid = '"cardId":"card-1","serviceId":"svc-1","purpose":"p","items":["name"],"predicates":[]';
            for (const key of ['__proto__', 'constructor', 'prototype'])
                expect(() => parseArgs(RequestAccessArgs, `{"${key}":{"role":"issuer"},${valid}}`)).to.throw(
                    ChaincodeError,
                    new RegExp(`^INVALID_ARGUMENT: ${key}: whitelistValidation$`),
                );
            expect(() => parseArgs(RequestAccessArgs, `{"items":${'['.repeat(3000)}${']'.repeat(3000)}}`)).to.throw(
                /^INVALID_ARGUMENT: argument exceeds 8 nesting levels at items(\.0)+$/,
            );
            expect(() => parseArgs(RequestAccessArgs, { items: new Array(600).fill('name') })).to.throw(/exceeds 512 members at items/);
            expect(() => parseArgs(ListMyAccessArgs, { pageSize: 5 })).to.throw(/^INVALID_ARGUMENT: request: isObject/);
            expect(() => parseArgs(SignedConsentReceipt, { signature: 'AAAAAAAAAAAA', document: [] })).to.throw(/document: isObject/);
        });

        it('parses codes out of wrapped gateway messages and maps every code to an HTTP status', () => {
            expect(parseErrorCode('10 ABORTED: failed to endorse transaction, see attached details for more info')).to.equal(undefined);
            expect(parseErrorCode('chaincode response 500, CONSENT_WITHDRAWN: consent x is withdrawn')).to.equal('CONSENT_WITHDRAWN');
            expect(parseErrorCode('NOT_A_CODE: x')).to.equal(undefined);
            for (const code of Object.values(ErrorCode)) expect(ERROR_HTTP_STATUS[code]).to.be.within(400, 599);
            expect(new ChaincodeError(ErrorCode.CARD_REVOKED, 'x')).to.include({ code: 'CARD_REVOKED', message: 'CARD_REVOKED: x' });
        });
    });

    describe('formats (the same check at the chaincode, the gateway and in the OpenAPI document)', () => {
        it('Given instants, Then RFC 3339 date-times on real days with years 0001-9998 pass, and nothing else', () => {
            for (const ok of [
                '2026-01-01T00:00:00Z',
                '2026-01-01T00:00:00.123Z',
                '2026-01-01T00:00:00.123456789+09:00',
                '0001-01-01T00:00:00-23:59',
                '9998-12-31T23:59:59.999+23:59',
                '2024-02-29T12:00:00Z',
                '2000-02-29T12:00:00Z',
            ])
                expect(isInstant(ok), ok).to.equal(true);
            for (const bad of [
                '0000-01-01T00:00:00Z',
                '9999-12-31T23:59:59Z',
                '2026-01-01',
                '2026-01-01 00:00:00Z',
                '2026-01-01t00:00:00z',
                '2026-01-01T00:00:60Z',
                '2026-01-01T24:00:00Z',
                '2026-01-01T00:00Z',
                '2026-01-01T00:00:00',
                '2026-01-01T00:00:00.1234567890Z',
                '2026-01-01T00:00:00+24:00',
                '2026-01-01T00:00:00+0900',
                '2023-02-29T00:00:00Z',
                '1900-02-29T00:00:00Z',
                '2026-04-31T00:00:00Z',
                '2026-W01-1T00:00:00Z',
                '+002026-01-01T00:00:00Z',
                '\u0662\u0660\u0662\u0666-01-01T00:00:00Z',
            ])
                expect(isInstant(JSON.parse(`"${bad}"`)), bad).to.equal(false);
            expect(() => parseArgs(ListAccessByCallerArgs, { mspId: 'MOHWMSP', from: '2026-01-01', to: '2027-01-01T00:00:00Z' })).to.throw(
                /^INVALID_ARGUMENT: from: isInstant$/,
            );
        });

        it('Given dates of birth, Then calendar days of years 0000-9999 pass, 30 February does not', () => {
            for (const ok of ['0000-02-29', '1958-03-14', '2024-02-29', '9999-12-31']) expect(isCalendarDate(ok), ok).to.equal(true);
            for (const bad of ['1900-02-29', '2023-02-29', '2026-13-01', '2026-00-10', '2026-1-01', '12026-01-01', '2026-01-01T00:00:00Z'])
                expect(isCalendarDate(bad), bad).to.equal(false);
            expect(() => parseArgs(PersonalDataDto, { ...samplePerson(), birthDate: '1958-02-30' })).to.throw(/birthDate: isCalendarDate/);
        });

        it('Given texts, Then their length is counted in code points, as JSON Schema counts it (a variation selector is one)', () => {
            expect(codePoints('a\u{1F600}\uFE0F')).to.equal(3);
            const base = { cardId: 'card-1', serviceId: 'svc-1', items: ['name'], predicates: [] };
            expect(() => parseArgs(RequestAccessArgs, { ...base, purpose: `${'a'.repeat(499)}\uFE0F` })).not.to.throw();
            expect(() => parseArgs(RequestAccessArgs, { ...base, purpose: `${'a'.repeat(500)}\uFE0F` })).to.throw(/purpose: textLength/);
            expect(() => parseArgs(RequestAccessArgs, { ...base, purpose: '\u{1F600}'.repeat(500) })).not.to.throw();
        });

        it('Given a predicate asked twice, Then the argument is refused, whatever the elements are', () => {
            const base = { cardId: 'card-1', serviceId: 'svc-1', purpose: 'p', items: [] };
            const twice = [
                { name: 'ageAtLeast', value: 65 },
                { name: 'ageAtLeast', value: 65 },
            ];
            expect(() => parseArgs(RequestAccessArgs, { ...base, predicates: twice })).to.throw(/predicates: arrayUnique/);
            expect(() =>
                parseArgs(RequestAccessArgs, {
                    ...base,
                    predicates: [
                        { name: 'ageAtLeast', value: 65 },
                        { name: 'ageAtLeast', value: 19 },
                    ],
                }),
            ).not.to.throw();
            expect(() => parseArgs(RequestAccessArgs, { ...base, predicates: [null, 'x', 1] })).to.throw(/^INVALID_ARGUMENT: /);
        });
    });

    it('refuses personal data reads when the peer does not know its MSP id (CORE_PEER_LOCALMSPID unset)', () => {
        const ctx = {
            stub: {
                getMspID: () => {
                    throw new Error('CORE_PEER_LOCALMSPID is unset in chaincode process');
                },
            },
        };
        expect(() => requireIssuerPeer(ctx as never)).to.throw(/^PEER_NOT_MEMBER: /);
    });
});
