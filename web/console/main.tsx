// The auditor's console: accesses by org, department, time and decision (paged); counts per org
// and department over time; the history of a card, consent, service or access entry; a block and
// transaction explorer; and a transaction's proof, checked in this page (chain.ts). The audit
// office's work: open objections (the citizen's text read from Seoul's peer) and their findings,
// break-glass review cases and blocks, sealed entries and their extension.
import { type ComponentChildren, render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, query } from '../shared/api';
import { Frame, Section } from '../shared/frame';
import { formatTime, LangProvider, useLang, useT } from '../shared/i18n';
import { Table } from '../shared/table';
import type { AccessLogEntry, BreakGlassState, Objection, Page, Review, Seal } from '../../chaincode/model/assets';
import { FINDING_CODES } from '../../chaincode/model/vocabulary';
import type { BlockTransaction, BlockView, ChainInfo, TransactionProof } from '../../gateway/fabric/types';
import '../shared/style.css';
import { type Check, headerHash, verifyProof } from './chain';
import { PALETTE, type Series, StackedBars } from './chart';
import { TEXT } from './text';

const call = api('/console/api');

interface SessionInfo {
    mspId: string;
    orgs: string[];
    app: { name: string; role: string; dept?: string };
}
type Access = AccessLogEntry;
/** In a listing of blocks the envelopes are left out. */
type Tx = Omit<BlockTransaction, 'envelope'> & { envelope?: string };
type Block = Omit<BlockView, 'transactions'> & { transactions: Tx[] };

const message = (e: unknown) => (e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);
type Guard = (work: () => Promise<void>) => Promise<void>;
type Open = { proof(txId: string): void; block(n: string): void; seal(accessId: string): void };
const TABS = ['accesses', 'objections', 'reviews', 'seals', 'chart', 'history', 'blocks'] as const;
type Tab = (typeof TABS)[number];

/** A datetime-local value (local time, minutes) for a Date. */
const localInput = (d: Date) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);

function Console() {
    const t = useT(TEXT);
    const [session, setSession] = useState<SessionInfo | null | undefined>(undefined);
    const [error, setError] = useState('');
    const [tab, setTab] = useState<Tab>('accesses');
    const [sealId, setSealId] = useState('');
    const [proof, setProof] = useState<string>();
    const [block, setBlock] = useState<string>();

    useEffect(() => {
        call<{ session: SessionInfo | null }>('GET', '/session').then(
            (s) => setSession(s.session),
            () => setSession(null),
        );
    }, []);
    const guard: Guard = async (work) => {
        setError('');
        try {
            await work();
        } catch (e) {
            if (e instanceof ApiError && e.status === 401) setSession(null);
            setError(message(e));
        }
    };
    const open: Open = {
        proof: (txId) => {
            setBlock(undefined);
            setProof(txId);
        },
        block: (n) => {
            setProof(undefined);
            setBlock(n);
        },
        seal: (accessId) => {
            setSealId(accessId);
            setTab('seals');
        },
    };
    return (
        <Frame
            title={t('title')}
            status={session && <span>{t('signedInAs', { name: session.app.name, role: session.app.role, msp: session.mspId })}</span>}
            signOut={
                session
                    ? {
                          label: t('signOut'),
                          onClick: async () => {
                              await call('DELETE', '/session').catch(() => undefined);
                              setSession(null);
                          },
                      }
                    : undefined
            }
            error={error}
        >
            {session === null && <SignIn onDone={setSession} guard={guard} />}
            {session && (
                <>
                    <nav class="tabs" aria-label={t('tabs')}>
                        {TABS.map((name) => (
                            <button
                                key={name}
                                type="button"
                                id={`tab-${name}`}
                                aria-current={tab === name ? 'page' : undefined}
                                onClick={() => setTab(name)}
                            >
                                {t(name)}
                            </button>
                        ))}
                    </nav>
                    {proof && <ProofPanel txId={proof} guard={guard} open={open} onClose={() => setProof(undefined)} />}
                    {block && <BlockPanel number={block} guard={guard} open={open} onClose={() => setBlock(undefined)} />}
                    {tab === 'accesses' && <Accesses session={session} guard={guard} open={open} />}
                    {tab === 'objections' && <Objections guard={guard} open={open} />}
                    {tab === 'reviews' && <Reviews session={session} guard={guard} open={open} />}
                    {tab === 'seals' && <Seals key={sealId} accessId={sealId} guard={guard} />}
                    {tab === 'chart' && <Counts session={session} guard={guard} />}
                    {tab === 'history' && <History guard={guard} />}
                    {tab === 'blocks' && <Blocks guard={guard} open={open} />}
                </>
            )}
        </Frame>
    );
}

function SignIn(props: { onDone(s: SessionInfo): void; guard: Guard }) {
    const t = useT(TEXT);
    const [key, setKey] = useState('');
    return (
        <Section id="signin" title={t('signInTitle')}>
            <p>{t('signInHelp')}</p>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    props.guard(async () => {
                        const r = await call<{ session: SessionInfo }>('POST', '/session', { apiKey: key.trim() });
                        setKey('');
                        props.onDone(r.session);
                    });
                }}
            >
                <label>
                    {t('apiKey')}
                    <input
                        id="api-key"
                        type="password"
                        autocomplete="off"
                        required
                        value={key}
                        onInput={(e) => setKey(e.currentTarget.value)}
                    />
                </label>
                <button type="submit">{t('signIn')}</button>
            </form>
        </Section>
    );
}

function Accesses(props: { session: SessionInfo; guard: Guard; open: Open }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const now = new Date();
    const [form, setForm] = useState({
        mspId: props.session.orgs.find((o) => o !== props.session.mspId) ?? props.session.mspId,
        dept: '',
        from: localInput(new Date(now.getTime() - 86_400_000)),
        to: localInput(new Date(now.getTime() + 3_600_000)),
        decision: '',
        pageSize: '20',
    });
    // Bookmarks of the pages seen so far: [''] is page 1.
    const [marks, setMarks] = useState<string[]>(['']);
    const [page, setPage] = useState<Page<Access>>();
    const fetchPage = (index: number, bookmarks: string[]) =>
        props.guard(async () => {
            const r = await call<{ page: Page<Access> }>(
                'GET',
                `/v1/audit/access${query({
                    mspId: form.mspId,
                    dept: form.dept.trim(),
                    from: new Date(form.from).toISOString(),
                    to: new Date(form.to).toISOString(),
                    decision: form.decision,
                    pageSize: form.pageSize,
                    bookmark: bookmarks[index],
                })}`,
            );
            setPage(r.page);
            const next = bookmarks.slice(0, index + 1);
            if (r.page.records.length === Number(form.pageSize) && r.page.bookmark) next.push(r.page.bookmark);
            setMarks(next);
            setIndex(index);
        });
    const [index, setIndex] = useState(0);
    const set = (k: keyof typeof form) => (e: Event) => setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement).value });
    return (
        <Section id="accesses" title={t('accesses')}>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    fetchPage(0, ['']);
                }}
            >
                <label>
                    {t('org')}
                    <select id="q-org" value={form.mspId} onChange={set('mspId')}>
                        {props.session.orgs.map((o) => (
                            <option key={o} value={o}>
                                {o}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    {t('dept')}
                    <input id="q-dept" value={form.dept} pattern="[a-z0-9][a-z0-9\-]{0,63}" onInput={set('dept')} />
                </label>
                <label>
                    {t('from')}
                    <input id="q-from" type="datetime-local" required value={form.from} onInput={set('from')} />
                </label>
                <label>
                    {t('to')}
                    <input id="q-to" type="datetime-local" required value={form.to} onInput={set('to')} />
                </label>
                <label>
                    {t('decision')}
                    <select id="q-decision" value={form.decision} onChange={set('decision')}>
                        <option value="">{t('all')}</option>
                        <option value="GRANTED">GRANTED</option>
                        <option value="DENIED">DENIED</option>
                    </select>
                </label>
                <label>
                    {t('pageSize')}
                    <select id="q-size" value={form.pageSize} onChange={set('pageSize')}>
                        {['10', '20', '50', '100'].map((n) => (
                            <option key={n} value={n}>
                                {n}
                            </option>
                        ))}
                    </select>
                </label>
                <button type="submit" id="q-search">
                    {t('search')}
                </button>
            </form>
            {page && (
                <>
                    <Table
                        id="accesses"
                        caption={t('pageN', { n: index + 1 })}
                        headers={[
                            t('time'),
                            t('org'),
                            t('dept'),
                            t('card'),
                            t('service'),
                            t('purpose'),
                            t('decision'),
                            t('reason'),
                            t('transaction'),
                        ]}
                        empty={t('none')}
                        count={page.records.length}
                    >
                        {page.records.map((e) => (
                            <tr key={e.accessId} data-dept={e.callerDept}>
                                <td>{formatTime(e.timestamp, lang)}</td>
                                <td>{e.callerMspId}</td>
                                <td>{e.callerDept}</td>
                                <td class="mono">{e.cardId}</td>
                                <td>{e.serviceId}</td>
                                <td>{e.purpose}</td>
                                <td>
                                    <span class={`badge ${e.decision}`}>{e.decision}</span>
                                </td>
                                <td>
                                    {e.consentId
                                        ? `${e.reason} · ${e.consentId.slice(0, 10)}…`
                                        : e.legalBasis
                                          ? `${e.reason} · ${e.legalBasis}`
                                          : e.reason}
                                    {e.sealed && (
                                        <>
                                            {' '}
                                            <button
                                                type="button"
                                                class="secondary"
                                                aria-label={t('openSeal', { id: e.accessId.slice(0, 12) })}
                                                onClick={() => props.open.seal(e.accessId)}
                                            >
                                                {t('sealedBadge')}
                                            </button>
                                        </>
                                    )}
                                    {e.breakGlass && (
                                        <>
                                            {' '}
                                            <span class="badge BREAK_GLASS">{t('breakGlassBadge')}</span>
                                        </>
                                    )}
                                </td>
                                <td>
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label={t('proofOf', { id: e.txId.slice(0, 12) })}
                                        onClick={() => props.open.proof(e.txId)}
                                    >
                                        {t('proof')}
                                    </button>
                                </td>
                            </tr>
                        ))}
                    </Table>
                    <div class="row">
                        <button type="button" class="secondary" disabled={index === 0} onClick={() => fetchPage(index - 1, marks)}>
                            {t('previous')}
                        </button>
                        <button
                            type="button"
                            class="secondary"
                            disabled={index + 1 >= marks.length}
                            onClick={() => fetchPage(index + 1, marks)}
                        >
                            {t('next')}
                        </button>
                    </div>
                </>
            )}
        </Section>
    );
}

/** Pages of a listing by status (objections, review cases), with the bookmark of the next one. */
function useStatusPages<T>(guard: Guard, path: string) {
    const [status, setStatus] = useState('OPEN');
    const [page, setPage] = useState<Page<T>>();
    const load = (s = status, bookmark = '') =>
        guard(async () => setPage((await call<{ page: Page<T> }>('GET', `${path}${query({ status: s, pageSize: 50, bookmark })}`)).page));
    useEffect(() => {
        load();
    }, []);
    return { status, setStatus, page, load };
}

function StatusPicker(props: { id: string; statuses: string[]; status: string; onPick(s: string): void }) {
    const t = useT(TEXT);
    return (
        <form
            class="row"
            onSubmit={(e) => {
                e.preventDefault();
                props.onPick(props.status);
            }}
        >
            <label>
                {t('status')}
                <select id={`${props.id}-status`} value={props.status} onChange={(e) => props.onPick(e.currentTarget.value)}>
                    {props.statuses.map((s) => (
                        <option key={s} value={s}>
                            {t(s)}
                        </option>
                    ))}
                </select>
            </label>
        </form>
    );
}

/** The audit office's decision: an outcome, a finding code and a public text (screened by the chaincode). */
function DecisionForm(props: {
    id: string;
    outcomes: string[];
    textRequired: boolean;
    guard: Guard;
    send(d: { outcome: string; findingCode: string; text?: string }): Promise<void>;
}) {
    const t = useT(TEXT);
    const [outcome, setOutcome] = useState(props.outcomes[0] as string);
    const [code, setCode] = useState<string>(FINDING_CODES[0]);
    const [text, setText] = useState('');
    return (
        <form
            class="row decision"
            onSubmit={(e) => {
                e.preventDefault();
                props.guard(() => props.send({ outcome, findingCode: code, ...(text.trim() ? { text: text.trim() } : {}) }));
            }}
        >
            <label>
                {t('outcome')}
                <select id={`${props.id}-outcome`} value={outcome} onChange={(e) => setOutcome(e.currentTarget.value)}>
                    {props.outcomes.map((o) => (
                        <option key={o} value={o}>
                            {t(o)}
                        </option>
                    ))}
                </select>
            </label>
            <label>
                {t('findingCode')}
                <select id={`${props.id}-code`} value={code} onChange={(e) => setCode(e.currentTarget.value)}>
                    {FINDING_CODES.map((c) => (
                        <option key={c} value={c}>
                            {c}
                        </option>
                    ))}
                </select>
            </label>
            <label class="stack wide">
                {t('findingText')}
                <textarea
                    id={`${props.id}-text`}
                    rows={2}
                    maxLength={1000}
                    required={props.textRequired}
                    value={text}
                    onInput={(e) => setText(e.currentTarget.value)}
                />
            </label>
            <button type="submit" id={`${props.id}-record`}>
                {t('record')}
            </button>
        </form>
    );
}

function Objections(props: { guard: Guard; open: Open }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const list = useStatusPages<Objection>(props.guard, '/v1/objections');
    const [texts, setTexts] = useState<Record<string, string>>({});
    const [deciding, setDeciding] = useState<string>();
    const [done, setDone] = useState('');
    return (
        <Section id="objections" title={t('objections')}>
            <p class="sr-only" aria-live="polite">
                {done}
            </p>
            <StatusPicker
                id="o"
                statuses={['OPEN', 'UPHELD', 'REJECTED']}
                status={list.status}
                onPick={(s) => {
                    list.setStatus(s);
                    list.load(s);
                }}
            />
            {list.page && (
                <Table
                    id="objections-table"
                    caption={t('objections')}
                    hideCaption
                    headers={[t('filed'), t('org'), t('dept'), t('service'), t('card'), t('access'), t('status'), t('finding')]}
                    empty={t('none')}
                    count={list.page.records.length}
                >
                    {list.page.records.map((o) => (
                        <tr key={o.objectionId} data-objection-id={o.objectionId} data-status={o.status}>
                            <td>{formatTime(o.filedAt, lang)}</td>
                            <td>{o.callerMspId}</td>
                            <td>{o.callerDept}</td>
                            <td>{o.serviceId}</td>
                            <td class="mono">{o.cardId}</td>
                            <td>
                                <button
                                    type="button"
                                    class="secondary"
                                    aria-label={t('proofOf', { id: o.accessId.slice(0, 12) })}
                                    onClick={() => props.open.proof(o.accessId)}
                                >
                                    {t('proof')}
                                </button>
                            </td>
                            <td>
                                <span class={`badge ${o.status}`}>{t(o.status)}</span>
                            </td>
                            <td class="finding">
                                {o.finding && (
                                    <p>
                                        <strong>{o.finding.findingCode}</strong> {o.finding.text}
                                    </p>
                                )}
                                {texts[o.objectionId] !== undefined ? (
                                    <>
                                        <p class="muted">{t('citizenText')}</p>
                                        <blockquote class="citizen-text">{texts[o.objectionId]}</blockquote>
                                    </>
                                ) : (
                                    <button
                                        type="button"
                                        class="secondary"
                                        aria-label={t('readTextOf', { id: o.objectionId.slice(0, 12) })}
                                        onClick={() =>
                                            props.guard(async () => {
                                                const r = await call<{ objectionText: { text: string } }>(
                                                    'GET',
                                                    `/v1/objections/${o.objectionId}/text`,
                                                );
                                                setTexts({ ...texts, [o.objectionId]: r.objectionText.text });
                                            })
                                        }
                                    >
                                        {t('readText')}
                                    </button>
                                )}
                                {o.status === 'OPEN' && deciding !== o.objectionId && (
                                    <button
                                        type="button"
                                        aria-label={t('decideOf', { id: o.objectionId.slice(0, 12) })}
                                        onClick={() => setDeciding(o.objectionId)}
                                    >
                                        {t('decide')}
                                    </button>
                                )}
                                {deciding === o.objectionId && (
                                    <DecisionForm
                                        id="finding"
                                        outcomes={['UPHELD', 'REJECTED']}
                                        textRequired
                                        guard={props.guard}
                                        send={async (d) => {
                                            await call('POST', `/v1/objections/${o.objectionId}/finding`, d);
                                            setDeciding(undefined);
                                            setDone(t('done'));
                                            await list.load();
                                        }}
                                    />
                                )}
                            </td>
                        </tr>
                    ))}
                </Table>
            )}
        </Section>
    );
}

function Reviews(props: { session: SessionInfo; guard: Guard; open: Open }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const list = useStatusPages<Review>(props.guard, '/v1/reviews');
    const [deciding, setDeciding] = useState<string>();
    const [done, setDone] = useState('');
    const [dept, setDept] = useState({ mspId: props.session.orgs.find((o) => o !== props.session.mspId) ?? props.session.mspId, dept: '' });
    const [state, setState] = useState<BreakGlassState>();
    const [ref, setRef] = useState('');
    const lookup = () =>
        props.guard(async () =>
            setState((await call<{ breakGlass: BreakGlassState }>('GET', `/v1/break-glass/${dept.mspId}/${dept.dept.trim()}`)).breakGlass),
        );
    return (
        <>
            <Section id="reviews" title={t('reviews')}>
                <p class="sr-only" aria-live="polite">
                    {done}
                </p>
                <StatusPicker
                    id="r"
                    statuses={['OPEN', 'CLEARED', 'UPHELD']}
                    status={list.status}
                    onPick={(s) => {
                        list.setStatus(s);
                        list.load(s);
                    }}
                />
                {list.page && (
                    <Table
                        id="reviews-table"
                        caption={t('reviews')}
                        hideCaption
                        headers={[
                            t('opened'),
                            t('org'),
                            t('dept'),
                            t('service'),
                            t('card'),
                            t('reasonCode'),
                            t('incident'),
                            t('status'),
                            t('finding'),
                        ]}
                        empty={t('none')}
                        count={list.page.records.length}
                    >
                        {list.page.records.map((r) => (
                            <tr key={r.reviewId} data-review-id={r.reviewId} data-status={r.status}>
                                <td>{formatTime(r.openedAt, lang)}</td>
                                <td>{r.callerMspId}</td>
                                <td>{r.callerDept}</td>
                                <td>{r.serviceId}</td>
                                <td class="mono">{r.cardId}</td>
                                <td>{r.reasonCode}</td>
                                <td class="mono">{r.incidentRef}</td>
                                <td>
                                    <span class={`badge ${r.status}`}>{t(r.status)}</span>
                                </td>
                                <td class="finding">
                                    {r.decision && (
                                        <p>
                                            <strong>{r.decision.findingCode}</strong> {r.decision.text}
                                        </p>
                                    )}
                                    {r.status === 'OPEN' && deciding !== r.reviewId && (
                                        <button
                                            type="button"
                                            aria-label={t('decideOf', { id: r.reviewId.slice(0, 12) })}
                                            onClick={() => setDeciding(r.reviewId)}
                                        >
                                            {t('decide')}
                                        </button>
                                    )}
                                    {deciding === r.reviewId && (
                                        <DecisionForm
                                            id="review"
                                            outcomes={['CLEARED', 'UPHELD']}
                                            textRequired={false}
                                            guard={props.guard}
                                            send={async (d) => {
                                                await call('POST', `/v1/reviews/${r.reviewId}/decision`, d);
                                                setDeciding(undefined);
                                                setDone(t('done'));
                                                await list.load();
                                            }}
                                        />
                                    )}
                                </td>
                            </tr>
                        ))}
                    </Table>
                )}
            </Section>
            <Section id="break-glass" title={t('breakGlassTitle')}>
                <form
                    class="row"
                    onSubmit={(e) => {
                        e.preventDefault();
                        lookup();
                    }}
                >
                    <label>
                        {t('org')}
                        <select id="bg-org" value={dept.mspId} onChange={(e) => setDept({ ...dept, mspId: e.currentTarget.value })}>
                            {props.session.orgs.map((o) => (
                                <option key={o} value={o}>
                                    {o}
                                </option>
                            ))}
                        </select>
                    </label>
                    <label>
                        {t('dept')}
                        <input
                            id="bg-dept"
                            required
                            pattern="[a-z0-9][a-z0-9\-]{0,63}"
                            value={dept.dept}
                            onInput={(e) => setDept({ ...dept, dept: e.currentTarget.value })}
                        />
                    </label>
                    <button type="submit" id="bg-show">
                        {t('show')}
                    </button>
                </form>
                {state && (
                    <>
                        <dl class="kv" id="bg-state">
                            <dt>{t('count')}</dt>
                            <dd>
                                {state.count} ({state.month})
                            </dd>
                            <dt>{t('allowance')}</dt>
                            <dd>{state.allowance}</dd>
                            <dt>{t('blocked')}</dt>
                            <dd>
                                <span id="bg-blocked" class={`badge ${state.blocked ? 'DENIED' : 'GRANTED'}`}>
                                    {state.blocked ? t('yes') : t('no')}
                                </span>
                            </dd>
                        </dl>
                        {state.blocked && (
                            <form
                                class="row"
                                onSubmit={(e) => {
                                    e.preventDefault();
                                    props.guard(async () => {
                                        const r = await call<{ breakGlass: BreakGlassState }>(
                                            'POST',
                                            `/v1/break-glass/${state.mspId}/${state.dept}/clear`,
                                            { decisionRef: ref.trim() },
                                        );
                                        setState(r.breakGlass);
                                        setDone(t('done'));
                                    });
                                }}
                            >
                                <label>
                                    {t('decisionRef')}
                                    <input
                                        id="bg-ref"
                                        required
                                        pattern="[A-Z0-9][A-Z0-9\-]{2,39}"
                                        value={ref}
                                        onInput={(e) => setRef(e.currentTarget.value)}
                                    />
                                </label>
                                <button type="submit">{t('clearBlock')}</button>
                            </form>
                        )}
                    </>
                )}
            </Section>
        </>
    );
}

function Seals(props: { accessId: string; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [accessId, setAccessId] = useState(props.accessId);
    const [seal, setSeal] = useState<Seal>();
    const [policy, setPolicy] = useState<{ sealMaxDays: number; breakGlassMonthlyLimit: number; reportMinCount: number }>();
    const [until, setUntil] = useState('');
    const [ref, setRef] = useState('');
    const [done, setDone] = useState('');
    const load = (id: string) => props.guard(async () => setSeal((await call<{ seal: Seal }>('GET', `/v1/seals/${id}`)).seal));
    useEffect(() => {
        props.guard(async () => setPolicy((await call<{ policy: NonNullable<typeof policy> }>('GET', '/v1/policy')).policy));
        if (props.accessId) load(props.accessId);
    }, []);
    return (
        <Section id="seals" title={t('sealTitle')}>
            <p class="sr-only" aria-live="polite">
                {done}
            </p>
            {policy && (
                <p class="muted" id="policy">
                    {t('policy', { days: policy.sealMaxDays, limit: policy.breakGlassMonthlyLimit, min: policy.reportMinCount })}
                </p>
            )}
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    load(accessId.trim());
                }}
            >
                <label>
                    {t('accessId')}
                    <input
                        id="seal-id"
                        required
                        pattern="[0-9a-f]{64}"
                        size={66}
                        value={accessId}
                        onInput={(e) => setAccessId(e.currentTarget.value)}
                    />
                </label>
                <button type="submit" id="seal-show">
                    {t('show')}
                </button>
            </form>
            {seal && (
                <>
                    <dl class="kv" id="seal-view">
                        <dt>{t('org')}</dt>
                        <dd>
                            {seal.callerMspId} ({seal.callerDept})
                        </dd>
                        <dt>{t('card')}</dt>
                        <dd class="mono">{seal.cardId}</dd>
                        <dt>{t('sealedAt')}</dt>
                        <dd>{formatTime(seal.sealedAt, lang)}</dd>
                        <dt>{t('sealedUntil')}</dt>
                        <dd id="seal-until" data-until={seal.sealedUntil}>
                            {formatTime(seal.sealedUntil, lang)}
                        </dd>
                    </dl>
                    <Table
                        id="seal-extensions"
                        caption={t('extensions')}
                        headers={[t('time'), t('decisionRef'), t('newUntil')]}
                        empty={t('none')}
                        count={seal.extensions.length}
                    >
                        {seal.extensions.map((x) => (
                            <tr key={x.txId}>
                                <td>{formatTime(x.at, lang)}</td>
                                <td class="mono">{x.decisionRef}</td>
                                <td>{formatTime(x.sealedUntil, lang)}</td>
                            </tr>
                        ))}
                    </Table>
                    <h3>{t('extend')}</h3>
                    <form
                        class="row"
                        onSubmit={(e) => {
                            e.preventDefault();
                            props.guard(async () => {
                                const r = await call<{ seal: Seal }>('POST', `/v1/seals/${seal.accessId}/extend`, {
                                    sealedUntil: new Date(until).toISOString(),
                                    decisionRef: ref.trim(),
                                });
                                setSeal(r.seal);
                                setDone(t('done'));
                            });
                        }}
                    >
                        <label>
                            {t('newUntil')}
                            <input
                                id="seal-new-until"
                                type="datetime-local"
                                required
                                value={until}
                                onInput={(e) => setUntil(e.currentTarget.value)}
                            />
                        </label>
                        <label>
                            {t('decisionRef')}
                            <input
                                id="seal-ref"
                                required
                                pattern="[A-Z0-9][A-Z0-9\-]{2,39}"
                                value={ref}
                                onInput={(e) => setRef(e.currentTarget.value)}
                            />
                        </label>
                        <button type="submit" id="seal-extend">
                            {t('extend')}
                        </button>
                    </form>
                </>
            )}
        </Section>
    );
}

const RANGES = {
    last24h: { ms: 86_400_000, buckets: 12 },
    last7d: { ms: 7 * 86_400_000, buckets: 7 },
    last30d: { ms: 30 * 86_400_000, buckets: 10 },
};

function Counts(props: { session: SessionInfo; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [range, setRange] = useState<keyof typeof RANGES>('last24h');
    const [data, setData] = useState<{
        labels: string[];
        series: Series[];
        rows: { label: string; series: string; granted: number; denied: number }[];
    }>();
    const load = () =>
        props.guard(async () => {
            const { ms, buckets } = RANGES[range];
            const end = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
            const step = ms / buckets;
            const edges = Array.from({ length: buckets + 1 }, (_, i) => new Date(end - ms + i * step));
            const fmt = (d: Date) =>
                d.toLocaleString(
                    lang === 'ko' ? 'ko-KR' : 'en-GB',
                    range === 'last24h' ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric' },
                );
            const labels = edges.slice(0, -1).map(fmt);
            const values = new Map<string, number[]>();
            const rows: { label: string; series: string; granted: number; denied: number }[] = [];
            for (const org of props.session.orgs) {
                const counts = await Promise.all(
                    edges
                        .slice(0, -1)
                        .map((from, i) =>
                            call<{ counts: { byDept: Record<string, { granted: number; denied: number }> } }>(
                                'GET',
                                `/v1/audit/access/counts${query({ mspId: org, from: from.toISOString(), to: edges[i + 1].toISOString() })}`,
                            ),
                        ),
                );
                counts.forEach((c, i) => {
                    for (const [dept, n] of Object.entries(c.counts.byDept)) {
                        const key = `${org} / ${dept}`;
                        if (!values.has(key)) values.set(key, new Array(buckets).fill(0));
                        values.get(key)![i] += n.granted + n.denied;
                        rows.push({ label: labels[i], series: key, granted: n.granted, denied: n.denied });
                    }
                });
            }
            const series = [...values.entries()].sort().map(([label, v], i) => ({ label, color: PALETTE[i % PALETTE.length], values: v }));
            setData({ labels, series, rows });
        });
    useEffect(() => {
        load();
    }, [range]);
    return (
        <Section id="counts" class="chart" title={t('countsTitle')}>
            <div class="row">
                <label>
                    {t('range')}
                    <select id="c-range" value={range} onChange={(e) => setRange(e.currentTarget.value as keyof typeof RANGES)}>
                        {(Object.keys(RANGES) as (keyof typeof RANGES)[]).map((r) => (
                            <option key={r} value={r}>
                                {t(r)}
                            </option>
                        ))}
                    </select>
                </label>
            </div>
            {data && (
                <>
                    <StackedBars title={t('countsTitle')} labels={data.labels} series={data.series} />
                    <ul class="legend" aria-label={t('org')}>
                        {data.series.map((s) => (
                            <li key={s.label}>
                                <svg width="14" height="14" aria-hidden="true" class="swatch-svg">
                                    <rect width="14" height="14" fill={s.color} />
                                </svg>{' '}
                                {s.label}
                            </li>
                        ))}
                    </ul>
                    <Table
                        id="counts"
                        caption={t('countsTitle')}
                        headers={[
                            t('period'),
                            <>
                                {t('org')} / {t('dept')}
                            </>,
                            t('granted'),
                            t('denied'),
                        ]}
                        empty={t('none')}
                        count={data.rows.length}
                    >
                        {data.rows.map((r) => (
                            <tr key={`${r.label}-${r.series}`}>
                                <td>{r.label}</td>
                                <td>{r.series}</td>
                                <td>{r.granted}</td>
                                <td>{r.denied}</td>
                            </tr>
                        ))}
                    </Table>
                </>
            )}
        </Section>
    );
}

function History(props: { guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [kind, setKind] = useState('card');
    const [id, setId] = useState('');
    const [entries, setEntries] = useState<{ txId: string; timestamp: string; isDelete: boolean; value: unknown }[]>();
    return (
        <Section id="history" title={t('history')}>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    props.guard(async () => {
                        const r = await call<{ history: { entries: NonNullable<typeof entries> } }>(
                            'GET',
                            `/v1/audit/history/${kind}/${encodeURIComponent(id.trim())}`,
                        );
                        setEntries(r.history.entries);
                    });
                }}
            >
                <label>
                    {t('kind')}
                    <select id="h-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
                        {['card', 'consent', 'service', 'access'].map((k) => (
                            <option key={k} value={k}>
                                {k}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    {t('id')}
                    <input id="h-id" required value={id} onInput={(e) => setId(e.currentTarget.value)} />
                </label>
                <button type="submit">{t('show')}</button>
            </form>
            {entries && (
                <Table
                    id="history"
                    caption={
                        <>
                            {kind} {id}
                        </>
                    }
                    headers={[t('version'), t('time'), t('transaction'), t('value')]}
                    empty={t('none')}
                    count={entries.length}
                >
                    {entries.map((h, i) => (
                        <tr key={h.txId}>
                            <td>{i + 1}</td>
                            <td>{formatTime(h.timestamp, lang)}</td>
                            <td class="mono">{h.txId}</td>
                            <td class="mono">{h.isDelete ? t('deleted') : JSON.stringify(h.value)}</td>
                        </tr>
                    ))}
                </Table>
            )}
        </Section>
    );
}

function Blocks(props: { guard: Guard; open: Open }) {
    const t = useT(TEXT);
    const [chain, setChainInfo] = useState<ChainInfo>();
    const [to, setTo] = useState<number>();
    const [blocks, setBlocks] = useState<Block[]>([]);
    const load = (end?: number) =>
        props.guard(async () => {
            const info = (await call<{ chain: ChainInfo }>('GET', '/v1/chain')).chain;
            const top = Math.min(end ?? Number(info.height), Number(info.height));
            const from = Math.max(0, top - 10);
            const r = await call<{ blocks: Block[] }>('GET', `/v1/blocks${query({ from, to: Math.max(top, from + 1) })}`);
            setChainInfo(info);
            setTo(top);
            setBlocks([...r.blocks].reverse());
        });
    useEffect(() => {
        load();
    }, []);
    return (
        <Section id="blocks" title={t('blocks')}>
            {chain && <p>{t('height', { h: chain.height })}</p>}
            <Table
                id="blocks"
                caption={t('blocks')}
                hideCaption
                headers={[
                    t('block'),
                    t('txCount'),
                    t('validation'),
                    t('dataHash'),
                    t('previousHash'),
                    <span class="sr-only">{t('open')}</span>,
                ]}
                count={blocks.length}
            >
                {blocks.map((b) => (
                    <tr key={b.number}>
                        <td>{b.number}</td>
                        <td>{b.transactions.length}</td>
                        <td>{[...new Set(b.transactions.map((x) => x.validationCode))].join(', ')}</td>
                        <td class="mono">{b.dataHash.slice(0, 16)}…</td>
                        <td class="mono">{b.previousHash ? `${b.previousHash.slice(0, 16)}…` : '—'}</td>
                        <td>
                            <button
                                type="button"
                                class="secondary"
                                aria-label={t('openBlock', { n: b.number })}
                                onClick={() => props.open.block(b.number)}
                            >
                                {t('open')}
                            </button>
                        </td>
                    </tr>
                ))}
            </Table>
            <div class="row">
                <button type="button" class="secondary" disabled={!to || to <= 10} onClick={() => load((to ?? 0) - 10)}>
                    {t('older')}
                </button>
                <button
                    type="button"
                    class="secondary"
                    disabled={!chain || to === Number(chain.height)}
                    onClick={() => load((to ?? 0) + 10)}
                >
                    {t('newer')}
                </button>
            </div>
        </Section>
    );
}

function Panel(props: { id: string; title: string; onClose(): void; children: ComponentChildren }) {
    const t = useT(TEXT);
    const heading = useRef<HTMLHeadingElement>(null);
    // Keyboard users land on the panel that just opened.
    useEffect(() => heading.current?.focus(), [props.title]);
    return (
        <section id={props.id} aria-labelledby={`${props.id}-title`}>
            <h2 id={`${props.id}-title`} tabIndex={-1} ref={heading}>
                {props.title}
            </h2>
            {props.children}
            <p>
                <button type="button" class="secondary" onClick={props.onClose}>
                    {t('close')}
                </button>
            </p>
        </section>
    );
}

function TxTable(props: { txs: Tx[]; open: Open }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    return (
        <Table
            class="txs"
            caption={t('transaction')}
            hideCaption
            headers={['#', t('transaction'), t('type'), t('time'), t('creator'), t('endorsers'), t('validation')]}
            count={props.txs.length}
        >
            {props.txs.map((x) => (
                <tr key={x.index}>
                    <td>{x.index}</td>
                    <td class="mono">
                        {x.type === 'ENDORSER_TRANSACTION' ? (
                            <button
                                type="button"
                                class="secondary mono"
                                aria-label={t('proofOf', { id: `${x.transactionId.slice(0, 16)}…` })}
                                onClick={() => props.open.proof(x.transactionId)}
                            >
                                {x.transactionId.slice(0, 16)}…
                            </button>
                        ) : (
                            x.transactionId || '—'
                        )}
                    </td>
                    <td>{x.type}</td>
                    <td>{formatTime(x.timestamp, lang)}</td>
                    <td>{x.creatorMspId}</td>
                    <td>{x.endorsingOrgs.join(', ')}</td>
                    <td>
                        <span class={`badge ${x.valid ? 'VALID' : 'bad'}`}>{x.validationCode}</span>
                    </td>
                </tr>
            ))}
        </Table>
    );
}

function BlockPanel(props: { number: string; guard: Guard; open: Open; onClose(): void }) {
    const t = useT(TEXT);
    const [block, setBlock] = useState<Block>();
    const [hash, setHash] = useState('');
    useEffect(() => {
        setBlock(undefined);
        props.guard(async () => {
            const b = (await call<{ block: Block }>('GET', `/v1/blocks/${props.number}`)).block;
            setBlock(b);
            setHash(await headerHash(b));
        });
    }, [props.number]);
    return (
        <Panel id="block-view" title={t('blockN', { n: props.number })} onClose={props.onClose}>
            {block && (
                <>
                    <dl class="kv">
                        <dt>{t('previousHash')}</dt>
                        <dd class="mono">{block.previousHash || '—'}</dd>
                        <dt>{t('dataHash')}</dt>
                        <dd class="mono">{block.dataHash}</dd>
                        <dt>{t('headerHash')}</dt>
                        <dd class="mono" id="block-hash">
                            {hash}
                        </dd>
                    </dl>
                    <TxTable txs={block.transactions} open={props.open} />
                </>
            )}
        </Panel>
    );
}

function ProofPanel(props: { txId: string; guard: Guard; open: Open; onClose(): void }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [proof, setProof] = useState<TransactionProof>();
    const [checks, setChecks] = useState<Check[]>();
    useEffect(() => {
        setProof(undefined);
        setChecks(undefined);
        props.guard(async () => {
            const p = (await call<{ proof: TransactionProof }>('GET', `/v1/transactions/${props.txId}`)).proof;
            setProof(p);
            const block = (await call<{ block: Block & { transactions: { envelope: string }[] } }>('GET', `/v1/blocks/${p.blockNumber}`))
                .block;
            // Headers from the transaction's block to the tip, 50 at a time.
            const headers: Block[] = [];
            let from = Number(p.blockNumber);
            let tip = '';
            for (;;) {
                const r = await call<{ chain: ChainInfo; blocks: Block[] }>('GET', `/v1/blocks${query({ from, to: from + 50 })}`);
                headers.push(...r.blocks);
                from += r.blocks.length;
                tip = r.chain.currentBlockHash;
                if (r.blocks.length === 0 || from >= Number(r.chain.height)) break;
            }
            setChecks(await verifyProof(props.txId, block, headers, tip));
        });
    }, [props.txId]);
    return (
        <Panel id="proof-view" title={t('proofOf', { id: `${props.txId.slice(0, 12)}…` })} onClose={props.onClose}>
            {proof && (
                <dl class="kv">
                    <dt>{t('transaction')}</dt>
                    <dd class="mono">{proof.transactionId}</dd>
                    <dt>{t('block')}</dt>
                    <dd>
                        <button type="button" class="secondary" id="proof-open-block" onClick={() => props.open.block(proof.blockNumber)}>
                            {t('openBlock', { n: proof.blockNumber })}
                        </button>
                    </dd>
                    <dt>{t('validation')}</dt>
                    <dd>
                        <span class={`badge ${proof.valid ? 'VALID' : 'bad'}`}>{proof.validationCode}</span>
                    </dd>
                    <dt>{t('chaincode')}</dt>
                    <dd>{proof.chaincode}</dd>
                    <dt>{t('creator')}</dt>
                    <dd>{proof.creatorMspId}</dd>
                    <dt>{t('endorsers')}</dt>
                    <dd>{proof.endorsingOrgs.join(', ')}</dd>
                    <dt>{t('time')}</dt>
                    <dd>{formatTime(proof.timestamp, lang)}</dd>
                </dl>
            )}
            <h3>{t('checks')}</h3>
            {!checks && <p>{t('checking')}</p>}
            {checks && (
                <ul class="checks" id="proof-checks">
                    {checks.map((c) => (
                        <li key={c.key} data-check={c.key} data-ok={String(c.ok)}>
                            <span class={`badge ${c.ok ? 'ok' : 'bad'}`}>{c.ok ? t('passed') : t('failed')}</span> {t(`check_${c.key}`)}{' '}
                            <span class="mono muted">{c.detail}</span>
                        </li>
                    ))}
                </ul>
            )}
        </Panel>
    );
}

render(
    <LangProvider>
        <Console />
    </LangProvider>,
    document.getElementById('app')!,
);
