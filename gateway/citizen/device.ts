// The citizen app's device key (P-256) and the documents it signs, in the chaincode's formats
// (chaincode/model/signed.ts): canonical JSON, ECDSA-SHA256, DER, base64. The private key stays
// in a file readable by its owner only; only signatures and the public key leave the device.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
    exportDevicePublicKey,
    signDocument,
    SignedType,
    textCommitment,
    type AccessLogListRequestDoc,
    type MinorityEndDoc,
    type ObjectionDoc,
    type RepresentationListRequestDoc,
    type RepresentativeAccessLogListRequestDoc,
    type RepresentativeConsentReceiptDoc,
    type RepresentativeConsentWithdrawalDoc,
    type AuthChallengeDoc,
    type CardSuspensionDoc,
    type ConsentReceiptDoc,
    type ConsentWithdrawalDoc,
    type DataItem,
    type KeyRotationDoc,
    type PredicateName,
    type ReasonCode,
} from '../../chaincode/model';

export interface Signed<T> {
    document: T;
    signature: string;
}

/** A fresh nonce: 24 random bytes, base64url (32 characters, within NONCE_PATTERN). */
export const newNonce = (): string => crypto.randomBytes(24).toString('base64url');

export class DeviceKey {
    readonly #privateKey: crypto.KeyObject;
    readonly publicKey: crypto.KeyObject;
    /** Injected clock, so tests can sign at a chosen time. */
    now: () => Date = () => new Date();

    private constructor(privateKey: crypto.KeyObject) {
        if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
            throw new Error('DEVICE_KEY_INVALID: the device key must be an EC P-256 private key');
        }
        this.#privateKey = privateKey;
        this.publicKey = crypto.createPublicKey(privateKey);
    }

    static generate(): DeviceKey {
        return new DeviceKey(crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey);
    }

    static fromPem(pem: string): DeviceKey {
        return new DeviceKey(crypto.createPrivateKey(pem));
    }

    static load(file: string): DeviceKey {
        return DeviceKey.fromPem(fs.readFileSync(file, 'utf8'));
    }

    /** Writes the PKCS#8 PEM with mode 0600; refuses to overwrite an existing key. */
    save(file: string): void {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, this.#privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
    }

    /** base64 DER SubjectPublicKeyInfo: what the card registers (CitizenCard.devicePublicKey). */
    publicKeyBase64(): string {
        return exportDevicePublicKey(this.publicKey);
    }

    /** The members every document has. */
    base(cardId: string) {
        return { cardId, nonce: newNonce(), issuedAt: this.now().toISOString() };
    }

    /** Signs a document as the chaincode verifies it. */
    sign<T extends object>(document: T): Signed<T> {
        return signDocument(document, this.#privateKey);
    }

    /** Answers a verifier's challenge: the verifier's nonce is signed, bound to the verifier's org. */
    signChallenge(cardId: string, challenge: string, verifierMspId: string): Signed<AuthChallengeDoc> {
        return this.sign({ ...this.base(cardId), nonce: challenge, type: SignedType.AUTH_CHALLENGE, verifierMspId } as AuthChallengeDoc);
    }

    consent(p: {
        cardId: string;
        serviceId: string;
        recipientMspId: string;
        purpose: string;
        items: DataItem[];
        predicates?: PredicateName[];
        retentionDays: number;
    }): Signed<ConsentReceiptDoc> {
        return this.sign({
            ...this.base(p.cardId),
            type: SignedType.CONSENT_RECEIPT,
            serviceId: p.serviceId,
            recipientMspId: p.recipientMspId,
            purpose: p.purpose,
            items: p.items,
            predicates: p.predicates ?? [],
            retentionDays: p.retentionDays,
        } as ConsentReceiptDoc);
    }

    withdraw(cardId: string, consentId: string): Signed<ConsentWithdrawalDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.CONSENT_WITHDRAWAL, consentId } as ConsentWithdrawalDoc);
    }

    reportLost(cardId: string, reason: ReasonCode = 'LOST_DEVICE'): Signed<CardSuspensionDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.CARD_SUSPENSION, reason } as CardSuspensionDoc);
    }

    /** Signed by THIS (old) key, naming the new device's public key. */
    rotateTo(cardId: string, newDevicePublicKey: string): Signed<KeyRotationDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.KEY_ROTATION, newDevicePublicKey } as KeyRotationDoc);
    }

    accessLogRequest(cardId: string): Signed<AccessLogListRequestDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.ACCESS_LOG_LIST_REQUEST } as AccessLogListRequestDoc);
    }

    /** Lists the representations this card holds (or, with side represented, those held for it); also the child's own minority request. */
    representationListRequest(cardId: string): Signed<RepresentationListRequestDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.REPRESENTATION_LIST_REQUEST } as RepresentationListRequestDoc);
    }

    /** At 14: the child's own key ends the minority with today's own-chain token. */
    endMinority(cardId: string, ownToken: string): Signed<MinorityEndDoc> {
        return this.sign({ ...this.base(cardId), type: SignedType.MINORITY_END, ownToken } as MinorityEndDoc);
    }

    /**
     * An objection to an entry of the card's log: the device signs the salted hash of the text; the
     * text and its fresh salt go beside it, for the gateway to send to Seoul's peers only.
     */
    objection(cardId: string, accessId: string, text: string, f?: ActingFor): ObjectionBody {
        const salt = crypto.randomBytes(24).toString('base64url');
        const signed = this.sign({
            ...this.base(cardId),
            type: SignedType.OBJECTION,
            accessId,
            textHash: textCommitment(text, salt),
            ...(f ? actingFor(f) : {}),
        } as ObjectionDoc);
        return { ...signed, objectionText: { text, salt } };
    }

    /** This key acting as a legal representative, its own card being `cardId`. */
    asRepresentative(cardId: string): RepresentativeDevice {
        return new RepresentativeDevice(this, cardId);
    }
}

/** Which representation a representative acts under: the represented card and, for a child, today's in-force token. */
export interface ActingFor {
    representationId: string;
    representedCardId: string;
    /** MINOR_UNDER_14: today's token (the gateway's listMyRepresentations answers it). */
    minorityToken?: string;
}

/** A representative's documents: signed by the representative's own card's key (`cardId` is that card). */
export class RepresentativeDevice {
    constructor(
        readonly device: DeviceKey,
        readonly cardId: string,
    ) {}

    consent(
        f: ActingFor,
        p: {
            serviceId: string;
            recipientMspId: string;
            purpose: string;
            items: DataItem[];
            predicates?: PredicateName[];
            retentionDays: number;
        },
    ): Signed<RepresentativeConsentReceiptDoc> {
        return this.device.sign({
            ...this.device.base(this.cardId),
            ...actingFor(f),
            type: SignedType.REPRESENTATIVE_CONSENT_RECEIPT,
            serviceId: p.serviceId,
            recipientMspId: p.recipientMspId,
            purpose: p.purpose,
            items: p.items,
            predicates: p.predicates ?? [],
            retentionDays: p.retentionDays,
        } as RepresentativeConsentReceiptDoc);
    }

    withdraw(f: ActingFor, consentId: string): Signed<RepresentativeConsentWithdrawalDoc> {
        return this.device.sign({
            ...this.device.base(this.cardId),
            ...actingFor(f),
            type: SignedType.REPRESENTATIVE_CONSENT_WITHDRAWAL,
            consentId,
        } as RepresentativeConsentWithdrawalDoc);
    }

    accessLogRequest(f: ActingFor): Signed<RepresentativeAccessLogListRequestDoc> {
        return this.device.sign({
            ...this.device.base(this.cardId),
            ...actingFor(f),
            type: SignedType.REPRESENTATIVE_ACCESS_LOG_LIST_REQUEST,
        } as RepresentativeAccessLogListRequestDoc);
    }

    /** An objection for the represented citizen (scope object). */
    objection(f: ActingFor, accessId: string, text: string): ObjectionBody {
        return this.device.objection(this.cardId, accessId, text, f);
    }
}

const actingFor = (f: ActingFor) => ({
    representationId: f.representationId,
    representedCardId: f.representedCardId,
    ...(f.minorityToken ? { minorityToken: f.minorityToken } : {}),
});

/** The body of POST /v1/objections: the signed objection (the text's salted hash) and the text with its salt. */
export type ObjectionBody = Signed<ObjectionDoc> & { objectionText: { text: string; salt: string } };

/** The `request` query parameter of the SSE stream: base64url of the signed request's JSON. */
export const encodeStreamRequest = (signed: Signed<AccessLogListRequestDoc>): string =>
    Buffer.from(JSON.stringify(signed)).toString('base64url');
