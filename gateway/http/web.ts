// The browser UIs: the citizen's data tracker (/tracker/, at the issuer org's gateway) and the
// auditor's console (/console/). Static pages from the Vite build (dist/web) under a strict CSP,
// and one same-origin API per UI that authenticates the way a browser should, with no shared
// secret in any page:
// - tracker: the citizen signs the gateway's one-time challenge with the device key (the chaincode
//   verifies it against the card); the session may then call the citizen routes for that card
//   only, as the gateway's citizen-agent identity. Everything that changes the ledger is a
//   document signed in the browser, which no gateway can forge.
// - console: the auditor types the app's own API key once; it is exchanged for a session.
// Sessions live in memory (a restart signs everyone out), in an HttpOnly, SameSite=Strict cookie.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import helmet from 'helmet';
import { IsString, Matches } from 'class-validator';
import { ID_PATTERN, SignedAuthChallenge } from '../../chaincode/model';
import type { App, AppStore } from '../auth/store';
import { ProblemError, unauthorized } from '../errors';
import { CHAINCODE_FN as F } from '../fabric/surface';
import type { FabricLayer } from '../fabric/types';
import { dispatcher, type DispatchDeps, type RouteSpec } from './route';
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
];

/** Routes a console session may call (the chaincode still checks the app's role). */
export const CONSOLE_OPERATIONS = [
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

/** Values with an idle timeout and a size bound (sessions and pending challenges). */
export class ExpiringMap<T> {
    readonly #entries = new Map<string, { value: T; expiresAt: number }>();
    constructor(
        readonly ttlMs: number,
        readonly max = 10_000,
        readonly now: () => number = Date.now,
    ) {}

    /** Stores value under a new random id (32 url-safe bytes) and returns the id. */
    add(value: T): string {
        if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value as string);
        const id = crypto.randomBytes(24).toString('base64url');
        this.#entries.set(id, { value, expiresAt: this.now() + this.ttlMs });
        return id;
    }

    /** The value, its idle time restarted; undefined when unknown or expired. */
    touch(id: string): T | undefined {
        const e = this.#entries.get(id);
        if (!e) return undefined;
        if (e.expiresAt <= this.now()) {
            this.#entries.delete(id);
            return undefined;
        }
        e.expiresAt = this.now() + this.ttlMs;
        return e.value;
    }

    /** The value, removed (one use). */
    take(id: string): T | undefined {
        const value = this.touch(id);
        this.#entries.delete(id);
        return value;
    }
}

interface Session {
    app: App;
    /** The tracker's signed-in card. */
    cardId?: string;
}

class ChallengeBody {
    @IsString() @Matches(ID_PATTERN) cardId!: string;
}

class ApiKeyBody {
    @IsString() @Matches(/^ck_[A-Za-z0-9_-]{8,200}$/) apiKey!: string;
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
    anonymousRefusal(req: Request): ProblemError | undefined;
    jsonBody: RequestHandler;
    sessionTtlMs?: number;
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
    const uis: { name: 'tracker' | 'console'; operations: string[] }[] = [{ name: 'console', operations: CONSOLE_OPERATIONS }];
    if (deps.issuer) uis.unshift({ name: 'tracker', operations: TRACKER_OPERATIONS });
    for (const ui of uis) {
        app.get(`/${ui.name}`, STRICT_CSP, (req, res, next) => {
            if (!req.originalUrl.split('?')[0].endsWith('/')) return res.redirect(301, `/${ui.name}/`);
            page(ui.name)(req, res, next);
        });
        app.use(`/${ui.name}/api`, uiApi(ui.name, ui.operations, deps, ttl));
    }
}

function uiApi(ui: 'tracker' | 'console', operations: string[], deps: WebDeps, ttlMs: number): Router {
    const router = express.Router();
    const cookie = ui === 'tracker' ? 'cc_tracker' : 'cc_console';
    const sessions = new ExpiringMap<Session>(ttlMs);
    const challenges = new ExpiringMap<{ cardId: string }>(120_000);
    router.use((req, res, next) => {
        res.set('Cache-Control', 'no-store');
        // A cross-site page cannot use the session: SameSite=Strict, and any Origin must be this one.
        const origin = req.get('Origin');
        if (origin !== undefined && origin !== `${req.protocol}://${req.get('Host')}`) {
            return next(forbidden('CROSS_ORIGIN', 'requests from another origin are refused'));
        }
        next();
    });
    // Without a session, a request counts against the client's address (as a request without an API key does).
    const signInLimit: RequestHandler = (req, _res, next) => next(deps.anonymousRefusal(req));
    const start = (res: Response, session: Session) => {
        const id = sessions.add(session);
        // A session cookie (no Max-Age): gone when the browser closes; the server forgets it after ttl idle.
        res.set('Set-Cookie', `${cookie}=${id}; Path=/${ui}/api; HttpOnly; SameSite=Strict`);
    };
    const describe = (s: Session) => ({
        ui,
        mspId: deps.mspId,
        orgs: deps.orgs,
        ...(s.cardId ? { cardId: s.cardId } : { app: { name: s.app.name, role: s.app.role, ...(s.app.dept ? { dept: s.app.dept } : {}) } }),
    });

    if (ui === 'tracker') {
        router.post('/session/challenge', signInLimit, deps.jsonBody, (req, res) => {
            res.locals.route = '/tracker/api/session/challenge';
            const { cardId } = validateInto(ChallengeBody, req.body ?? {}, 'body');
            res.status(201).json({ challenge: challenges.add({ cardId }), verifierMspId: deps.mspId, expiresInSeconds: 120 });
        });
        router.post('/session', signInLimit, deps.jsonBody, async (req, res) => {
            res.locals.route = '/tracker/api/session';
            const signed = validateInto(SignedAuthChallenge, req.body ?? {}, 'body');
            const pending = challenges.take(signed.document.nonce);
            if (!pending || pending.cardId !== signed.document.cardId) {
                throw unauthorized('the challenge is unknown, used or expired: ask for a new one');
            }
            const citizen: App = {
                appId: `tracker:${signed.document.cardId}`,
                name: 'tracker',
                mspId: deps.mspId,
                identity: deps.trackerIdentity,
                role: 'citizen-agent',
                createdAt: new Date().toISOString(),
            };
            // The chaincode checks the signature with the card's device key and that the card is usable.
            const bytes = await deps.fabric.evaluate(citizen.identity, { fn: F.verifyChallenge, args: [JSON.stringify(signed)] });
            const verification = JSON.parse(Buffer.from(bytes).toString('utf8')) as { authenticated?: boolean };
            if (verification.authenticated !== true) throw unauthorized('the card was not authenticated');
            const session: Session = { app: citizen, cardId: signed.document.cardId };
            start(res, session);
            res.status(201).json({ session: describe(session), verification });
        });
    } else {
        router.post('/session', signInLimit, deps.jsonBody, (req, res) => {
            res.locals.route = '/console/api/session';
            const { apiKey } = validateInto(ApiKeyBody, req.body ?? {}, 'body');
            const found = deps.apps.authenticate(apiKey);
            if (!found || found.mspId !== deps.mspId) throw unauthorized('the API key is not valid for this gateway');
            const session: Session = { app: found };
            start(res, session);
            res.status(201).json({ session: describe(session) });
        });
    }

    const current = (req: Request): { id: string; session: Session } | undefined => {
        const id = cookieOf(req, cookie);
        const session = id ? sessions.touch(id) : undefined;
        return id && session ? { id, session } : undefined;
    };
    router.get('/session', signInLimit, (req, res) => {
        res.locals.route = `/${ui}/api/session`;
        // Not signed in is an answer, not an error: the page asks this first.
        const s = current(req);
        res.json({ session: s ? describe(s.session) : null });
    });
    router.delete('/session', signInLimit, (req, res) => {
        res.locals.route = `/${ui}/api/session`;
        const s = current(req);
        if (s) sessions.take(s.id);
        res.set('Set-Cookie', `${cookie}=; Path=/${ui}/api; HttpOnly; SameSite=Strict; Max-Age=0`);
        res.status(204).end();
    });

    // Everything below needs a session; a signed-in session is charged per app, as an API key is.
    router.use((req, res, next) => {
        const s = current(req);
        if (!s) return next(deps.anonymousRefusal(req) ?? unauthorized('sign in first'));
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
    for (const r of deps.routes.filter((x) => operations.includes(x.operationId))) {
        const route = `/${ui}/api${r.path}`;
        router[r.method](
            r.path,
            (_req: Request, res: Response, next: NextFunction) => {
                res.locals.route = route;
                next();
            },
            deps.limit(r),
            deps.jsonBody,
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
