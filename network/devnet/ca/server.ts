// The devnet's Fabric CA server: Fabric CA v1.5's REST API (lib/server*.go) over TLS, on /api/v1/<x>
// and /<x> as fabric-ca-server serves both: cainfo, enroll, reenroll, register, revoke, gencrl,
// identities (list, get, add, modify). Same JSON envelope, token and Basic authentication,
// attribute rules (lib/attr), max enrollments and error codes (lib/caerrors): authentication
// failures answer 401 code 20 "Authentication failure" and authorization failures 403 code 71
// "Authorization failure" on the wire, the precise reason only in the log, as Fabric CA does.
import 'reflect-metadata';
import * as crypto from 'node:crypto';
import * as https from 'node:https';
import * as x509 from '@peculiar/x509';
import { type LoadedCa, serialNumber, signCertificate } from '../msp/ca';
import { isLowS } from '../../client/signing';
import type { Logger } from '../../client/logger';
import { createCrlDer, crlToPem } from '../msp/crl';
import type { Attribute, Registry, User } from './registry';

/** The Fabric CA version whose API this server reproduces (reported by cainfo). */
export const FABRIC_CA_VERSION = '1.5.21';

// lib/caerrors codes used here.
export const E = {
    Unknown: 0,
    MethodNotAllowed: 1,
    NoAuthHdr: 2,
    EmptyReqBody: 4,
    BadReqBody: 5,
    NotRevoker: 7,
    RevCertNotFound: 8,
    CertWrongOwner: 9,
    RevokeIDNotFound: 10,
    MissingRevokeArgs: 15,
    AuthenticationFailure: 20,
    NoUserPass: 21,
    InvalidUser: 23,
    InvalidPass: 24,
    InvalidToken: 25,
    UntrustedCertificate: 26,
    CertExpired: 27,
    CertRevoked: 28,
    CertNotFound: 30,
    BadCSR: 31,
    NoGenCRLAuth: 35,
    RegAttrAuth: 42,
    CallerNotAffiliated: 44,
    GettingUser: 49,
    DBGet: 63,
    CertAlreadyRevoked: 66,
    AuthorizationFailure: 71,
    PasswordAttempts: 73,
    DupIdentityReg: 74,
    RegistrarRegAuth: 76,
    CNInvalidEnroll: 77,
    InputValidCSR: 80,
    InvalidMaxEnroll: 82,
} as const;

/** An HTTP error as Fabric CA's caerrors.HTTPErr: a local code and message (logged) and a remote one (sent). */
export class CaHttpError extends Error {
    readonly remote: { code: number; message: string };
    constructor(
        readonly status: number,
        readonly code: number,
        message: string,
        remote?: { code: number; message: string },
    ) {
        super(message);
        this.remote = remote ?? { code, message };
    }
}

const authenticationError = (code: number, message: string) =>
    new CaHttpError(401, code, message, { code: E.AuthenticationFailure, message: 'Authentication failure' });
const authorizationError = (code: number, message: string) =>
    new CaHttpError(403, code, message, { code: E.AuthorizationFailure, message: 'Authorization failure' });

/** Attributes of the bootstrap registrar, as fabric-ca-server gives the -b identity. */
export const BOOTSTRAP_ATTRS: Attribute[] = [
    { name: 'hf.GenCRL', value: '1' },
    { name: 'hf.Registrar.Attributes', value: '*' },
    { name: 'hf.AffiliationMgr', value: '1' },
    { name: 'hf.Registrar.Roles', value: '*' },
    { name: 'hf.Registrar.DelegateRoles', value: '*' },
    { name: 'hf.Revoker', value: '1' },
    { name: 'hf.IntermediateCA', value: '1' },
];

const REVOCATION_REASONS: Record<string, number> = {
    unspecified: 0,
    keycompromise: 1,
    cacompromise: 2,
    affiliationchanged: 3,
    superseded: 4,
    cessationofoperation: 5,
    certificatehold: 6,
    removefromcrl: 8,
    privilegewithdrawn: 9,
    aacompromise: 10,
};

const YEAR_MS = 8760 * 3600 * 1000; // Fabric CA's default signing expiry, 8760h
const CRL_EXPIRY_MS = 24 * 3600 * 1000; // crl.expiry default
/** lib/serverenroll.go's CSR length limits. */
const CSR_LIMITS: Record<string, [string, number]> = {
    CN: ['The CN', 64],
    serialNumber: ['The serial number', 64],
    OU: ['The organizational unit name', 64],
    O: ['The organization name', 64],
    C: ['The country name', 2],
    L: ['The locality name', 128],
    ST: ['The state name', 128],
};

export interface CaServerOptions {
    /** Empty for the default CA, as fabric-ca-server without --cafiles. */
    caName: string;
    ca: LoadedCa;
    registry: Registry;
    /** registry.maxenrollments: -1 unlimited (Fabric CA's default). */
    maxEnrollments: number;
    /** cfg.identities.passwordattempts (default 10). */
    passwordAttempts: number;
    logger: Logger;
}

interface Request {
    method: string;
    /** Path and query, as signed in the token (Go's URL.RequestURI()). */
    uri: string;
    authorization?: string;
    body: Buffer;
}

/** A parsed JSON request body; each field is checked where it is used. */
type Body = Record<string, unknown>;

interface Answer {
    status: number;
    result: unknown;
    /** The result's JSON as written, when Fabric CA streams it (the identities list). */
    rawResult?: string;
    headers?: Record<string, string>;
}

// ---- helpers on identities ----

const attrValue = (user: User, name: string): string | undefined => user.attrs.find((a) => a.name === name)?.value;
const listOf = (value: string) =>
    value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
/** Go's strconv.ParseBool. */
function parseBool(value: string): boolean | undefined {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
    return undefined;
}
const isTrue = (user: User, name: string) => parseBool(attrValue(user, name) ?? '') === true;

function setAttr(attrs: Attribute[], attr: Attribute): Attribute[] {
    return [...attrs.filter((a) => a.name !== attr.name), attr];
}

/** lib/attr canRegisterAttr: the name must be in the registrar's hf.Registrar.Attributes (with 'x*' wildcards). */
function canRegisterAttr(name: string, allowed: string[]): void {
    const ok = allowed.some((a) => (a.endsWith('*') ? name.startsWith(a.replace(/\*+$/, '')) : a === name));
    if (!ok) throw new Error(`Attribute is not part of caller's '[${allowed.join(' ')}]' attribute list`);
}

const BOOLEAN_ATTRS = ['hf.Revoker', 'hf.IntermediateCA', 'hf.GenCRL', 'hf.AffiliationMgr'];
const LIST_ATTRS = ['hf.Registrar.Roles', 'hf.Registrar.DelegateRoles', 'hf.Registrar.Attributes'];
const FIXED_ATTRS = ['hf.EnrollmentID', 'hf.Type', 'hf.Affiliation'];

function isSubsetOf(small: string, big: string): void {
    const bigSet = big.split(',').map((s) => s.toLowerCase());
    for (const s of small.split(',')) {
        if (s !== '' && !bigSet.includes(s.toLowerCase())) throw new Error(`'${s}' is not a member of '${big}'`);
    }
}

/** lib/attr CanRegisterRequestedAttributes: may this registrar give these attributes (to `user`, when modifying)? */
export function checkAttributes(requested: Attribute[], registrar: User, user?: User): void {
    for (const attr of requested) {
        const allowedValue = attrValue(registrar, 'hf.Registrar.Attributes') ?? '';
        if (allowedValue === '')
            throw new Error(`Registrar does not have any values for 'hf.Registrar.Attributes' thus can't register any attributes`);
        const allowed = listOf(allowedValue);
        canRegisterAttr(attr.name, allowed);
        const unauthorized = (why: string) => new Error(`Registrar is not authorized to register attribute: ${why}`);
        if (FIXED_ATTRS.includes(attr.name)) throw unauthorized(`Cannot register fixed value attribute '${attr.name}'`);
        if (attr.name.startsWith('hf.') && !BOOLEAN_ATTRS.includes(attr.name) && !LIST_ATTRS.includes(attr.name)) {
            throw new Error(
                `Registering attribute '${attr.name}' using a reserved prefix 'hf.', however this not a supported reserved attribute`,
            );
        }
        if (!BOOLEAN_ATTRS.includes(attr.name) && !LIST_ATTRS.includes(attr.name)) continue;
        const own = attrValue(registrar, attr.name);
        if (own === undefined) throw unauthorized(`Attribute '${attr.name}' requires ownership but the caller does not own this attribute`);
        if (BOOLEAN_ATTRS.includes(attr.name)) {
            if (parseBool(own) !== true) {
                throw unauthorized(
                    `Caller has a value of 'false' for boolean attribute '${attr.name}', can't perform any actions on this attribute`,
                );
            }
            if (attr.value !== '' && parseBool(attr.value) === undefined)
                throw unauthorized(`Failed to get boolean value of '${attr.value}'`);
            continue;
        }
        if (attr.value === '') continue;
        if (attr.name === 'hf.Registrar.Attributes') {
            for (const v of listOf(attr.value)) {
                canRegisterAttr(v, listOf(own));
                if (v.startsWith('hf.') && !requested.some((a) => a.name === v) && !(user && attrValue(user, v) !== undefined)) {
                    throw unauthorized(
                        `Requesting value of '${v}' for 'hf.Registrar.Attributes', but the identity being registered is not being registered with this attribute`,
                    );
                }
            }
            continue;
        }
        if (!listOf(own).includes('*')) {
            try {
                isSubsetOf(attr.value, own);
            } catch (e) {
                throw unauthorized(
                    `The requested values for attribute '${attr.name}' is a superset of the caller's attribute value: ${(e as Error).message}`,
                );
            }
        }
        if (attr.name === 'hf.Registrar.DelegateRoles') {
            const roles =
                requested.find((a) => a.name === 'hf.Registrar.Roles')?.value ??
                (user ? (attrValue(user, 'hf.Registrar.Roles') ?? '') : '');
            if (!listOf(roles).includes('*')) {
                try {
                    isSubsetOf(attr.value, roles);
                } catch {
                    throw unauthorized('The delegateRoles field is a superset of roles');
                }
            }
        }
    }
}

/** May the caller act on identities of this type (hf.Registrar.Roles)? */
function canActOnType(caller: User, type: string): boolean {
    const roles = listOf(attrValue(caller, 'hf.Registrar.Roles') ?? '');
    if (roles.length === 0) return false;
    return roles.includes('*') || roles.some((r) => r.toLowerCase() === (type || 'client').toLowerCase());
}

/** The caller's affiliation must contain the identity's (the root affiliation "" contains all). */
function containsAffiliation(caller: User, affiliation: string): boolean {
    return caller.affiliation === '' || affiliation === caller.affiliation || affiliation.startsWith(`${caller.affiliation}.`);
}

function canManage(caller: User, user: User): void {
    if (!canActOnType(caller, user.type))
        throw authorizationError(E.CallerNotAffiliated, `Registrar does not have authority to act on type '${user.type}'`);
    if (!containsAffiliation(caller, user.affiliation))
        throw authorizationError(E.CallerNotAffiliated, `Caller does not have authority to act on affiliation '${user.affiliation}'`);
}

const identityInfo = (u: User) => ({
    id: u.id,
    type: u.type,
    affiliation: u.affiliation,
    attrs: u.attrs,
    max_enrollments: u.maxEnrollments,
});

/** Hex as Fabric CA stores serials and AKIs: lower case, no leading zeros, no colons. */
const normalizeHex = (s: string) => s.toLowerCase().replace(/:/g, '').replace(/^0+/, '');

function hexOf(cert: crypto.X509Certificate): { serial: string; aki: string } {
    const parsed = new x509.X509Certificate(cert.raw);
    const aki = parsed.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId ?? '';
    return { serial: normalizeHex(cert.serialNumber), aki: normalizeHex(aki) };
}

function commonName(subject: string): string {
    return (
        subject
            .split('\n')
            .find((l) => l.startsWith('CN='))
            ?.slice(3) ?? ''
    );
}

// ---- the service ----

export class CaService {
    readonly #o: CaServerOptions;
    readonly #caX509: crypto.X509Certificate;

    constructor(options: CaServerOptions) {
        this.#o = options;
        this.#caX509 = new crypto.X509Certificate(options.ca.pem);
    }

    /** `caname` as Fabric CA's responses carry it: omitted when empty. */
    #caname(): { caname?: string } {
        return this.#o.caName ? { caname: this.#o.caName } : {};
    }

    /** Registers the bootstrap registrar if the database does not know it yet (fabric-ca-server -b). */
    bootstrap(id: string, secret: string): void {
        if (this.#o.registry.getUser(id)) return;
        this.#o.registry.insertUser({ id, type: 'client', affiliation: '', attrs: BOOTSTRAP_ATTRS, maxEnrollments: -1 }, secret);
    }

    caInfo(): Record<string, string> {
        return {
            CAName: this.#o.caName,
            CAChain: Buffer.from(this.#o.ca.pem).toString('base64'),
            IssuerPublicKey: '',
            IssuerRevocationPublicKey: '',
            Version: FABRIC_CA_VERSION,
        };
    }

    async handle(req: Request): Promise<Answer> {
        const route = /^\/(?:api\/v1\/)?(cainfo|enroll|reenroll|register|revoke|gencrl|identities)(?:\/([^/?]+))?\/?(?:\?.*)?$/.exec(
            req.uri,
        );
        if (!route) return { status: 404, result: undefined };
        const [, endpoint, param] = route;
        const methods: Record<string, string[]> = {
            cainfo: ['GET', 'POST', 'HEAD'],
            enroll: ['POST'],
            reenroll: ['POST'],
            register: ['POST'],
            revoke: ['POST'],
            gencrl: ['POST'],
            identities: param ? ['GET', 'PUT'] : ['GET', 'POST'],
        };
        if (!methods[endpoint].includes(req.method)) throw new CaHttpError(405, E.MethodNotAllowed, `Method ${req.method} is not allowed`);
        switch (endpoint) {
            case 'cainfo':
                return { status: 200, result: this.caInfo() };
            case 'enroll':
                return this.#enroll(req);
            case 'reenroll': {
                const caller = await this.#tokenAuth(req);
                return { status: 201, result: await this.#issue(caller, this.#body(req)) };
            }
            case 'register':
                return this.#register(req);
            case 'revoke':
                return this.#revoke(req);
            case 'gencrl':
                return this.#gencrl(req);
            default:
                return this.#identities(req, param ? decodeURIComponent(param) : undefined);
        }
    }

    #body(req: Request): Body {
        if (req.body.length === 0) throw new CaHttpError(400, E.EmptyReqBody, 'Empty request body');
        try {
            const parsed = JSON.parse(req.body.toString('utf8'));
            if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the body is not a JSON object');
            return parsed;
        } catch (e) {
            throw new CaHttpError(400, E.BadReqBody, `Invalid request body: ${(e as Error).message}; body=${req.body.toString('utf8')}`);
        }
    }

    /** BasicAuthentication + Login (lib/serverrequestcontext.go, lib/server/user/user.go). */
    #basicAuth(req: Request): User {
        if (!req.authorization) throw new CaHttpError(401, E.NoAuthHdr, 'No authorization header');
        const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(req.authorization);
        const decoded = m ? Buffer.from(m[1], 'base64').toString('utf8') : '';
        const colon = decoded.indexOf(':');
        if (colon < 0) throw authenticationError(E.NoUserPass, 'No user/pass in authorization header');
        const [id, secret] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
        const registry = this.#o.registry;
        const user = registry.getUser(id);
        if (!user) throw authenticationError(E.InvalidUser, `Failed to get user: Failed to get User: sql: no rows in result set`);
        const attempts = this.#o.passwordAttempts;
        if (attempts > 0 && user.incorrectPasswordAttempts === attempts) {
            throw new CaHttpError(
                401,
                E.PasswordAttempts,
                `Incorrect password entered ${attempts} times, max incorrect password limit of ${attempts} reached`,
            );
        }
        if (!registry.checkSecret(id, secret)) throw authenticationError(E.InvalidPass, 'Login failure: Password mismatch');
        if (user.maxEnrollments === 0)
            throw authenticationError(E.InvalidPass, `Login failure: Zero is an invalid value for maximum enrollments on identity '${id}'`);
        if (user.state === -1) throw authenticationError(E.InvalidPass, `Login failure: User ${id} is revoked; access denied`);
        const caMax = this.#o.maxEnrollments;
        const max = caMax !== -1 && (user.maxEnrollments > caMax || user.maxEnrollments === -1) ? caMax : user.maxEnrollments;
        if (max !== -1 && user.state >= max) {
            throw authenticationError(
                E.InvalidPass,
                `Login failure: The identity ${id} has already enrolled ${max} times, it has reached its maximum enrollment allowance`,
            );
        }
        return user;
    }

    /** TokenAuthentication + verifyX509Token (lib/serverrequestcontext.go, util.VerifyToken). */
    async #tokenAuth(req: Request): Promise<User> {
        if (!req.authorization) throw new CaHttpError(401, E.NoAuthHdr, 'No authorization header');
        const invalid = (why: string) => authenticationError(E.InvalidToken, `Invalid token in authorization header: ${why}`);
        const parts = req.authorization.split('.');
        if (parts.length !== 2) throw invalid(`Invalid token format; expecting 2 parts separated by '.'`);
        const [b64cert, b64sig] = parts;
        let cert: crypto.X509Certificate;
        try {
            cert = new crypto.X509Certificate(Buffer.from(b64cert, 'base64'));
        } catch (e) {
            throw invalid(`Error in parsing x509 certificate given block bytes: ${(e as Error).message}`);
        }
        const sig = Buffer.from(b64sig, 'base64');
        const signed = `${req.method}.${Buffer.from(req.uri).toString('base64')}.${req.body.toString('base64')}.${b64cert}`;
        let valid = false;
        try {
            // BCCSP refuses high-S signatures, as Fabric does everywhere.
            valid = isLowS(sig) && crypto.verify('sha256', Buffer.from(signed), cert.publicKey, sig);
        } catch {
            valid = false;
        }
        if (!valid) throw invalid('Token signature validation failed');
        const now = Date.now();
        if (!cert.checkIssued(this.#caX509) || !cert.verify(this.#caX509.publicKey)) {
            throw authenticationError(
                E.UntrustedCertificate,
                'Untrusted certificate: Failed to verify certificate: x509: certificate signed by unknown authority',
            );
        }
        if (now < Date.parse(cert.validFrom) || now > Date.parse(cert.validTo)) {
            throw authenticationError(E.CertExpired, 'The certificate in the authorization header is a revoked or expired certificate');
        }
        const { serial, aki } = hexOf(cert);
        const record = this.#o.registry.getCertificate(serial, aki);
        if (!record) throw authenticationError(E.CertNotFound, `Certificate not found with AKI '${aki}' and serial '${serial}'`);
        if (record.status === 'revoked')
            throw authenticationError(E.CertRevoked, 'The certificate in the authorization header is a revoked certificate');
        const caller = this.#o.registry.getUser(commonName(cert.subject));
        if (!caller) throw authenticationError(E.GettingUser, 'Failed to get user');
        return caller;
    }

    async #enroll(req: Request): Promise<Answer> {
        const user = this.#basicAuth(req);
        const result = await this.#issue(user, this.#body(req));
        this.#o.registry.countEnrollment(user.id);
        return { status: 201, result };
    }

    /** handleEnroll + processSignRequest: check the CSR, sign it, record the certificate. */
    async #issue(user: User, body: Body): Promise<Record<string, unknown>> {
        const pem = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(String(body.certificate_request ?? ''));
        if (!pem) throw new CaHttpError(400, E.BadCSR, 'CSR Decode failed');
        if (pem[1] !== 'CERTIFICATE REQUEST' && pem[1] !== 'NEW CERTIFICATE REQUEST') {
            throw new CaHttpError(500, E.Unknown, '{"code":9300,"message":"not a certificate or csr"}');
        }
        let csr: x509.Pkcs10CertificateRequest;
        try {
            csr = new x509.Pkcs10CertificateRequest(Buffer.from(pem[2].replace(/\s+/g, ''), 'base64'));
        } catch (e) {
            throw new CaHttpError(500, E.Unknown, `asn1: structure error: ${(e as Error).message}`);
        }
        const names = csr.subjectName.toJSON();
        const cn = names.flatMap((n) => n.CN ?? []);
        if (cn.length !== 1 || cn[0] !== user.id)
            throw new CaHttpError(403, E.CNInvalidEnroll, 'The CSR subject common name must equal the enrollment ID');
        for (const rdn of names) {
            for (const [type, values] of Object.entries(rdn)) {
                const limit = CSR_LIMITS[type];
                for (const v of values) {
                    if (limit && v.length > limit[1]) {
                        throw new CaHttpError(
                            400,
                            E.InputValidCSR,
                            `CSR input validation failed: ${limit[0]} '${v}' exceeds the maximum character limit of ${limit[1]}`,
                        );
                    }
                }
            }
        }
        if (!(await csr.verify())) throw new CaHttpError(500, E.Unknown, '{"code":2400,"message":"Signature verification failed"}');
        // Attributes: those requested, or by default every attribute registered with ecert=true.
        let attrs: Record<string, string> | undefined;
        const reqs = body.attr_reqs as { name: string; optional?: boolean }[] | undefined | null;
        if (Array.isArray(reqs)) {
            attrs = {};
            const missing: string[] = [];
            for (const r of reqs) {
                const value = attrValue(user, String(r?.name));
                if (value !== undefined) attrs[r.name] = value;
                else if (!r?.optional) missing.push(String(r?.name));
            }
            if (missing.length > 0) {
                throw new CaHttpError(
                    500,
                    E.Unknown,
                    `Failed to find requested attributes: The following required attributes are missing: [${missing.join(' ')}]`,
                );
            }
        } else {
            const ecert = user.attrs.filter((a) => a.ecert);
            if (ecert.length > 0) attrs = Object.fromEntries(ecert.map((a) => [a.name, a.value]));
        }
        if (attrs) attrs = Object.fromEntries(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : 1))); // Go marshals maps sorted
        // Subject: the CSR's C, ST, L, O; OU = the identity's type then its affiliation path; CN = the id.
        const keep = ['C', 'ST', 'L', 'O', 'serialNumber'];
        const subject: x509.JsonName = names.filter((rdn) => Object.keys(rdn).some((k) => keep.includes(k)));
        subject.push({ OU: [user.type] });
        for (const aff of user.affiliation ? user.affiliation.split('.') : []) subject.push({ OU: [aff] });
        subject.push({ CN: [user.id] });
        // Hosts: the request's, else the CSR's subject alternative names.
        const hosts = Array.isArray(body.hosts)
            ? (body.hosts as string[])
            : csr.extensions
                  .filter((e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension)
                  .flatMap((e) => e.names.items.map((n) => n.value));
        const isIp = (h: string) => /^[\d.]+$/.test(h) || h.includes(':');
        const caX509 = this.#caX509;
        const notAfter = Math.min(Math.round(Date.now() / 60_000) * 60_000 + YEAR_MS, Date.parse(caX509.validTo));
        const cert = await signCertificate(this.#o.ca, await csr.publicKey.export(), {
            subject,
            attrs,
            hosts: { dnsNames: hosts.filter((h) => !isIp(h)), ips: hosts.filter(isIp) },
            notBefore: new Date(caX509.validFrom),
            notAfter: new Date(notAfter),
            serialNumber: `${serialNumber()}${crypto.randomBytes(4).toString('hex')}`,
        });
        const certPem = `${cert.toString('pem')}\n`;
        const ids = hexOf(new crypto.X509Certificate(certPem));
        this.#o.registry.insertCertificate({
            serial: ids.serial,
            aki: ids.aki,
            id: user.id,
            notAfter: new Date(notAfter).toISOString(),
            pem: certPem,
        });
        this.#o.logger.info('certificate_issued', { id: user.id, serial: ids.serial, attrs: attrs ? Object.keys(attrs) : [] });
        return { Cert: Buffer.from(certPem).toString('base64'), ServerInfo: this.caInfo() };
    }

    async #register(req: Request): Promise<Answer> {
        const body = this.#body(req);
        const caller = await this.#tokenAuth(req);
        const { user, secret } = this.#newIdentity(caller, body, 'Registration');
        return { status: 201, result: { secret }, headers: { Location: `/api/v1/identities/${encodeURIComponent(user.id)}` } };
    }

    /** registerUser: normalise, check the registrar's authority, insert. */
    #newIdentity(caller: User, body: Body, what: string): { user: User; secret: string } {
        const id = String(body.id ?? '');
        let affiliation = typeof body.affiliation === 'string' ? body.affiliation : '';
        if (affiliation === '') affiliation = caller.affiliation;
        else if (affiliation === '.') affiliation = '';
        const type = typeof body.type === 'string' && body.type !== '' ? body.type : caller.type;
        const attrs: Attribute[] = Array.isArray(body.attrs)
            ? (body.attrs as Attribute[]).map((a) => ({
                  name: String(a?.name),
                  value: String(a?.value ?? ''),
                  ...(a?.ecert ? { ecert: true } : {}),
              }))
            : [];
        const denied = () => authorizationError(E.RegistrarRegAuth, `${what} of '${id}' failed`);
        if (!canActOnType(caller, type)) throw denied();
        if (!containsAffiliation(caller, affiliation)) throw denied();
        try {
            checkAttributes(attrs, caller);
        } catch (e) {
            this.#o.logger.info('registration_refused', { registrar: caller.id, id, reason: (e as Error).message });
            throw denied();
        }
        const maxEnrollments = this.#maxEnrollments(Number(body.max_enrollments ?? 0));
        if (this.#o.registry.getUser(id)) throw new CaHttpError(409, E.DupIdentityReg, `Identity '${id}' is already registered`);
        const secret = typeof body.secret === 'string' && body.secret !== '' ? body.secret : crypto.randomBytes(9).toString('base64url');
        const all = [
            ...attrs,
            { name: 'hf.EnrollmentID', value: id, ecert: true },
            { name: 'hf.Type', value: type, ecert: true },
            { name: 'hf.Affiliation', value: affiliation, ecert: true },
        ];
        const user = { id, type, affiliation, attrs: all, maxEnrollments };
        this.#o.registry.insertUser(user, secret);
        this.#o.logger.info('identity_registered', { registrar: caller.id, id, type });
        return { user: { ...user, state: 0, incorrectPasswordAttempts: 0 }, secret };
    }

    /** lib/util.go getMaxEnrollments. */
    #maxEnrollments(requested: number): number {
        const caMax = this.#o.maxEnrollments;
        if (!Number.isInteger(requested) || requested < -1) {
            throw new CaHttpError(
                400,
                E.InvalidMaxEnroll,
                `Max enrollment in registration request may not be less than -1, but was ${requested}`,
            );
        }
        if (caMax === -1) return requested === 0 ? -1 : requested;
        if (caMax === 0) throw new CaHttpError(400, E.InvalidMaxEnroll, 'Registration is disabled');
        if (requested === -1) throw new CaHttpError(400, E.InvalidMaxEnroll, 'Registration for infinite enrollments is not allowed');
        if (requested === 0) return caMax;
        if (requested > caMax) {
            throw new CaHttpError(
                400,
                E.InvalidMaxEnroll,
                `Requested enrollments (${requested}) exceeds maximum allowable enrollments (${caMax})`,
            );
        }
        return requested;
    }

    async #revoke(req: Request): Promise<Answer> {
        const body = this.#body(req);
        const caller = await this.#tokenAuth(req);
        const registry = this.#o.registry;
        const serial = normalizeHex(String(body.serial ?? ''));
        const aki = normalizeHex(String(body.aki ?? ''));
        const name = String(body.id ?? '');
        const reason = REVOCATION_REASONS[String(body.reason ?? '').toLowerCase()] ?? 0;
        const checkRevoker = (owner: string) => {
            if (caller.id !== owner && !isTrue(caller, 'hf.Revoker'))
                throw authorizationError(E.NotRevoker, 'Caller does not have authority to revoke');
        };
        const revoked: { Serial: string; AKI: string }[] = [];
        if (serial !== '' && aki !== '') {
            const cert = registry.getCertificate(serial, aki);
            if (!cert) {
                throw new CaHttpError(
                    404,
                    E.RevCertNotFound,
                    `Certificate with serial ${serial} and AKI ${aki} was not found: sql: no rows in result set`,
                );
            }
            checkRevoker(cert.id);
            if (cert.status === 'revoked')
                throw new CaHttpError(404, E.CertAlreadyRevoked, `Certificate with serial ${serial} and AKI ${aki} was already revoked`);
            if (name !== '' && name !== cert.id)
                throw new CaHttpError(400, E.CertWrongOwner, `Certificate with serial ${serial} and AKI ${aki} is not owned by ${name}`);
            const owner = registry.getUser(cert.id);
            if (!owner)
                throw new CaHttpError(
                    404,
                    E.RevokeIDNotFound,
                    `Identity ${cert.id} was not found: Failed to get User: sql: no rows in result set`,
                );
            if (owner.id !== caller.id) canManage(caller, owner);
            registry.revokeCertificate(serial, aki, reason);
            revoked.push({ Serial: serial, AKI: aki });
        } else if (name !== '') {
            checkRevoker(name);
            const user = registry.getUser(name);
            if (!user)
                throw new CaHttpError(
                    404,
                    E.RevokeIDNotFound,
                    `Identity ${name} was not found: Failed to get User: sql: no rows in result set`,
                );
            if (user.id !== caller.id) canManage(caller, user);
            registry.revokeUser(name);
            for (const c of registry.revokeCertificatesOf(name, reason)) revoked.push({ Serial: c.serial, AKI: c.aki });
        } else {
            throw new CaHttpError(400, E.MissingRevokeArgs, 'Either Name or Serial and AKI are required for a revoke request');
        }
        this.#o.logger.info('revoked', { revoker: caller.id, id: name || undefined, certificates: revoked.length });
        const crl = body.gencrl === true && revoked.length > 0 ? Buffer.from(await this.crlPem()).toString('base64') : '';
        return { status: 200, result: { RevokedCerts: revoked.length > 0 ? revoked : null, CRL: crl } };
    }

    /**
     * The CA's CRL, as fabric-ca-server's gencrl writes it (lib/servergencrl.go): every revoked
     * certificate (revoked_at and expiry unfiltered, as gencrl without --revokedafter/--expireafter),
     * nextUpdate = now + crl.expiry, PEM "X509 CRL".
     */
    async crlPem(): Promise<string> {
        const now = new Date();
        const der = await createCrlDer({
            caCert: new crypto.X509Certificate(this.#o.ca.pem),
            caKey: this.#o.ca.key,
            revoked: this.#o.registry.revokedCertificates().map((c) => ({ serial: c.serial, revokedAt: new Date(c.revokedAt as string) })),
            thisUpdate: now,
            nextUpdate: new Date(now.getTime() + CRL_EXPIRY_MS),
        });
        return crlToPem(der);
    }

    async #gencrl(req: Request): Promise<Answer> {
        const caller = await this.#tokenAuth(req);
        if (!isTrue(caller, 'hf.GenCRL')) {
            throw authorizationError(E.NoGenCRLAuth, `The identity '${caller.id}' does not have authority to generate a CRL`);
        }
        return { status: 200, result: { CRL: Buffer.from(await this.crlPem()).toString('base64') } };
    }

    async #identities(req: Request, id: string | undefined): Promise<Answer> {
        // POST and PUT read their body before authenticating, as Fabric CA does.
        const body = req.method === 'GET' ? {} : this.#body(req);
        const caller = await this.#tokenAuth(req);
        if (listOf(attrValue(caller, 'hf.Registrar.Roles') ?? '').length === 0) {
            throw authorizationError(E.RegAttrAuth, `'${caller.id}' is not allowed to manage users`);
        }
        const registry = this.#o.registry;
        if (id === undefined && req.method === 'GET') {
            // Revoked identities are not listed, as Fabric CA's GetFilteredUsers.
            const visible = registry
                .listUsers()
                .filter((u) => u.state !== -1 && canActOnType(caller, u.type) && containsAffiliation(caller, u.affiliation));
            // Streamed by Fabric CA: {"identities":[…], "caname":"…"} (sic, with the space).
            const items = visible.map((u) => JSON.stringify(identityInfo(u))).join(',');
            return { status: 200, result: undefined, rawResult: `{"identities":[${items}], "caname":${JSON.stringify(this.#o.caName)}}` };
        }
        if (id === undefined) {
            // fabric-ca-client sends the identity's fields at the top level (AddIdentityRequest).
            const { user, secret } = this.#newIdentity(caller, body, 'Registration');
            return { status: 201, result: { ...identityInfo(user), secret, ...this.#caname() } };
        }
        const user = registry.getUser(id);
        if (!user) throw new CaHttpError(404, E.DBGet, 'Failed to get User: sql: no rows in result set');
        canManage(caller, user);
        if (req.method === 'GET') return { status: 200, result: { ...identityInfo(user), ...this.#caname() } };
        // PUT: modify what is given; an attribute with an empty value is removed.
        const changed: User = { ...user };
        if (typeof body.type === 'string' && body.type !== '') {
            if (!canActOnType(caller, body.type))
                throw authorizationError(E.CallerNotAffiliated, `Registrar does not have authority to act on type '${body.type}'`);
            changed.type = body.type;
            changed.attrs = setAttr(changed.attrs, { name: 'hf.Type', value: body.type, ecert: true });
        }
        if (typeof body.affiliation === 'string' && body.affiliation !== '') {
            const affiliation = body.affiliation === '.' ? '' : body.affiliation;
            if (!containsAffiliation(caller, affiliation)) {
                throw authorizationError(E.CallerNotAffiliated, `Caller does not have authority to act on affiliation '${affiliation}'`);
            }
            changed.affiliation = affiliation;
            changed.attrs = setAttr(changed.attrs, { name: 'hf.Affiliation', value: affiliation, ecert: true });
        }
        if (Array.isArray(body.attrs)) {
            const requested = (body.attrs as Attribute[]).map((a) => ({
                name: String(a?.name),
                value: String(a?.value ?? ''),
                ...(a?.ecert ? { ecert: true } : {}),
            }));
            try {
                checkAttributes(requested, caller, user);
            } catch (e) {
                throw authorizationError(E.RegAttrAuth, `Failed to modify identity: ${(e as Error).message}`);
            }
            for (const a of requested) {
                changed.attrs = a.value === '' ? changed.attrs.filter((x) => x.name !== a.name) : setAttr(changed.attrs, a);
            }
        }
        if (Number(body.max_enrollments ?? 0) !== 0) changed.maxEnrollments = this.#maxEnrollments(Number(body.max_enrollments));
        registry.updateUser(changed, typeof body.secret === 'string' && body.secret !== '' ? body.secret : undefined);
        this.#o.logger.info('identity_modified', { registrar: caller.id, id });
        const secret = typeof body.secret === 'string' && body.secret !== '' ? { secret: body.secret } : {};
        return { status: 200, result: { ...identityInfo(changed), ...secret, ...this.#caname() } };
    }
}

/** Fabric CA's response envelope, byte for byte: {"result":…\n,"errors":[…\n],"messages":[],"success":…}. */
export function envelope(result: unknown, error?: { code: number; message: string }, rawResult?: string): string {
    const resultJson = rawResult ?? (result === undefined ? '""' : `${JSON.stringify(result)}\n`);
    const errors = error ? `${JSON.stringify(error)}\n` : '';
    return `{"result":${resultJson},"errors":[${errors}],"messages":[],"success":${error ? 'false' : 'true'}}`;
}

export interface CaServer {
    server: https.Server;
    service: CaService;
    listen(port: number, host: string): Promise<number>;
    close(): Promise<void>;
}

/** The HTTPS server around a CaService; every request is logged with its local code and message. */
export function createCaServer(service: CaService, tls: { cert: string | Buffer; key: string | Buffer }, logger: Logger): CaServer {
    const server = https.createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
            const request: Request = {
                method: req.method ?? 'GET',
                uri: req.url ?? '/',
                authorization: req.headers.authorization,
                body: Buffer.concat(chunks),
            };
            service
                .handle(request)
                .then(
                    (answer) => {
                        if (answer.status === 404 && answer.result === undefined && answer.rawResult === undefined) {
                            res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
                            return res.end('404 page not found\n');
                        }
                        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
                        res.end(envelope(answer.result, undefined, answer.rawResult));
                        logger.info('request', { method: request.method, uri: request.uri, status: answer.status, code: 0 });
                    },
                    (err: unknown) => {
                        const e = err instanceof CaHttpError ? err : new CaHttpError(500, E.Unknown, (err as Error).message ?? String(err));
                        res.writeHead(e.status, { 'Content-Type': 'application/json' });
                        res.end(envelope(undefined, e.remote));
                        logger.info('request', {
                            method: request.method,
                            uri: request.uri,
                            status: e.status,
                            code: e.code,
                            reason: e.message,
                        });
                    },
                )
                .catch(() => res.destroy());
        });
    });
    return {
        server,
        service,
        listen: (port, host) =>
            new Promise((resolve, reject) => {
                server.once('error', reject);
                server.listen(port, host, () => {
                    server.off('error', reject);
                    const a = server.address();
                    resolve(typeof a === 'object' && a ? a.port : port);
                });
            }),
        close: () =>
            new Promise((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
