// A department app's, or a citizen app's, HTTP calls to its own org's gateway, run inside that org's
// namespace by the tests across hosts (the test process itself is on no org's host):
//   node dist/test/hosts/client.js call '{"method":"GET","url":"http://seoul.example.gov:3001/v1/chain","key":"ck_..."}'
//     one request; prints {"status":…, "body":…, "ms":…}
//   node dist/test/hosts/client.js load '{"url":…,"key":…,"body":{…},"count":N,"ratePerSecond":R,"seconds":S}'
//     a bounded write load of access requests, each with its own Idempotency-Key, retried with the
//     same key while the answer is 503, 504 or 409 IDEMPOTENCY_IN_FLIGHT (so none can be applied
//     twice); prints every request's last answer
import * as crypto from 'node:crypto';

export interface Call {
    method: 'GET' | 'POST' | 'PUT';
    url: string;
    key?: string;
    body?: unknown;
    idempotencyKey?: string;
    timeoutMs?: number;
}

export interface Answer {
    status: number;
    body: unknown;
    ms: number;
}

export async function call(c: Call): Promise<Answer> {
    const started = Date.now();
    try {
        const res = await fetch(c.url, {
            method: c.method,
            headers: {
                ...(c.key ? { Authorization: `Bearer ${c.key}` } : {}),
                ...(c.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
                ...(c.idempotencyKey ? { 'Idempotency-Key': c.idempotencyKey } : {}),
            },
            body: c.body === undefined ? undefined : JSON.stringify(c.body),
            signal: AbortSignal.timeout(c.timeoutMs ?? 60_000),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
            body = JSON.parse(text);
        } catch {
            // not JSON
        }
        return { status: res.status, body, ms: Date.now() - started };
    } catch (e) {
        // No answer at all (refused, reset, timed out): status 0, and why.
        return { status: 0, body: { error: (e as Error).message }, ms: Date.now() - started };
    }
}

export interface LoadConfig {
    url: string;
    key: string;
    body: Record<string, unknown>;
    /** At most this many requests in all. */
    count: number;
    ratePerSecond: number;
    /** New requests start only within this many seconds; retries of started ones may go on for `settleSeconds` more. */
    seconds: number;
    settleSeconds?: number;
}

export interface LoadRequest {
    idempotencyKey: string;
    attempts: number;
    status: number;
    code?: string;
    accessId?: string;
}

const RETRY = (a: Answer) =>
    a.status === 0 || a.status === 503 || a.status === 504 || (a.body as { code?: string })?.code === 'IDEMPOTENCY_IN_FLIGHT';

export async function load(cfg: LoadConfig): Promise<LoadRequest[]> {
    const started = Date.now();
    const stopNew = started + cfg.seconds * 1000;
    const giveUp = stopNew + (cfg.settleSeconds ?? 60) * 1000;
    const requests: Promise<LoadRequest>[] = [];
    const one = async (idempotencyKey: string): Promise<LoadRequest> => {
        const r: LoadRequest = { idempotencyKey, attempts: 0, status: 0 };
        for (;;) {
            r.attempts++;
            const a = await call({ method: 'POST', url: cfg.url, key: cfg.key, body: cfg.body, idempotencyKey, timeoutMs: 40_000 });
            r.status = a.status;
            r.code = (a.body as { code?: string })?.code;
            r.accessId = (a.body as { accessId?: string })?.accessId;
            if (!RETRY(a) || Date.now() > giveUp) return r;
            await new Promise((res) => setTimeout(res, 500));
        }
    };
    for (let i = 0; i < cfg.count && Date.now() < stopNew; i++) {
        requests.push(one(`load-${crypto.randomUUID()}`));
        const next = started + ((i + 1) * 1000) / cfg.ratePerSecond;
        await new Promise((res) => setTimeout(res, Math.max(0, next - Date.now())));
    }
    return Promise.all(requests);
}

async function main(): Promise<void> {
    const [mode, json] = process.argv.slice(2);
    if (mode === 'call') process.stdout.write(`${JSON.stringify(await call(JSON.parse(json) as Call))}\n`);
    else if (mode === 'load') process.stdout.write(`${JSON.stringify(await load(JSON.parse(json) as LoadConfig))}\n`);
    else throw new Error('usage: client.js call|load JSON');
}

if (require.main === module) {
    main().catch((e: Error) => {
        process.stderr.write(`${e.message}\n`);
        process.exit(1);
    });
}
