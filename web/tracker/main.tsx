// The citizen's data tracker: register this device, sign in by signing the gateway's challenge,
// then see every access to the card's data (live), the consents (give, withdraw) and the card's
// status (report a lost device). Every ledger change is a document signed here by the device key.
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../shared/api';
import { toBase64Url } from '../shared/bytes';
import { ErrorAlert, Frame, Section } from '../shared/frame';
import { formatTime, LangProvider, useLang, useT } from '../shared/i18n';
import { Table } from '../shared/table';
import type { AccessLogEntry, CitizenCard, Consent, Page, Service } from '../../chaincode/model/assets';
import type { DataItem } from '../../chaincode/model/vocabulary';
import '../shared/style.css';
import {
    type Device,
    forgetDevice,
    loadDevice,
    registerDevice,
    signAccessLogRequest,
    signChallenge,
    signConsent,
    signLostDevice,
    signWithdrawal,
} from './device';
import { TEXT } from './text';

const call = api('/tracker/api');

const message = (e: unknown) => (e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message);

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
            setError(message(e));
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
    return (
        <>
            <ErrorAlert message={error} />
            <CardPanel device={device} guard={guard} />
            <AccessLog device={device} serviceName={serviceName} guard={guard} />
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

function AccessLog(props: { device: Device; serviceName: Map<string, string>; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const { device } = props;
    const [entries, setEntries] = useState<AccessLogEntry[]>([]);
    const [fresh, setFresh] = useState<Set<string>>(new Set());
    const [live, setLive] = useState(false);
    const [announce, setAnnounce] = useState('');
    const [filter, setFilter] = useState({ org: '', decision: '', service: '', from: '', to: '' });
    const known = useRef<Set<string>>(new Set());

    const load = useCallback(
        () =>
            props.guard(async () => {
                const list = await all<AccessLogEntry>(
                    async (bookmark) =>
                        (
                            await call<{ page: Page<AccessLogEntry> }>('POST', `/v1/cards/${device.cardId}/access-log/query`, {
                                request: await signAccessLogRequest(device),
                                pageSize: 100,
                                bookmark,
                            })
                        ).page,
                );
                list.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
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
            <Table
                id="access-log"
                caption={t('accessTitle')}
                hideCaption
                headers={[t('time'), t('org'), t('dept'), t('service'), t('purpose'), t('items'), t('basis'), t('decision')]}
                empty={t('noAccess')}
                count={shown.length}
            >
                {shown.map((e) => (
                    <tr key={e.accessId} class={fresh.has(e.accessId) ? 'new' : ''} data-access-id={e.accessId} data-decision={e.decision}>
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
                    </tr>
                ))}
            </Table>
        </Section>
    );
}

function Consents(props: { device: Device; consents: Consent[]; services: Service[]; reload(): Promise<void>; guard: Guard }) {
    const t = useT(TEXT);
    const { lang } = useLang();
    const { device } = props;
    const active = props.services.filter((s) => s.status === 'ACTIVE');
    const [serviceId, setServiceId] = useState('');
    const [items, setItems] = useState<DataItem[]>([]);
    const [retention, setRetention] = useState(30);
    const [done, setDone] = useState('');
    const service = active.find((s) => s.serviceId === serviceId);
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
            <h3>{t('grantTitle')}</h3>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    if (!service) return;
                    props.guard(async () => {
                        const signed = await signConsent(device, {
                            serviceId: service.serviceId,
                            recipientMspId: service.ownerMspId,
                            purpose: service.purpose,
                            items: items.filter((i) => service.items.includes(i)),
                            predicates: [],
                            retentionDays: retention,
                        });
                        await call('POST', '/v1/consents', signed);
                        setDone(t('done'));
                        setItems([]);
                        await props.reload();
                    });
                }}
            >
                <label>
                    {t('service')}
                    <select id="grant-service" required value={serviceId} onChange={(e) => setServiceId(e.currentTarget.value)}>
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
                    {t('give')}
                </button>
            </form>
        </Section>
    );
}

render(
    <LangProvider>
        <Tracker />
    </LangProvider>,
    document.getElementById('app')!,
);
