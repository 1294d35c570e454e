// The citizen's data tracker: register this device, sign in by signing the gateway's challenge,
// then see every access to the card's data (live; a sealed one only from its seal date, a
// break-glass one flagged), object to one and read the audit office's finding, the consents (give,
// withdraw) and the card's status (report a lost device). A legal representative sees whom they
// represent and what they may do, consents for them and reads their log; a child takes over at 14.
// Every ledger change is a document signed here by the device key.
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import { toBase64Url } from '../shared/bytes';
import { ErrorAlert, Frame, Section } from '../shared/frame';
import { formatTime, LangProvider, useLang, useT } from '../shared/i18n';
import { Table } from '../shared/table';
import type {
    AccessLogRecord,
    CitizenCard,
    Consent,
    Objection,
    Page,
    Representation,
    RepresentativeActEntry,
    Service,
} from '../../chaincode/model/assets';
import type { DataItem } from '../../chaincode/model/vocabulary';
import '../shared/style.css';
import {
    type ActingFor,
    type Device,
    forgetDevice,
    loadDevice,
    registerDevice,
    signAccessLogRequest,
    signChallenge,
    signConsent,
    signLostDevice,
    signMinorityEnd,
    signObjection,
    signRepresentationListRequest,
    signRepresentativeAccessLogRequest,
    signRepresentativeConsent,
    signRepresentativeWithdrawal,
    signWithdrawal,
} from './device';
import { TEXT } from './text';

const call = api('/tracker/api');

const message = (e: unknown) => (e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);

/** A card's log holds access entries (a sealed one with its seal's date) and its legal representatives' acts. */
type LogRecord = AccessLogRecord | RepresentativeActEntry;
const isAccess = (r: LogRecord): r is AccessLogRecord => r.docType === 'access';
const isAct = (r: LogRecord): r is RepresentativeActEntry => r.docType === 'representativeAct';

/** Every page of a listing (bounded: at most 20 pages of 100). */
async function all<T>(fetchPage: (bookmark: string) => Promise<Page<T>>): Promise<T[]> {
    const out: T[] = [];
    let bookmark = '';
    for (let i = 0; i < 20; i++) {
        const page = await fetchPage(bookmark);
        out.push(...page.records);
        if (page.records.length < 100 || !page.bookmark || page.bookmark === bookmark) break;
        bookmark = page.bookmark;
    }
    return out;
}

function Tracker() {
    const t = useT(TEXT);
    const [device, setDevice] = useState<Device | undefined | null>(null);
    const [signedIn, setSignedIn] = useState(false);
    const [error, setError] = useState('');

    useEffect(() => {
        (async () => {
            const d = await loadDevice();
            setDevice(d);
            if (d) {
                const s = await call<{ session: { cardId?: string } | null }>('GET', '/session');
                setSignedIn(s.session?.cardId === d.cardId);
            }
        })().catch((e) => setError(message(e)));
    }, []);

    const signIn = async () => {
        if (!device) return;
        setError('');
        try {
            const c = await call<{ challenge: string; verifierMspId: string }>('POST', '/session/challenge', { cardId: device.cardId });
            await call('POST', '/session', await signChallenge(device, c.challenge, c.verifierMspId));
            setSignedIn(true);
        } catch (e) {
            // The card's key is another device's (the desk re-bound the card): say so, not the code.
            setError(e instanceof ApiError && e.code === 'SIGNATURE_INVALID' ? t('deviceReplaced') : message(e));
        }
    };
    const signOut = async () => {
        await call('DELETE', '/session').catch(() => undefined);
        setSignedIn(false);
    };

    return (
        <Frame title={t('title')} signOut={signedIn ? { label: t('signOut'), onClick: signOut } : undefined} error={error}>
            {device === null && <p>{t('loading')}</p>}
            {device === undefined && <Register onDone={setDevice} />}
            {device && !signedIn && (
                <DevicePanel
                    device={device}
                    onSignIn={signIn}
                    onForget={async () => {
                        await forgetDevice();
                        setDevice(undefined);
                    }}
                />
            )}
            {device && signedIn && <SignedIn device={device} onSignedOut={() => setSignedIn(false)} />}
        </Frame>
    );
}

function Register(props: { onDone(d: Device): void }) {
    const t = useT(TEXT);
    const [cardId, setCardId] = useState('');
    return (
        <Section id="register" title={t('registerTitle')}>
            <p>{t('registerHelp')}</p>
            <form
                class="row"
                onSubmit={async (e) => {
                    e.preventDefault();
                    props.onDone(await registerDevice(cardId.trim()));
                }}
            >
                <label>
                    {t('cardId')}
                    <input
                        id="card-id"
                        required
                        pattern="[A-Za-z0-9][A-Za-z0-9_.\-]{2,63}"
                        value={cardId}
                        onInput={(e) => setCardId(e.currentTarget.value)}
                    />
                </label>
                <button type="submit">{t('register')}</button>
            </form>
        </Section>
    );
}

function DevicePanel(props: { device: Device; onSignIn(): void; onForget(): void }) {
    const t = useT(TEXT);
    return (
        <Section id="device" title={t('deviceTitle')}>
            <dl class="kv">
                <dt>{t('cardId')}</dt>
                <dd id="device-card">{props.device.cardId}</dd>
                <dt>{t('publicKey')}</dt>
                <dd>
                    <code id="device-public-key" class="mono">
                        {props.device.publicKey}
                    </code>
                </dd>
            </dl>
            <p class="muted">{t('registerHelp')}</p>
            <div class="row">
                <button type="button" onClick={props.onSignIn}>
                    {t('signIn')}
                </button>
                <button type="button" class="secondary" onClick={props.onForget}>
                    {t('forget')}
                </button>
            </div>
        </Section>
    );
}

function SignedIn(props: { device: Device; onSignedOut(): void }) {
    const { device } = props;
    const [services, setServices] = useState<Service[]>([]);
    const [consents, setConsents] = useState<Consent[]>([]);
    const [error, setError] = useState('');
    const signedOut = useRef(props.onSignedOut);
    signedOut.current = props.onSignedOut;
    const guard = useCallback(async (work: () => Promise<void>) => {
        setError('');
        try {
            await work();
        } catch (e) {
            if (e instanceof ApiError && e.status === 401) signedOut.current();
            setError(message(e));
        }
    }, []);
    const loadConsents = useCallback(
        () =>
            guard(async () => {
                const list = await all<Consent>(
                    async (bookmark) =>
                        (
                            await call<{ page: Page<Consent> }>(
                                'GET',
                                `/v1/cards/${device.cardId}/consents?pageSize=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`,
                            )
                        ).page,
                );
                setConsents(list);
            }),
        [device, guard],
    );
    useEffect(() => {
        guard(async () => {
            setServices(await all<Service>(async () => (await call<{ page: Page<Service> }>('GET', '/v1/services?pageSize=100')).page));
        });
        loadConsents();
    }, [guard, loadConsents]);
    const serviceName = useMemo(() => new Map(services.map((s) => [s.serviceId, s.name])), [services]);
    const [objections, setObjections] = useState<Objection[]>([]);
    const [objecting, setObjecting] = useState<{ entry: AccessLogRecord; as?: ActingFor }>();
    const loadObjections = useCallback(
        () =>
            guard(async () => {
                const list = await all<Objection>(
                    async (bookmark) =>
                        (
                            await call<{ page: Page<Objection> }>(
                                'GET',
                                `/v1/cards/${device.cardId}/objections?pageSize=100${bookmark ? `&bookmark=${encodeURIComponent(bookmark)}` : ''}`,
                            )
                        ).page,
                );
                setObjections(list.sort((a, b) => b.filedAt.localeCompare(a.filedAt)));
            }),
        [device, guard],
    );
    useEffect(() => {
        loadObjections();
    }, [loadObjections]);
    return (
        <>
            <ErrorAlert message={error} />
            <CardPanel device={device} guard={guard} />
            <MyRepresentatives device={device} guard={guard} />
            <Representations device={device} services={services} serviceName={serviceName} guard={guard} onObject={setObjecting} />
            {objecting && (
                <ObjectionForm
                    device={device}
                    entry={objecting.entry}
                    as={objecting.as}
                    serviceName={serviceName}
                    guard={guard}
                    onDone={async () => {
                        setObjecting(undefined);
                        await loadObjections();
                    }}
                    onCancel={() => setObjecting(undefined)}
                />
            )}
            <AccessLog device={device} serviceName={serviceName} guard={guard} onObject={(entry) => setObjecting({ entry })} />
            <Objections objections={objections} serviceName={serviceName} reload={loadObjections} />
            <Consents device={device} consents={consents} services={services} reload={loadConsents} guard={guard} />
        </>
    );
}

type Guard = (work: () => Promise<void>) => Promise<void>;

function CardPanel(props: { device: Device; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [card, setCard] = useState<CitizenCard>();
    const [confirming, setConfirming] = useState(false);
    const load = useCallback(
        () => props.guard(async () => setCard((await call<{ card: CitizenCard }>('GET', `/v1/cards/${props.device.cardId}`)).card)),
        [props.device, props.guard],
    );
    useEffect(() => {
        load();
    }, [load]);
    return (
        <Section id="card" title={t('cardTitle')}>
            {card && (
                <dl class="kv">
                    <dt>{t('cardId')}</dt>
                    <dd>{card.cardId}</dd>
                    <dt>{t('status')}</dt>
                    <dd>
                        <span id="card-status" class={`badge ${card.status}`}>
                            {card.status}
                        </span>
                    </dd>
                    <dt>{t('expires')}</dt>
                    <dd>{formatTime(card.expiresAt, lang)}</dd>
                    <dt>{t('cardDevice')}</dt>
                    <dd id="card-device" data-this-device={String(card.devicePublicKey === props.device.publicKey)}>
                        {card.devicePublicKey === props.device.publicKey ? t('thisDevice') : t('otherDevice')}
                    </dd>
                    {card.statusReason && (
                        <>
                            <dt>{t('lastChange')}</dt>
                            <dd id="card-change" data-reason={card.statusReason}>
                                {card.statusReason === 'DEVICE_REPLACED' ? t('DEVICE_REPLACED') : card.statusReason} ·{' '}
                                {formatTime(card.updatedAt, lang)}
                            </dd>
                        </>
                    )}
                </dl>
            )}
            {card?.status === 'ACTIVE' && !confirming && (
                <p>
                    <button type="button" class="danger" onClick={() => setConfirming(true)}>
                        {t('reportLost')}
                    </button>
                </p>
            )}
            {confirming && (
                <fieldset>
                    <legend>{t('reportLostConfirm')}</legend>
                    <div class="row">
                        <button
                            type="button"
                            class="danger"
                            onClick={() =>
                                props.guard(async () => {
                                    await call('POST', `/v1/cards/${props.device.cardId}/report-lost`, await signLostDevice(props.device));
                                    setConfirming(false);
                                    await load();
                                })
                            }
                        >
                            {t('confirm')}
                        </button>
                        <button type="button" class="secondary" onClick={() => setConfirming(false)}>
                            {t('cancel')}
                        </button>
                    </div>
                </fieldset>
            )}
        </Section>
    );
}

function AccessLog(props: { device: Device; serviceName: Map<string, string>; guard: Guard; onObject(e: AccessLogRecord): void }) {
    const t = useT(TEXT);
    const { device } = props;
    const [entries, setEntries] = useState<AccessLogRecord[]>([]);
    const [acts, setActs] = useState<RepresentativeActEntry[]>([]);
    const [fresh, setFresh] = useState<Set<string>>(new Set());
    const [live, setLive] = useState(false);
    const [announce, setAnnounce] = useState('');
    const [filter, setFilter] = useState({ org: '', decision: '', service: '', from: '', to: '' });
    const known = useRef<Set<string>>(new Set());

    const load = useCallback(
        () =>
            props.guard(async () => {
                const records = await all<LogRecord>(
                    async (bookmark) =>
                        (
                            await call<{ page: Page<LogRecord> }>('POST', `/v1/cards/${device.cardId}/access-log/query`, {
                                request: await signAccessLogRequest(device),
                                pageSize: 100,
                                bookmark,
                            })
                        ).page,
                );
                records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
                setActs(records.filter(isAct));
                const list = records.filter(isAccess);
                const added = known.current.size ? list.filter((e) => !known.current.has(e.accessId)) : [];
                known.current = new Set(list.map((e) => e.accessId));
                setEntries(list);
                if (added.length) {
                    setFresh(new Set(added.map((e) => e.accessId)));
                    const e = added[0];
                    setAnnounce(t('newAccess', { org: e.callerMspId, dept: e.callerDept, decision: t(e.decision) }));
                }
            }),
        [device, props.guard, t],
    );

    const loadRef = useRef(load);
    loadRef.current = load;

    // Live: the gateway's SSE stream of the card's new access-log entries; each one reloads the list.
    useEffect(() => {
        const load = () => loadRef.current();
        let source: EventSource | undefined;
        let closed = false;
        let retry: ReturnType<typeof setTimeout> | undefined;
        const connect = async () => {
            const signed = await signAccessLogRequest(device);
            if (closed) return;
            const request = toBase64Url(new TextEncoder().encode(JSON.stringify(signed)));
            source = new EventSource(`/tracker/api/v1/cards/${encodeURIComponent(device.cardId)}/access-log/stream?request=${request}`);
            source.onopen = () => {
                setLive(true);
                load();
            };
            source.addEventListener('access', () => load());
            source.onerror = () => {
                // The signed request is only fresh for a while: reconnect with a new one.
                setLive(false);
                source?.close();
                if (!closed) retry = setTimeout(connect, 2000);
            };
        };
        load();
        connect();
        return () => {
            closed = true;
            clearTimeout(retry);
            source?.close();
        };
    }, [device]);

    const orgs = [...new Set(entries.map((e) => e.callerMspId))].sort();
    const services = [...new Set(entries.map((e) => e.serviceId))].sort();
    const shown = entries.filter(
        (e) =>
            (!filter.org || e.callerMspId === filter.org) &&
            (!filter.decision || e.decision === filter.decision) &&
            (!filter.service || e.serviceId === filter.service) &&
            (!filter.from || e.timestamp >= new Date(filter.from).toISOString()) &&
            (!filter.to || e.timestamp < new Date(new Date(filter.to).getTime() + 86_400_000).toISOString()),
    );
    const set = (k: keyof typeof filter) => (e: Event) => setFilter({ ...filter, [k]: (e.currentTarget as HTMLInputElement).value });
    return (
        <Section id="access" title={t('accessTitle')}>
            <p id="live-status" class="muted">
                {live ? t('live') : t('offline')}
            </p>
            <p class="sr-only" aria-live="polite">
                {announce}
            </p>
            <fieldset class="row filters">
                <legend class="sr-only">{t('filters')}</legend>
                <label>
                    {t('filterOrg')}
                    <select id="filter-org" value={filter.org} onChange={set('org')}>
                        <option value="">{t('all')}</option>
                        {orgs.map((o) => (
                            <option key={o} value={o}>
                                {o}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    {t('filterDecision')}
                    <select id="filter-decision" value={filter.decision} onChange={set('decision')}>
                        <option value="">{t('all')}</option>
                        <option value="GRANTED">{t('GRANTED')}</option>
                        <option value="DENIED">{t('DENIED')}</option>
                    </select>
                </label>
                <label>
                    {t('filterService')}
                    <select id="filter-service" value={filter.service} onChange={set('service')}>
                        <option value="">{t('all')}</option>
                        {services.map((s) => (
                            <option key={s} value={s}>
                                {props.serviceName.get(s) ?? s}
                            </option>
                        ))}
                    </select>
                </label>
                <label>
                    {t('filterFrom')}
                    <input type="date" value={filter.from} onInput={set('from')} />
                </label>
                <label>
                    {t('filterTo')}
                    <input type="date" value={filter.to} onInput={set('to')} />
                </label>
            </fieldset>
            <p class="muted">{t('shown', { n: shown.length, total: entries.length })}</p>
            <LogTable id="access-log" entries={shown} fresh={fresh} serviceName={props.serviceName} onObject={props.onObject} />
            {acts.length > 0 && <ActsTable acts={acts} serviceName={props.serviceName} />}
        </Section>
    );
}

/** Access-log entries, newest first: who, what, on what basis, the decision, a seal or an emergency flag; an objection button. */
function LogTable(props: {
    id: string;
    entries: AccessLogRecord[];
    fresh?: Set<string>;
    serviceName: Map<string, string>;
    onObject?(e: AccessLogRecord): void;
}) {
    const t = useT(TEXT);
    const { lang } = useLang();
    return (
        <Table
            id={props.id}
            caption={t('accessTitle')}
            hideCaption
            headers={[t('time'), t('org'), t('dept'), t('service'), t('purpose'), t('items'), t('basis'), t('decision'), t('notes')]}
            empty={t('noAccess')}
            count={props.entries.length}
        >
            {props.entries.map((e) => (
                <tr
                    key={e.accessId}
                    class={props.fresh?.has(e.accessId) ? 'new' : ''}
                    data-access-id={e.accessId}
                    data-decision={e.decision}
                    data-sealed={e.sealed ? 'true' : undefined}
                    data-break-glass={e.breakGlass ? 'true' : undefined}
                >
                    <td>{formatTime(e.timestamp, lang)}</td>
                    <td>{e.callerMspId}</td>
                    <td>{e.callerDept}</td>
                    <td>{props.serviceName.get(e.serviceId) ?? e.serviceId}</td>
                    <td>{e.purpose}</td>
                    <td>
                        {[...e.items, ...e.predicates.map((p) => (p.value === undefined ? p.name : `${p.name} ${p.value}`))].join(', ')}
                    </td>
                    <td>
                        {e.consentId
                            ? t('consent', { id: e.consentId.slice(0, 12) })
                            : e.legalBasis
                              ? t('legal', { basis: e.legalBasis })
                              : ''}{' '}
                        <span class="muted">{e.reason}</span>
                    </td>
                    <td>
                        <span class={`badge ${e.decision}`}>{t(e.decision)}</span>
                    </td>
                    <td>
                        {e.sealed && e.sealedUntil && (
                            <span class="badge SEALED">{t('sealedNote', { until: formatTime(e.sealedUntil, lang) })}</span>
                        )}
                        {e.breakGlass && (
                            <span class="badge BREAK_GLASS">
                                {e.breakGlass.reasonCode
                                    ? t('breakGlassNote', { reason: e.breakGlass.reasonCode, ref: e.breakGlass.incidentRef ?? '' })
                                    : t('breakGlassNoReason')}
                            </span>
                        )}
                        {props.onObject && (
                            <button
                                type="button"
                                class="secondary"
                                aria-label={t('objectLabel', { time: formatTime(e.timestamp, lang) })}
                                onClick={() => props.onObject?.(e)}
                            >
                                {t('object')}
                            </button>
                        )}
                    </td>
                </tr>
            ))}
        </Table>
    );
}

/** A legal representative's acts in the represented citizen's log. */
function ActsTable(props: { acts: RepresentativeActEntry[]; serviceName: Map<string, string> }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    return (
        <>
            <h3 id="acts-title">{t('actsTitle')}</h3>
            <Table
                id="acts"
                caption={t('actsTitle')}
                hideCaption
                headers={[t('time'), t('whatAct'), t('actBy'), t('service')]}
                count={props.acts.length}
            >
                {props.acts.map((a) => (
                    <tr key={a.actId} data-act={a.act}>
                        <td>{formatTime(a.timestamp, lang)}</td>
                        <td>{t(`act_${a.act}`)}</td>
                        <td class="mono">{a.representativeCardId}</td>
                        <td>{a.serviceId ? (props.serviceName.get(a.serviceId) ?? a.serviceId) : ''}</td>
                    </tr>
                ))}
            </Table>
        </>
    );
}

/** The objection form: a short text, signed (its salted hash) by the device; for the citizen or for whom a representative acts. */
function ObjectionForm(props: {
    device: Device;
    entry: AccessLogRecord;
    as?: ActingFor;
    serviceName: Map<string, string>;
    guard: Guard;
    onDone(): Promise<void>;
    onCancel(): void;
}) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const [text, setText] = useState('');
    const e = props.entry;
    return (
        <Section id="objection" title={t('objectionTitle')}>
            <p>
                {formatTime(e.timestamp, lang)} · {e.callerMspId} ({e.callerDept}) · {props.serviceName.get(e.serviceId) ?? e.serviceId} ·{' '}
                <span class={`badge ${e.decision}`}>{t(e.decision)}</span>
            </p>
            <p class="muted">{t('objectionHelp')}</p>
            <form
                onSubmit={(ev) => {
                    ev.preventDefault();
                    props.guard(async () => {
                        await call('POST', '/v1/objections', await signObjection(props.device, e.accessId, text.trim(), props.as));
                        setText('');
                        await props.onDone();
                    });
                }}
            >
                <label class="stack">
                    {t('objectionText')}
                    <textarea
                        id="objection-text"
                        required
                        maxLength={1000}
                        rows={4}
                        value={text}
                        onInput={(ev) => setText(ev.currentTarget.value)}
                    />
                </label>
                <div class="row">
                    <button type="submit">{t('sendObjection')}</button>
                    <button type="button" class="secondary" onClick={props.onCancel}>
                        {t('cancel')}
                    </button>
                </div>
            </form>
        </Section>
    );
}

/** The citizen's objections and the audit office's findings. */
function Objections(props: { objections: Objection[]; serviceName: Map<string, string>; reload(): void }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    return (
        <Section id="objections" title={t('objectionsTitle')}>
            <p>
                <button type="button" id="objections-refresh" class="secondary" onClick={props.reload}>
                    {t('refresh')}
                </button>
            </p>
            <Table
                id="objections-table"
                caption={t('objectionsTitle')}
                hideCaption
                headers={[t('filed'), t('access'), t('status'), t('finding')]}
                empty={t('noObjections')}
                count={props.objections.length}
            >
                {props.objections.map((o) => (
                    <tr key={o.objectionId} data-objection-id={o.objectionId} data-status={o.status}>
                        <td>{formatTime(o.filedAt, lang)}</td>
                        <td>
                            {o.callerMspId} ({o.callerDept}) · {props.serviceName.get(o.serviceId) ?? o.serviceId}{' '}
                            <span class="mono muted">{o.accessId.slice(0, 12)}</span>
                        </td>
                        <td>
                            <span class={`badge ${o.status}`}>{t(o.status)}</span>
                        </td>
                        <td class="finding">
                            {o.finding ? (
                                <>
                                    <strong>{o.finding.findingCode}</strong> {o.finding.text}{' '}
                                    <span class="muted">({formatTime(o.finding.at, lang)})</span>
                                </>
                            ) : (
                                <span class="muted">{t('pending')}</span>
                            )}
                        </td>
                    </tr>
                ))}
            </Table>
        </Section>
    );
}

/** For a child's card: who consents for them until 14, and the button that ends it once the 14th birthday has come. */
function MyRepresentatives(props: { device: Device; guard: Guard }) {
    const t = useT(TEXT);
    const { device } = props;
    const [reps, setReps] = useState<Representation[]>([]);
    const [token, setToken] = useState<string>();
    const [done, setDone] = useState(false);
    const load = useCallback(
        () =>
            props.guard(async () => {
                const { page } = await call<{ page: Page<Representation> }>('POST', `/v1/cards/${device.cardId}/representations/query`, {
                    request: await signRepresentationListRequest(device),
                    side: 'represented',
                    pageSize: 100,
                });
                setReps(page.records);
                if (page.records.some((r) => r.basis === 'MINOR_UNDER_14')) {
                    const m = await call<{ minority: { status: string }; endMinorityToken?: string }>(
                        'POST',
                        `/v1/cards/${device.cardId}/minority/query`,
                        { request: await signRepresentationListRequest(device) },
                    );
                    setToken(m.minority.status === 'ACTIVE' ? m.endMinorityToken : undefined);
                    setDone(m.minority.status === 'ENDED');
                }
            }),
        [device, props.guard],
    );
    useEffect(() => {
        load();
    }, [load]);
    if (reps.length === 0) return null;
    return (
        <Section id="my-representatives" title={t('minorTitle')}>
            {reps.some((r) => r.basis === 'MINOR_UNDER_14') && <p>{done ? t('tookOver') : t('minorHelp')}</p>}
            <RepresentationsTable reps={reps} side="represented" />
            {token && (
                <p>
                    <button
                        type="button"
                        onClick={() =>
                            props.guard(async () => {
                                await call('POST', `/v1/cards/${device.cardId}/minority/end`, await signMinorityEnd(device, token));
                                await load();
                            })
                        }
                    >
                        {t('takeOver')}
                    </button>
                </p>
            )}
        </Section>
    );
}

function RepresentationsTable(props: { reps: Representation[]; side: 'representative' | 'represented'; onAct?(r: Representation): void }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    return (
        <Table
            id={`representations-${props.side}`}
            caption={t(props.side === 'representative' ? 'representTitle' : 'minorTitle')}
            hideCaption
            headers={[
                props.side === 'representative' ? t('represented') : t('actBy'),
                t('basisOf'),
                t('mayDo'),
                t('until'),
                t('status'),
                ...(props.onAct ? [<span class="sr-only">{t('actFor', { card: '' })}</span>] : []),
            ]}
            count={props.reps.length}
        >
            {props.reps.map((r) => (
                <tr key={r.representationId} data-representation-id={r.representationId}>
                    <td class="mono">{props.side === 'representative' ? r.representedCardId : r.representativeCardId}</td>
                    <td>{t(r.basis)}</td>
                    <td>{r.scope.map((a) => t(`act_${a}`)).join(', ')}</td>
                    <td>{r.endsAt ? formatTime(r.endsAt, lang) : r.basis === 'MINOR_UNDER_14' ? t('untilFourteen') : ''}</td>
                    <td>
                        <span class={`badge ${r.status}`}>{t(r.status)}</span>
                    </td>
                    {props.onAct && (
                        <td>
                            {r.status === 'ACTIVE' && (
                                <button type="button" class="secondary" onClick={() => props.onAct?.(r)}>
                                    {t('actFor', { card: r.representedCardId })}
                                </button>
                            )}
                        </td>
                    )}
                </tr>
            ))}
        </Table>
    );
}

/** Whom this card's holder represents, and acting for one of them. */
function Representations(props: {
    device: Device;
    services: Service[];
    serviceName: Map<string, string>;
    guard: Guard;
    onObject(o: { entry: AccessLogRecord; as: ActingFor }): void;
}) {
    const t = useT(TEXT);
    const { device } = props;
    const [reps, setReps] = useState<Representation[]>([]);
    const [tokens, setTokens] = useState<Record<string, string>>({});
    const [acting, setActing] = useState<Representation>();
    const load = useCallback(
        () =>
            props.guard(async () => {
                const r = await call<{ page: Page<Representation>; minorityTokens: Record<string, string> }>(
                    'POST',
                    `/v1/cards/${device.cardId}/representations/query`,
                    { request: await signRepresentationListRequest(device), pageSize: 100 },
                );
                setReps(r.page.records);
                setTokens(r.minorityTokens);
            }),
        [device, props.guard],
    );
    useEffect(() => {
        load();
    }, [load]);
    if (reps.length === 0) return null;
    return (
        <Section id="represent" title={t('representTitle')}>
            <p class="muted">{t('representHelp')}</p>
            <RepresentationsTable reps={reps} side="representative" onAct={setActing} />
            {acting && (
                <Acting
                    key={acting.representationId}
                    device={device}
                    representation={acting}
                    token={tokens[acting.representationId]}
                    services={props.services}
                    serviceName={props.serviceName}
                    guard={props.guard}
                    onObject={props.onObject}
                />
            )}
        </Section>
    );
}

/** Acting for one represented citizen: their log, the consents given for them, a consent for them, an objection. */
function Acting(props: {
    device: Device;
    representation: Representation;
    token?: string;
    services: Service[];
    serviceName: Map<string, string>;
    guard: Guard;
    onObject(o: { entry: AccessLogRecord; as: ActingFor }): void;
}) {
    const t = useT(TEXT);
    const { device, representation: r } = props;
    const as: ActingFor = { representationId: r.representationId, representedCardId: r.representedCardId, minorityToken: props.token };
    const may = (act: string) => r.scope.includes(act as never);
    const [log, setLog] = useState<LogRecord[]>([]);
    const [done, setDone] = useState('');
    const inForce = r.basis !== 'MINOR_UNDER_14' || Boolean(props.token);
    const load = useCallback(
        () =>
            props.guard(async () => {
                if (!inForce || !may('viewLog')) return;
                const records = await all<LogRecord>(
                    async (bookmark) =>
                        (
                            await call<{ page: Page<LogRecord> }>('POST', `/v1/representations/${r.representationId}/access-log/query`, {
                                request: await signRepresentativeAccessLogRequest(device, as),
                                pageSize: 100,
                                bookmark,
                            })
                        ).page,
                );
                setLog(records.sort((a, b) => b.timestamp.localeCompare(a.timestamp)));
            }),
        [device, r, props.token, props.guard],
    );
    useEffect(() => {
        load();
    }, [load]);
    // The consents representatives gave, and whether one withdrew them since (from the acts in the log).
    const acts = log.filter(isAct);
    const withdrawn = new Set(acts.filter((a) => a.act === 'withdraw').map((a) => a.consentId));
    const given = acts.filter((a) => a.act === 'consent' && a.consentId);
    return (
        <div id="acting" class="acting">
            <div class="row">
                <h3>{t('actingTitle', { card: r.representedCardId })}</h3>
                {inForce && (
                    <button type="button" id="acting-refresh" class="secondary" onClick={load}>
                        {t('refresh')}
                    </button>
                )}
            </div>
            <p class="sr-only" aria-live="polite">
                {done}
            </p>
            {!inForce && <p class="error">{t('noToken')}</p>}
            {inForce && may('viewLog') && (
                <>
                    <h3>{t('theirLog')}</h3>
                    <LogTable
                        id="their-log"
                        entries={log.filter(isAccess)}
                        serviceName={props.serviceName}
                        onObject={may('object') ? (entry) => props.onObject({ entry, as }) : undefined}
                    />
                </>
            )}
            {inForce && given.length > 0 && (
                <>
                    <h3>{t('theirConsents')}</h3>
                    <Table
                        id="their-consents"
                        caption={t('theirConsents')}
                        hideCaption
                        headers={[t('service'), t('granted'), t('status'), <span class="sr-only">{t('withdraw')}</span>]}
                        count={given.length}
                    >
                        {given.map((a) => {
                            const name = a.serviceId ? (props.serviceName.get(a.serviceId) ?? a.serviceId) : '';
                            const gone = withdrawn.has(a.consentId);
                            return (
                                <tr key={a.actId} data-consent-id={a.consentId}>
                                    <td>{name}</td>
                                    <td>{a.timestamp.slice(0, 10)}</td>
                                    <td>
                                        <span class={`badge ${gone ? 'WITHDRAWN' : 'ACTIVE'}`}>{gone ? 'WITHDRAWN' : 'ACTIVE'}</span>
                                    </td>
                                    <td>
                                        {!gone && may('withdraw') && (
                                            <button
                                                type="button"
                                                class="danger"
                                                aria-label={t('withdrawLabel', { service: name })}
                                                onClick={() =>
                                                    props.guard(async () => {
                                                        await call(
                                                            'POST',
                                                            `/v1/representations/${r.representationId}/consents/${a.consentId}/withdraw`,
                                                            await signRepresentativeWithdrawal(device, as, a.consentId as string),
                                                        );
                                                        setDone(t('done'));
                                                        await load();
                                                    })
                                                }
                                            >
                                                {t('withdraw')}
                                            </button>
                                        )}
                                    </td>
                                </tr>
                            );
                        })}
                    </Table>
                </>
            )}
            {inForce && may('consent') && (
                <ConsentForm
                    id="rep-consent"
                    title={t('giveFor')}
                    button={t('giveForButton')}
                    services={props.services}
                    guard={props.guard}
                    sign={async (p) => {
                        await call(
                            'POST',
                            `/v1/representations/${r.representationId}/consents`,
                            await signRepresentativeConsent(device, as, p),
                        );
                        setDone(t('done'));
                        await load();
                    }}
                />
            )}
        </div>
    );
}

function Consents(props: { device: Device; consents: Consent[]; services: Service[]; reload(): Promise<void>; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const { device } = props;
    const [done, setDone] = useState('');
    const name = (id: string) => props.services.find((s) => s.serviceId === id)?.name ?? id;
    return (
        <Section id="consents" title={t('consentsTitle')}>
            <p class="sr-only" aria-live="polite">
                {done}
            </p>
            <Table
                id="consents"
                caption={t('consentsTitle')}
                hideCaption
                headers={[
                    t('service'),
                    t('recipient'),
                    t('purpose'),
                    t('items'),
                    t('granted'),
                    t('status'),
                    <span class="sr-only">{t('withdraw')}</span>,
                ]}
                empty={t('noConsents')}
                count={props.consents.length}
            >
                {props.consents.map((c) => (
                    <tr key={c.consentId} data-consent-id={c.consentId}>
                        <td>{name(c.serviceId)}</td>
                        <td>
                            {c.recipientMspId} {c.recipientDept && `(${c.recipientDept})`}
                        </td>
                        <td>{c.purpose}</td>
                        <td>{[...c.items, ...c.predicates].join(', ')}</td>
                        <td>{formatTime(c.grantedAt, lang)}</td>
                        <td>
                            <span class={`badge ${c.status}`}>{c.status}</span>
                        </td>
                        <td>
                            {c.status === 'ACTIVE' && (
                                <button
                                    type="button"
                                    class="danger"
                                    aria-label={t('withdrawLabel', { service: name(c.serviceId) })}
                                    onClick={() =>
                                        props.guard(async () => {
                                            await call(
                                                'POST',
                                                `/v1/consents/${c.consentId}/withdraw`,
                                                await signWithdrawal(device, c.consentId),
                                            );
                                            setDone(t('done'));
                                            await props.reload();
                                        })
                                    }
                                >
                                    {t('withdraw')}
                                </button>
                            )}
                        </td>
                    </tr>
                ))}
            </Table>
            <ConsentForm
                id="grant"
                title={t('grantTitle')}
                button={t('give')}
                services={props.services}
                guard={props.guard}
                sign={async (p) => {
                    await call('POST', '/v1/consents', await signConsent(device, p));
                    setDone(t('done'));
                    await props.reload();
                }}
            />
        </Section>
    );
}

interface ConsentTerms {
    serviceId: string;
    recipientMspId: string;
    purpose: string;
    items: string[];
    predicates: string[];
    retentionDays: number;
}

/** Giving a consent: a service, the items, how long; `sign` signs and sends it (the citizen's own, or a representative's). */
function ConsentForm(props: {
    id: string;
    title: string;
    button: string;
    services: Service[];
    guard: Guard;
    sign(p: ConsentTerms): Promise<void>;
}) {
    const t = useT(TEXT);
    const active = props.services.filter((s) => s.status === 'ACTIVE');
    const [serviceId, setServiceId] = useState('');
    const [items, setItems] = useState<DataItem[]>([]);
    const [retention, setRetention] = useState(30);
    const service = active.find((s) => s.serviceId === serviceId);
    return (
        <div id={`${props.id}-form`}>
            <h3>{props.title}</h3>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    if (!service) return;
                    props.guard(async () => {
                        await props.sign({
                            serviceId: service.serviceId,
                            recipientMspId: service.ownerMspId,
                            purpose: service.purpose,
                            items: items.filter((i) => service.items.includes(i)),
                            predicates: [],
                            retentionDays: retention,
                        });
                        setItems([]);
                    });
                }}
            >
                <label>
                    {t('service')}
                    <select id={`${props.id}-service`} required value={serviceId} onChange={(e) => setServiceId(e.currentTarget.value)}>
                        <option value="">{t('chooseService')}</option>
                        {active.map((s) => (
                            <option key={s.serviceId} value={s.serviceId}>
                                {s.name} — {s.ownerMspId} ({s.dept})
                            </option>
                        ))}
                    </select>
                </label>
                {service && (
                    <fieldset>
                        <legend>{t('items')}</legend>
                        {service.items.map((i) => (
                            <label key={i} class="inline">
                                <input
                                    type="checkbox"
                                    value={i}
                                    checked={items.includes(i)}
                                    onChange={(e) => setItems(e.currentTarget.checked ? [...items, i] : items.filter((x) => x !== i))}
                                />
                                {i}
                            </label>
                        ))}
                    </fieldset>
                )}
                <label>
                    {t('retention')}
                    <input
                        type="number"
                        min={1}
                        max={3650}
                        value={retention}
                        onInput={(e) => setRetention(Number(e.currentTarget.value))}
                    />
                </label>
                <button type="submit" disabled={!service}>
                    {props.button}
                </button>
            </form>
        </div>
    );
}

render(
    <LangProvider>
        <Tracker />
    </LangProvider>,
    document.getElementById('app')!,
);
