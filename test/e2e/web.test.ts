// The web UIs in a real browser (Debian's Chromium driven by playwright-core) against the test
// devnet's gateways: the citizen's tracker (device key in the browser, live access log, consent
// given and withdrawn) and the auditor's console (filter, proof checked in the page, block), each
// page checked with axe-core, and the README's screenshots taken. Without a Chromium the tests
// say so and do not run.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { basicPensionServiceBody, cardIssueBody, ensureApp, type GatewayClient } from '../../scripts/demo';
import { findOrg, REPO_ROOT, type Topology } from '../../network/client/topology';
import { NETWORK_LABEL, testNetwork } from './network';
import { notRun } from '../not-run';

/** CHROMIUM_PATH when set, else Chromium where Debian installs it (apt-get install chromium). */
function findChromium(): string | undefined {
    const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
    return candidates.find((p) => fs.existsSync(p));
}

const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays strict). */
async function seriousViolations(page: Page): Promise<string[]> {
    await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => {
        const axe = (
            globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } }
        ).axe;
        return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
    });
    return violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
}

/** The README's screenshots: taken on every run, written to docs/ only with UPDATE_SCREENSHOTS=1 (no churn in git). */
async function screenshot(page: Page, name: string): Promise<void> {
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    const png = await page.screenshot();
    expect(png.length).to.be.greaterThan(1000);
    if (process.env.UPDATE_SCREENSHOTS === '1') fs.writeFileSync(path.join(REPO_ROOT, 'docs', name), png);
}

const gatewayUrl = (t: Topology, mspId: string) => {
    const g = findOrg(t, mspId).gateway;
    return `http://${g.host}:${g.port}`;
};

describe(`web UIs in Chromium on ${NETWORK_LABEL}: the citizen tracker and the audit console`, function () {
    this.timeout(120_000);
    let t: Topology;
    let browser: Browser;
    let context: BrowserContext;
    const pageErrors: string[] = [];
    const run = `${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
    const cardId = `card-web-${run}`;
    const serviceId = `svc-web-${run}`;
    const purpose = 'Basic pension eligibility check';
    let issuer: GatewayClient;
    let welfare: GatewayClient;
    let pension: GatewayClient;
    let auditor: GatewayClient;

    before(async function () {
        const executablePath = findChromium();
        if (!executablePath) {
            notRun(this, 'no Chromium: apt-get install -y chromium, or set CHROMIUM_PATH');
        }
        t = (await testNetwork()).topology;
        issuer = await ensureApp(t, 'SeoulMSP', 'web-issuer', { identity: 'issuer1', role: 'issuer' });
        const serviceAdmin = await ensureApp(t, 'MOISMSP', 'web-service-admin', { identity: 'service-admin1', role: 'service-admin' });
        welfare = await ensureApp(t, 'MOHWMSP', 'web-welfare', { role: 'department', dept: 'welfare' });
        pension = await ensureApp(t, 'MOHWMSP', 'web-pension', { role: 'department', dept: 'pension' });
        auditor = await ensureApp(t, 'AuditMSP', 'web-auditor', { identity: 'auditor1', role: 'auditor' });
        for (const c of [issuer, serviceAdmin, welfare, pension, auditor]) c.verbose = false;
        await serviceAdmin.call(
            {
                method: 'POST',
                path: '/v1/services',
                body: basicPensionServiceBody(serviceId, purpose, { items: ['name', 'birthDate', 'address'], predicates: ['ageAtLeast'] }),
            },
            201,
        );
        browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
        context = await browser.newContext({ viewport: { width: 1100, height: 780 }, locale: 'en-GB' });
        context.on('console', (m) => {
            if (m.type() === 'error') pageErrors.push(m.text());
        });
    });

    after(async () => {
        await browser?.close();
    });

    const request = (c: GatewayClient, consentId?: string) =>
        c.call<{ decision: string; transactionId: string }>(
            {
                method: 'POST',
                path: '/v1/access-requests',
                body: { cardId, serviceId, purpose, items: ['name', 'birthDate'], predicates: [], ...(consentId ? { consentId } : {}) },
            },
            201,
        );

    it('Given a registered device, the citizen signs in, sees accesses appear live, and a withdrawn consent makes the next request DENIED', async () => {
        const page = await context.newPage();
        await page.goto(`${gatewayUrl(t, 'SeoulMSP')}/tracker/`);
        expect(await seriousViolations(page), 'axe on the registration page').to.deep.equal([]);
        await page.fill('#card-id', cardId);
        await page.click('button[type=submit]');
        const publicKey = (await page.textContent('#device-public-key'))!.trim();
        // The card desk issues the card with this device's key (the API's device-key flow).
        await issuer.call(
            {
                method: 'POST',
                path: '/v1/cards',
                body: cardIssueBody(cardId, publicKey),
            },
            201,
        );
        await page.getByRole('button', { name: 'Sign in with this device' }).click();
        await page.waitForSelector('#card-status.ACTIVE');
        await page.waitForSelector('#live-status:has-text("Live")');
        const rows = page.locator('#access-log tbody tr[data-access-id]');
        expect(await rows.count()).to.equal(0);

        // A department's request without consent appears live, as DENIED.
        await request(welfare);
        await rows.first().waitFor();
        expect(await rows.first().getAttribute('data-decision')).to.equal('DENIED');

        // The citizen gives a consent, signed in the browser; the department's request is GRANTED.
        await page.selectOption('#grant-service', serviceId);
        await page.getByLabel('name', { exact: true }).check();
        await page.getByLabel('birthDate', { exact: true }).check();
        await page.getByRole('button', { name: 'Sign and give consent' }).click();
        const consentRow = page.locator('#consents tbody tr[data-consent-id]');
        await consentRow.first().waitFor();
        const consentId = (await consentRow.first().getAttribute('data-consent-id'))!;
        expect((await request(welfare, consentId)).decision).to.equal('GRANTED');
        await page.waitForSelector('#access-log tbody tr[data-decision=GRANTED]');
        expect(await seriousViolations(page), 'axe on the signed-in tracker').to.deep.equal([]);
        await screenshot(page, 'tracker.png');

        // Withdrawn in the browser: the next request under that consent is DENIED, and shows up so.
        await page.getByRole('button', { name: 'Withdraw consent for Basic pension' }).click();
        await page.waitForSelector('#consents tbody tr .badge.WITHDRAWN');
        expect((await request(welfare, consentId)).decision).to.equal('DENIED');
        await page.locator('#access-log tbody tr[data-decision=DENIED]').nth(1).waitFor();
        expect(await rows.first().getAttribute('data-decision')).to.equal('DENIED');
        expect(await rows.first().textContent()).to.contain('CONSENT_WITHDRAWN');

        // The filter narrows the list.
        await page.selectOption('#filter-decision', 'GRANTED');
        expect(await rows.count()).to.equal(1);
        await page.close();
    });

    it('Given accesses by two departments, the auditor filters by department, opens a proof checked in the page, and its block', async () => {
        await request(pension);
        const page = await context.newPage();
        await page.goto(`${gatewayUrl(t, 'AuditMSP')}/console/`);
        expect(await seriousViolations(page), 'axe on the console sign-in').to.deep.equal([]);
        await page.fill('#api-key', auditor.apiKey);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.selectOption('#q-org', 'MOHWMSP');
        await page.fill('#q-dept', 'welfare');
        await page.click('#q-search');
        const rows = page.locator('#accesses tbody tr[data-dept]');
        await rows.first().waitFor();
        const depts = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-dept')));
        expect(depts.length).to.be.at.least(3);
        expect(new Set(depts)).to.deep.equal(new Set(['welfare']));
        expect(await seriousViolations(page), 'axe on the accesses view').to.deep.equal([]);

        await rows
            .first()
            .getByRole('button', { name: /Proof of transaction/ })
            .click();
        await page.waitForSelector('#proof-checks');
        const checks = await page
            .locator('#proof-checks li')
            .evaluateAll((lis) => lis.map((li) => [li.getAttribute('data-check'), li.getAttribute('data-ok')]));
        expect(checks).to.deep.equal([
            ['inBlock', 'true'],
            ['txId', 'true'],
            ['dataHash', 'true'],
            ['chain', 'true'],
            ['tip', 'true'],
        ]);
        await screenshot(page, 'console.png');
        expect(await seriousViolations(page), 'axe on the proof').to.deep.equal([]);

        await page.click('#proof-open-block');
        await page.waitForSelector('#block-view .txs tbody tr');
        expect((await page.textContent('#block-hash'))!.trim()).to.match(/^[0-9a-f]{64}$/);
        expect(await page.locator('#block-view .txs').textContent()).to.contain('VALID');
        expect(await seriousViolations(page), 'axe on the block').to.deep.equal([]);

        await page.click('#tab-chart');
        await page.waitForSelector('#counts tbody tr');
        expect(await page.locator('#counts').textContent()).to.contain('MOHWMSP / welfare');
        expect(await seriousViolations(page), 'axe on the chart').to.deep.equal([]);
        await page.click('#tab-blocks');
        await page.waitForSelector('#blocks tbody tr');
        await page.click('#tab-history');
        await page.fill('#h-id', cardId);
        await page.getByRole('button', { name: 'Show' }).click();
        await page.waitForSelector('#history tbody tr');
        expect(await seriousViolations(page), 'axe on the history').to.deep.equal([]);
        await page.close();
    });

    it('Given the signed-in tracker in Korean, the citizen reports the device lost and the card is SUSPENDED', async () => {
        const page = await context.newPage();
        await page.goto(`${gatewayUrl(t, 'SeoulMSP')}/tracker/`);
        await page.getByRole('button', { name: '한국어' }).click();
        await page.getByRole('heading', { name: '내 정보 열람 기록' }).waitFor();
        expect(await page.getAttribute('html', 'lang')).to.equal('ko');
        expect(await seriousViolations(page), 'axe on the Korean tracker').to.deep.equal([]);
        await page.getByRole('button', { name: '기기 분실 신고' }).click();
        await page.getByRole('button', { name: '예, 카드를 정지합니다' }).click();
        await page.waitForSelector('#card-status.SUSPENDED');
        const card = await issuer.call<{ card: { status: string; statusReason: string } }>(
            { method: 'GET', path: `/v1/cards/${cardId}` },
            200,
        );
        expect(card.card).to.include({ status: 'SUSPENDED', statusReason: 'LOST_DEVICE' });
        await page.close();
    });

    it('Given the strict Content-Security-Policy, no page logged an error (no blocked script or style)', () => {
        expect(pageErrors).to.deep.equal([]);
    });
});
