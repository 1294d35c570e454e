// The public transparency report: one Seoul month's counts per org, department, service and basis,
// read from /public/transparency (no sign-in, no API key). A count from 1 to minCount - 1 arrives
// as null and is shown as "fewer than minCount".
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, query } from '../shared/api';
import { Frame, Section } from '../shared/frame';
import { LangProvider, useT } from '../shared/i18n';
import { Table } from '../shared/table';
import type { TransparencyReport } from '../../chaincode/model/assets';
import type { ReportMetric } from '../../chaincode/model/vocabulary';
import '../shared/style.css';
import { TEXT } from './text';

const call = api('/public');
const METRICS: ReportMetric[] = ['accesses', 'denials', 'sealed', 'breakGlass', 'objections', 'findings'];

/** This month on the Seoul calendar (UTC+9), YYYY-MM. */
const seoulMonth = () => new Date(Date.now() + 9 * 3_600_000).toISOString().slice(0, 7);

function Transparency() {
    const t = useT(TEXT);
    const [month, setMonth] = useState(seoulMonth());
    const [report, setReport] = useState<TransparencyReport>();
    const [error, setError] = useState('');
    const load = (m: string) => {
        setError('');
        call<{ report: TransparencyReport }>('GET', `/transparency${query({ month: m })}`).then(
            (r) => setReport(r.report),
            (e) => setError(e instanceof ApiError ? `${e.code}: ${e.message}` : (e as Error).message),
        );
    };
    useEffect(() => load(month), []);
    const cell = (n: number | null) =>
        n === null ? <span class="muted suppressed">{t('fewer', { min: report?.minCount ?? '' })}</span> : <span>{n}</span>;
    return (
        <Frame title={t('title')} error={error}>
            <Section id="about" title={t('title')}>
                <p>{t('intro')}</p>
                {report && <p class="muted">{t('suppressedNote', { max: report.minCount - 1, min: report.minCount })}</p>}
                <form
                    class="row"
                    onSubmit={(e) => {
                        e.preventDefault();
                        load(month);
                    }}
                >
                    <label>
                        {t('month')}
                        <input id="month" type="month" required value={month} onInput={(e) => setMonth(e.currentTarget.value)} />
                    </label>
                    <button type="submit">{t('show')}</button>
                </form>
            </Section>
            <Section id="report" title={t('caption', { month: report?.month ?? month })}>
                {!report && !error && <p>{t('loading')}</p>}
                {report && !report.complete && <p class="muted">{t('incomplete')}</p>}
                {report && (
                    <Table
                        id="report-table"
                        caption={t('caption', { month: report.month })}
                        hideCaption
                        headers={[t('org'), t('dept'), t('service'), t('basis'), ...METRICS.map((m) => t(m))]}
                        empty={t('none')}
                        count={report.rows.length}
                    >
                        {report.rows.map((r) => (
                            <tr key={`${r.mspId}|${r.dept}|${r.serviceId}|${r.basis}`} data-dept={r.dept} data-basis={r.basis}>
                                <td>{r.mspId}</td>
                                <td>{r.dept}</td>
                                <td class="mono">{r.serviceId}</td>
                                <td>{t(r.basis)}</td>
                                {METRICS.map((m) => (
                                    <td key={m} data-metric={m}>
                                        {cell(r[m])}
                                    </td>
                                ))}
                            </tr>
                        ))}
                    </Table>
                )}
            </Section>
        </Frame>
    );
}

render(
    <LangProvider>
        <Transparency />
    </LangProvider>,
    document.getElementById('app')!,
);
