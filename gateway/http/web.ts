// The browser UIs: the citizen's data tracker (/tracker/, at the issuer org's gateway) and the
// auditor's console (/console/). Static pages from the Vite build (dist/web) under a strict CSP,
// and one same-origin API per UI that authenticates the way a browser should, with no shared
// secret in any page:
// - tracker: the citizen signs the gateway's one-time challenge with the device key (the chaincode
//   verifies it against the card); the session may then call the citizen routes for that card
//   only, as the gateway's citizen-agent identity. Everything that changes the ledger is a
//   document signed in the browser, which no gateway can forge.
// - console: the auditor types the app's own API key once; it is exchanged for a session. Its
//   writes are the audit office's decisions (findings, reviews, seals, blocks), as that app.
// - the public transparency page (/transparency/): no session, it reads /public/transparency.
// Sessions live in memory (a restart signs everyone out), in an HttpOnly, SameSite=Strict cookie.
import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import helmet from 'helmet';
import { Type, type ClassConstructor } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsOptional, IsString, Matches, ValidateNested } from 'class-validator';
import { JSONSchema } from 'class-validator-jsonschema';
import { ID_PATTERN, MSP_ID_PATTERN, SignedAuthChallenge } from '../../chaincode/model';
import type { App, AppStore } from '../auth/store';
import type { GatewayStore, SessionMap } from '../store/store';
import { ProblemError, unauthorized } from '../errors';
import { CHAINCODE_FN as F, type ChaincodeFn } from '../../chaincode/surface';
import type { FabricLayer } from '../fabric/types';
import { CardAuthentication } from './answers';
import { orNull } from './schemas';
import { dispatcher, type DispatchDeps, type Problems, type RouteSpec } from './route';
import { STREAM_PATH } from './sse';
import { validateInto } from './validate';

/** The Vite build: dist/web next to dist/gateway. */
export const WEB_DIR = path.resolve(__dirname, '..', '..', 'web');

/** Routes a tracker session may call (always for its own card). */
export const TRACKER_OPERATIONS = [
    'getCard',
    'listCardConsents',
    'listServices',
    'getService',
    'grantConsent',
    'withdrawConsent',
    'reportLostDevice',
    'listMyAccessLog',
    // A legal representative's view and acts (documents signed by the representative's own key), the child's own minority.
    'listMyRepresentations',
    'grantConsentAsRepresentative',
    'withdrawConsentAsRepresentative',
    'listAccessLogAsRepresentative',
    'myMinority',
    'endMinority',
    // Objections to the card's entries, and their findings.
    'fileObjection',
    'listCardObjections',
];

/** Routes a console session may call (the chaincode still checks the app's role). */
export const CONSOLE_OPERATIONS = [
    // The audit office's work: objections and their findings, break-glass review cases, seals, blocks.
    'listObjections',
    'getObjection',
    'readObjectionText',
    'recordFinding',
    'listDepartmentObjections',
    'listReviews',
    'getReview',
    'decideReview',
    'getBreakGlassStatus',
    'clearBreakGlassBlock',
    'getSeal',
    'extendSeal',
    'getPolicy',
    'transparencyReport',
    'auditAccess',
    'auditAccessCounts',
    'auditHistory',
    'getAccessEntry',
    'listCardAccessLog',
    'getConsent',
    'getService',
    'listServices',
    'getCard',
    'transactionProof',
    'chainInfo',
    'listBlocks',
    'getBlock',
];

export type WebUi = 'tracker' | 'console';

/** The UIs a gateway serves: the console everywhere, the tracker at the issuer org only. */
export const webUisOf = (issuer: boolean): WebUi[] => (issuer ? ['tracker', 'console'] : ['console']);

/** The /v1 routes each UI's session may call, under /{ui}/api. */
export const UI_OPERATIONS: Record<WebUi, string[]> = { tracker: TRACKER_OPERATIONS, console: CONSOLE_OPERATIONS };

/** The session cookie of each UI (HttpOnly, SameSite=Strict, Path=/{ui}/api). */
export const SESSION_COOKIE: Record<WebUi, string> = { tracker: 'cc_tracker', console: 'cc_console' };

/** Scripts, styles, images and connections from this origin only; no inline code, no frames. */
const STRICT_CSP = helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        manifestSrc: ["'self'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
    },
});

interface Session {
    app: App;
    /** The tracker's signed-in card. */
    cardId?: string;
    /** The card's device key when the session was opened: a re-bound card ends the session. */
    devicePublicKey?: string;
}

/** How often a tracker session looks whether its card was re-bound to another device (a ledger read). */
export const DEVICE_CHECK_MS = 10_000;

/** The card's device key, read as the tracker's identity. */
async function deviceKeyOf(deps: WebDeps, identity: string, cardId: string): Promise<string> {
    const bytes = await deps.fabric.evaluate(identity, { fn: F.getCard, args: [JSON.stringify({ cardId })] });
    return (JSON.parse(Buffer.from(bytes).toString('utf8')) as { devicePublicKey: string }).devicePublicKey;
}

class ChallengeBody {
    @IsString() @Matches(ID_PATTERN) cardId!: string;
}

class ApiKeyBody {
    @IsString() @Matches(/^ck_[A-Za-z0-9_-]{8,200}$/) apiKey!: string;
}

// The answers of the session APIs, declared as classes so that the OpenAPI document describes them
// as it does the request DTOs (and a test checks each real answer against its class).
export class SessionAppView {
    @IsString() name!: string;
    @IsString() role!: string;
    @IsOptional() @IsString() dept?: string;
}

export class SessionView {
    @IsIn(['tracker', 'console']) ui!: WebUi;
    @Matches(MSP_ID_PATTERN) mspId!: string;
    @IsArray() @Matches(MSP_ID_PATTERN, { each: true }) orgs!: string[];
    /** A tracker session's card. */
    @IsOptional() @Matches(ID_PATTERN) cardId?: string;
    /** A console session's app. */
    @IsOptional() @ValidateNested() @Type(() => SessionAppView) app?: SessionAppView;
}

// Always present, null when nobody is signed in (schemas.ts orNull).
@JSONSchema({ required: ['session'] })
export class SessionAnswer {
    @IsOptional()
    @ValidateNested()
    @Type(() => SessionView)
    @JSONSchema((ref) => orNull(ref))
    session!: SessionView | null;
}

export class SessionChallengeAnswer {
    /** The nonce the device signs in an AuthChallenge (one use): 24 random bytes, base64url. */
    @Matches(/^[A-Za-z0-9_-]{32}$/) challenge!: string;
    @Matches(MSP_ID_PATTERN) verifierMspId!: string;
    @IsInt() expiresInSeconds!: number;
}

export class TrackerSignInAnswer {
    @ValidateNested() @Type(() => SessionView) session!: SessionView;
    @ValidateNested() @Type(() => CardAuthentication) verification!: CardAuthentication;
}

export class ConsoleSignInAnswer {
    @ValidateNested() @Type(() => SessionView) session!: SessionView;
}

function cookieOf(req: Request, name: string): string | undefined {
    for (const part of (req.get('Cookie') ?? '').split(';')) {
        const [k, ...v] = part.trim().split('=');
        if (k === name) return v.join('=');
    }
    return undefined;
}

const forbidden = (code: string, detail: string) => new ProblemError({ status: 403, code, title: 'Forbidden', detail });

export interface WebDeps {
    mspId: string;
    /** Every org of the channel (the console's org choices). */
    orgs: string[];
    /** True at the issuer org: the tracker is served there. */
    issuer: boolean;
    /** The Fabric identity the tracker calls the chaincode with (role citizen-agent). */
    trackerIdentity: string;
    fabric: FabricLayer;
    apps: AppStore;
    dispatch: DispatchDeps;
    routes: RouteSpec[];
    /** The access-log stream's rate limit and SSE handler. */
    stream: RequestHandler[];
    /** The per-app token bucket charge of a route (limits.ts). */
    limit(r: RouteSpec): RequestHandler;
    /** The per-address refusal of requests without a valid session, or undefined. */
    anonymousRefusal(req: Request): Promise<ProblemError | undefined>;
    /** Where the sessions and challenges are kept: in the process (SQLite), or shared by replicas (PostgreSQL). */
    store: GatewayStore;
    jsonBody: RequestHandler;
    sessionTtlMs?: number;
    /** How often a tracker session re-reads its card's device key (default DEVICE_CHECK_MS). */
    deviceCheckMs?: number;
    webDir?: string;
}

/** Mounts /tracker/, /console/, their APIs and the shared assets on app. */
export function mountWebUis(app: express.Express, deps: WebDeps): void {
    const webDir = deps.webDir ?? WEB_DIR;
    const ttl = deps.sessionTtlMs ?? 30 * 60_000;
    app.use('/ui/assets', STRICT_CSP, express.static(path.join(webDir, 'assets'), { immutable: true, maxAge: '1y', index: false }));
    const page = (name: string) => (_req: Request, res: Response, next: NextFunction) => {
        res.locals.route = `/${name}/`;
        const file = path.join(webDir, name, 'index.html');
        if (!fs.existsSync(file)) {
            return next(
                new ProblemError({
                    status: 503,
                    code: 'UI_NOT_BUILT',
                    title: 'Not built',
                    detail: 'the web UI is not built: npm run build',
                }),
            );
        }
        res.set('Cache-Control', 'no-cache');
        res.sendFile(file);
    };
    // The public transparency report's page: no session, no API (it reads /public/transparency).
    app.get('/transparency', STRICT_CSP, (req, res, next) => {
        if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, '/transparency/');
        page('transparency')(req, res, next);
    });
    for (const ui of webUisOf(deps.issuer)) {
        app.get(`/${ui}`, STRICT_CSP, (req, res, next) => {
            if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, `/${ui}/`);
            page(ui)(req, res, next);
        });
        app.use(`/${ui}/api`, uiApi(ui, deps, ttl));
    }
}

/** What a session route's handler works with: its UI's sessions and pending challenges. */
interface UiApi {
    ui: WebUi;
    deps: WebDeps;
    challenges: SessionMap<{ cardId: string }>;
    /** Starts a session and sets its cookie. */
    start(res: Response, session: Session): Promise<void>;
    /** The signed-in session of the request, if any. */
    current(req: Request): Promise<{ id: string; session: Session } | undefined>;
    /** Forgets a session. */
    end(id: string): Promise<void>;
    describe(s: Session): SessionView;
}

/**
 * One route of a UI's session API (signing in and out), declared once: uiApi mounts it (validating
 * its body) and openapi.ts documents it, so the two cannot drift.
 */
export interface SessionRouteSpec {
    ui: WebUi;
    method: 'get' | 'post' | 'delete';
    /** Under /{ui}/api. */
    path: string;
    operationId: string;
    summary: string;
    description: string;
    /** 'optional': works without a session and reads the cookie if there is one. */
    session: 'none' | 'optional';
    body?: ClassConstructor<object>;
    /** The answer's class; none for an empty answer. */
    answer?: ClassConstructor<object>;
    success: { status: number; description: string };
    /** The chaincode functions it evaluates (their refusals are its problems too). */
    evaluates?: ChaincodeFn[];
    /** The route's own problems by status, besides those every session route answers (statuses.ts). */
    errors: Problems;
    handle(api: UiApi, req: Request, res: Response, body: object): void | Promise<void>;
}

const sessionRead = (ui: WebUi): SessionRouteSpec => ({
    ui,
    method: 'get',
    path: '/session',
    operationId: `${ui}Session`,
    summary: `Who is signed in to the ${ui} (session null when nobody)`,
    description: 'Not signed in is an answer, not an error: the page asks this first.',
    session: 'optional',
    answer: SessionAnswer,
    success: { status: 200, description: 'the session, or null' },
    errors: {},
    async handle(api, req, res) {
        const s = await api.current(req);
        res.json({ session: s ? api.describe(s.session) : null });
    },
});

const signOut = (ui: WebUi): SessionRouteSpec => ({
    ui,
    method: 'delete',
    path: '/session',
    operationId: `${ui}SignOut`,
    summary: `Signs out of the ${ui}: the gateway forgets the session and clears the cookie`,
    description: 'Answers 204 with or without a session.',
    session: 'optional',
    success: { status: 204, description: 'signed out' },
    errors: {},
    async handle(api, req, res) {
        const s = await api.current(req);
        if (s) await api.end(s.id);
        res.set('Set-Cookie', `${SESSION_COOKIE[api.ui]}=; Path=/${api.ui}/api; HttpOnly; SameSite=Strict; Max-Age=0`);
        res.status(204).end();
    },
});

/** Every session route of the UIs, in mounting order. */
export const SESSION_ROUTES: readonly SessionRouteSpec[] = [
    {
        ui: 'tracker',
        method: 'post',
        path: '/session/challenge',
        operationId: 'trackerSessionChallenge',
        summary: "A one-time challenge (2 minutes) for a card's device to sign",
        description:
            "The page signs an AuthChallenge with this nonce for the gateway's org (verifierMspId) and posts it to /tracker/api/session.",
        session: 'none',
        body: ChallengeBody,
        answer: SessionChallengeAnswer,
        success: { status: 201, description: 'the challenge' },
        errors: {},
        async handle(api, _req, res, body) {
            const { cardId } = body as ChallengeBody;
            res.status(201).json({ challenge: await api.challenges.add({ cardId }), verifierMspId: api.deps.mspId, expiresInSeconds: 120 });
        },
    },
    {
        ui: 'tracker',
        method: 'post',
        path: '/session',
        operationId: 'trackerSignIn',
        summary: "Signs in with the challenge signed by the card's device key; sets the session cookie",
        description:
            "The chaincode (AuthenticateCard) checks the signature with the card's device key and that the card is usable. " +
            "The session then acts for this card only, as the gateway's citizen-agent identity.",
        session: 'none',
        body: SignedAuthChallenge,
        answer: TrackerSignInAnswer,
        success: { status: 201, description: 'signed in (Set-Cookie cc_tracker)' },
        evaluates: [F.verifyChallenge],
        errors: { 401: ['UNAUTHENTICATED'] },
        async handle(api, _req, res, body) {
            const signed = body as SignedAuthChallenge;
            const pending = await api.challenges.take(signed.document.nonce);
            if (!pending || pending.cardId !== signed.document.cardId) {
                throw unauthorized('the challenge is unknown, used or expired: ask for a new one');
            }
            const citizen: App = {
                appId: `tracker:${signed.document.cardId}`,
                name: 'tracker',
                mspId: api.deps.mspId,
                identity: api.deps.trackerIdentity,
                role: 'citizen-agent',
                createdAt: new Date().toISOString(),
            };
            // The chaincode checks the signature with the card's device key and that the card is usable.
            const bytes = await api.deps.fabric.evaluate(citizen.identity, { fn: F.verifyChallenge, args: [JSON.stringify(signed)] });
            const verification = JSON.parse(Buffer.from(bytes).toString('utf8')) as { authenticated?: boolean };
            if (verification.authenticated !== true) throw unauthorized('the card was not authenticated');
            const devicePublicKey = await deviceKeyOf(api.deps, citizen.identity, signed.document.cardId);
            const session: Session = { app: citizen, cardId: signed.document.cardId, devicePublicKey };
            await api.start(res, session);
            res.status(201).json({ session: api.describe(session), verification });
        },
    },
    {
        ui: 'console',
        method: 'post',
        path: '/session',
        operationId: 'consoleSignIn',
        summary: "Exchanges an app's API key (of this gateway's org) for a session; sets the session cookie",
        description:
            "The page does not keep the key. The session calls the console's routes as that app: reads, and the audit office's decisions (the chaincode checks the role).",
        session: 'none',
        body: ApiKeyBody,
        answer: ConsoleSignInAnswer,
        success: { status: 201, description: 'signed in (Set-Cookie cc_console)' },
        errors: { 401: ['UNAUTHENTICATED'] },
        async handle(api, _req, res, body) {
            const found = await api.deps.apps.authenticate((body as ApiKeyBody).apiKey);
            if (!found || found.mspId !== api.deps.mspId) throw unauthorized('the API key is not valid for this gateway');
            const session: Session = { app: found };
            await api.start(res, session);
            res.status(201).json({ session: api.describe(session) });
        },
    },
    ...(['tracker', 'console'] as const).flatMap((ui) => [sessionRead(ui), signOut(ui)]),
];

function uiApi(ui: WebUi, deps: WebDeps, ttlMs: number): Router {
    const router = express.Router();
    const cookie = SESSION_COOKIE[ui];
    const sessions = deps.store.sessions<Session>(`${ui}:session`, ttlMs);
    router.use((req, res, next) => {
        res.set('Cache-Control', 'no-store');
        // A cross-site page cannot use the session: SameSite=Strict, and any Origin must be this one.
        const origin = req.get('Origin');
        if (origin !== undefined && origin !== `${req.protocol}://${req.get('Host')}`) {
            return next(forbidden('CROSS_ORIGIN', 'requests from another origin are refused'));
        }
        next();
    });
    // When each tracker session last found its card bound to the device that opened it (per process).
    const deviceChecked = new Map<string, number>();
    const deviceCheckMs = deps.deviceCheckMs ?? DEVICE_CHECK_MS;
    const api: UiApi = {
        ui,
        deps,
        challenges: deps.store.sessions<{ cardId: string }>(`${ui}:challenge`, 120_000),
        async start(res, session) {
            const id = await sessions.add(session);
            // Sign-in has just read the card's device key.
            if (session.devicePublicKey) deviceChecked.set(id, Date.now());
            // A session cookie (no Max-Age): gone when the browser closes; the server forgets it after ttl idle.
            res.set('Set-Cookie', `${cookie}=${id}; Path=/${ui}/api; HttpOnly; SameSite=Strict`);
        },
        async current(req) {
            const id = cookieOf(req, cookie);
            const session = id ? await sessions.touch(id) : undefined;
            return id && session ? { id, session } : undefined;
        },
        end: async (id) => void (await sessions.take(id)),
        describe: (s) => ({
            ui,
            mspId: deps.mspId,
            orgs: deps.orgs,
            ...(s.cardId
                ? { cardId: s.cardId }
                : { app: { name: s.app.name, role: s.app.role, ...(s.app.dept ? { dept: s.app.dept } : {}) } }),
        }),
    };
    // Without a session, a request counts against the client's address (as a request without an API key does).
    const signInLimit: RequestHandler = async (req, _res, next) => next(await deps.anonymousRefusal(req));
    for (const spec of SESSION_ROUTES.filter((s) => s.ui === ui)) {
        const route = `/${ui}/api${spec.path}`;
        const body: RequestHandler[] = spec.body ? [deps.jsonBody] : [];
        router[spec.method](spec.path, signInLimit, ...body, async (req: Request, res: Response) => {
            res.locals.route = route;
            await spec.handle(api, req, res, spec.body ? validateInto(spec.body, req.body ?? {}, 'body') : {});
        });
    }

    // Everything below needs a session; a signed-in session is charged per app, as an API key is.
    router.use(async (req, res, next) => {
        const s = await api.current(req);
        if (!s) return next((await deps.anonymousRefusal(req)) ?? unauthorized('sign in first'));
        const { cardId, devicePublicKey } = s.session;
        if (cardId && devicePublicKey && Date.now() - (deviceChecked.get(s.id) ?? 0) > deviceCheckMs) {
            try {
                if ((await deviceKeyOf(deps, s.session.app.identity, cardId)) !== devicePublicKey) {
                    deviceChecked.delete(s.id);
                    await api.end(s.id);
                    return next(unauthorized('the card is bound to another device now: this session ended; sign in with that device'));
                }
            } catch (err) {
                return next(err);
            }
            if (deviceChecked.size > 10_000) deviceChecked.clear();
            deviceChecked.set(s.id, Date.now());
        }
        res.locals.app = s.session.app;
        res.locals.session = s.session;
        next();
    });
    // A tracker session acts for its own card only: the path's card and any signed document's card.
    const ownCard = (req: Request, res: Response, next: NextFunction) => {
        const cardId = (res.locals.session as Session).cardId;
        if (cardId === undefined) return next();
        const body = req.body as { document?: { cardId?: unknown }; request?: { document?: { cardId?: unknown } } } | undefined;
        const named = [req.params.cardId, body?.document?.cardId, body?.request?.document?.cardId].filter((v) => v !== undefined);
        if (named.some((v) => v !== cardId)) return next(forbidden('SESSION_CARD_MISMATCH', 'this session acts for its own card only'));
        next();
    };
    for (const r of deps.routes.filter((x) => UI_OPERATIONS[ui].includes(x.operationId))) {
        const route = `/${ui}/api${r.path}`;
        router[r.method](
            r.path,
            (_req: Request, res: Response, next: NextFunction) => {
                res.locals.route = route;
                next();
            },
            deps.limit(r),
            // A GET's body is not read (nothing in it would be used).
            ...(r.method === 'get' ? [] : [deps.jsonBody]),
            ownCard,
            dispatcher(r, deps.dispatch),
        );
    }
    if (ui === 'tracker') {
        router.get(
            STREAM_PATH,
            (_req: Request, res: Response, next: NextFunction) => {
                res.locals.route = `/tracker/api${STREAM_PATH}`;
                next();
            },
            ownCard,
            ...deps.stream,
        );
    }
    return router;
}
