// The web UIs in a real browser (Debian's Chromium driven by playwright-core) against the test
// devnet's gateways: the citizen's tracker (device key in the browser, live access log, consent
// given and withdrawn, a break-glass access flagged, an objection and its finding), a legal
// representative's tracker (whom they represent, a consent for a 13-year-old, the child's log),
// the auditor's console (filter, proof checked in the page, block; the objection's text and
// finding, a break-glass review, a seal extended) and the public transparency page, each page
// checked with axe-core, and the README's screenshots taken. Without a Chromium the tests say so
// and do not run.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { DeviceKey } from '../../gateway/citizen/device';
import { seoulMonth } from '../../chaincode/model';
import {
    basicPensionServiceBody,
    birthDateAged,
    cardIssueBody,
    childPersonal,
    ensureApp,
    serviceBody,
    type GatewayClient,
} from '../../scripts/demo';
import { findOrg, gatewayOf, REPO_ROOT, type Topology } from '../../network/client/topology';
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
    const g = gatewayOf(findOrg(t, mspId));
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
    let citizenApp: GatewayClient;
    let police: GatewayClient;
    let emergency: GatewayClient;
    const investigation = { serviceId: `svc-web-inv-${run}`, dept: `inv-${run}`, purpose: 'Criminal investigation' };
    const care = { serviceId: `svc-web-er-${run}`, dept: `er-${run}`, purpose: 'Emergency care' };

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
        citizenApp = await ensureApp(t, 'SeoulMSP', 'web-citizen-app', { identity: 'citizen-agent', role: 'citizen-agent' });
        police = await ensureApp(t, 'MOISMSP', `web-police-${run}`, { role: 'department', dept: investigation.dept });
        emergency = await ensureApp(t, 'MOHWMSP', `web-er-${run}`, { role: 'department', dept: care.dept });
        for (const c of [issuer, serviceAdmin, welfare, pension, auditor, citizenApp, police, emergency]) c.verbose = false;
        for (const [owner, s, basis, legalBasis] of [
            ['MOISMSP', investigation, 'investigation', 'Criminal Procedure Act art. 199'],
            ['MOHWMSP', care, 'emergency', 'Emergency Medical Service Act art. 8'],
        ] as const)
            await serviceAdmin.call(
                {
                    method: 'POST',
                    path: '/v1/services',
                    body: serviceBody({ ownerMspId: owner, dept: s.dept, name: s.purpose }, s.serviceId, s.purpose, {
                        items: ['name', 'address'],
                        predicates: [],
                        legalBasis,
                        basis,
                    }),
                },
                201,
            );
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

    it('Given a citizen who lost the phone, When the card desk re-binds the card to a new device, Then the new device signs in and its tracker shows the change, and the old device is refused with a plain explanation', async () => {
        const rebound = `card-web-rebind-${run}`;
        const register = async (ctx: BrowserContext) => {
            const page = await ctx.newPage();
            await page.goto(`${gatewayUrl(t, 'SeoulMSP')}/tracker/`);
            await page.fill('#card-id', rebound);
            await page.click('button[type=submit]');
            return { page, publicKey: (await page.textContent('#device-public-key'))!.trim() };
        };
        const signIn = (page: Page) => page.getByRole('button', { name: 'Sign in with this device' }).click();
        // Each phone is a browser profile of its own (its key in its own storage).
        const first = await browser.newContext({ viewport: { width: 1100, height: 780 }, locale: 'en-GB' });
        const old = await register(first);
        await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(rebound, old.publicKey) }, 201);
        await signIn(old.page);
        await old.page.waitForSelector('#card-device[data-this-device=true]');
        await old.page.getByRole('button', { name: 'Sign out' }).click();

        const other = await browser.newContext({ viewport: { width: 1100, height: 780 }, locale: 'en-GB' });
        try {
            const fresh = await register(other);
            await issuer.call(
                {
                    method: 'POST',
                    path: `/v1/cards/${rebound}/rotate-key`,
                    body: { newDevicePublicKey: fresh.publicKey, reason: 'DEVICE_REPLACED' },
                },
                200,
            );
            await signIn(fresh.page);
            await fresh.page.waitForSelector('#card-device[data-this-device=true]');
            expect(await fresh.page.textContent('#card-change[data-reason=DEVICE_REPLACED]')).to.contain(
                'bound to a new device by the card desk',
            );
            expect(await seriousViolations(fresh.page), 'axe on the re-bound tracker').to.deep.equal([]);

            // The old phone's key no longer signs for the card.
            await signIn(old.page);
            await old.page.waitForSelector('[role=alert]:has-text("no longer bound to the card")');
            expect(await old.page.locator('#card-status').count()).to.equal(0);
        } finally {
            await other.close();
            await first.close();
        }
    });

    it('Given the signed-in tracker, a break-glass access is flagged at once, the citizen objects to an access with a short text, and sees the finding the auditor records in the console', async () => {
        // An emergency access without consent: shown at once, flagged.
        const glass = await emergency.call<{ accessId: string; decision: string }>(
            {
                method: 'POST',
                path: '/v1/access-requests/emergency',
                body: {
                    cardId,
                    serviceId: care.serviceId,
                    purpose: care.purpose,
                    items: ['name'],
                    predicates: [],
                    reasonCode: 'UNCONSCIOUS_PATIENT',
                    incidentRef: `ER-${run.toUpperCase()}`,
                },
            },
            201,
        );
        expect(glass.decision).to.equal('GRANTED');
        // A sealed access: the citizen does not see it (the auditor does, below).
        const sealed = await police.call<{ accessId: string }>(
            {
                method: 'POST',
                path: '/v1/access-requests/sealed',
                body: {
                    cardId,
                    serviceId: investigation.serviceId,
                    purpose: investigation.purpose,
                    items: ['address'],
                    predicates: [],
                    sealedUntil: new Date(Date.now() + 30 * 86_400_000).toISOString(),
                },
            },
            201,
        );
        const page = await context.newPage();
        await page.goto(`${gatewayUrl(t, 'SeoulMSP')}/tracker/`);
        const flagged = page.locator(`#access-log tbody tr[data-access-id="${glass.accessId}"]`);
        await flagged.waitFor();
        expect(await flagged.getAttribute('data-break-glass')).to.equal('true');
        expect(await flagged.textContent()).to.contain('UNCONSCIOUS_PATIENT');
        expect(await page.locator(`#access-log tbody tr[data-access-id="${sealed.accessId}"]`).count()).to.equal(0);

        // The objection, from the log: a short text, signed in the browser.
        const granted = page.locator('#access-log tbody tr[data-decision=GRANTED]:not([data-break-glass])').first();
        const accessId = (await granted.getAttribute('data-access-id'))!;
        await granted.getByRole('button', { name: /Object to the access of/ }).click();
        const text = `The welfare office should not have my birth date (${run}).`;
        await page.fill('#objection-text', text);
        await page.getByRole('button', { name: 'Sign and send objection' }).click();
        const mine = page.locator('#objections-table tbody tr[data-objection-id]');
        await mine.first().waitFor();
        expect(await mine.first().getAttribute('data-status')).to.equal('OPEN');
        const objectionId = (await mine.first().getAttribute('data-objection-id'))!;
        expect(await seriousViolations(page), 'axe on the tracker with an objection').to.deep.equal([]);

        // The audit office's console: the open objection, its text from Seoul's peer, the finding.
        const consolePage = await context.newPage();
        await consolePage.goto(`${gatewayUrl(t, 'AuditMSP')}/console/`);
        await consolePage.fill('#api-key', auditor.apiKey);
        await consolePage.getByRole('button', { name: 'Sign in' }).click();
        await consolePage.click('#tab-objections');
        const row = consolePage.locator(`#objections-table tbody tr[data-objection-id="${objectionId}"]`);
        await row.waitFor();
        await row.getByRole('button', { name: /Read text of objection/ }).click();
        await row.locator('blockquote.citizen-text').waitFor();
        expect(await row.locator('blockquote.citizen-text').textContent()).to.equal(text);
        await row.getByRole('button', { name: /^Decide/ }).click();
        await consolePage.selectOption('#finding-outcome', 'UPHELD');
        await consolePage.selectOption('#finding-code', 'NO_VALID_BASIS');
        await consolePage.fill('#finding-text', 'The welfare office had no basis for reading the birth date.');
        expect(await seriousViolations(consolePage), 'axe on the objections').to.deep.equal([]);
        await consolePage.click('#finding-record');
        await row.waitFor({ state: 'detached' });

        // A break-glass review decided, and the sealed entry's seal extended by the auditor.
        await consolePage.click('#tab-reviews');
        const review = consolePage.locator(`#reviews-table tbody tr[data-review-id="${glass.accessId}"]`);
        await review.waitFor();
        await review.getByRole('button', { name: /^Decide/ }).click();
        await consolePage.selectOption('#review-outcome', 'CLEARED');
        await consolePage.click('#review-record');
        await review.waitFor({ state: 'detached' });
        await consolePage.fill('#bg-dept', care.dept);
        await consolePage.click('#bg-show');
        await consolePage.waitForSelector('#bg-blocked');
        expect(await seriousViolations(consolePage), 'axe on the reviews').to.deep.equal([]);
        await consolePage.click('#tab-seals');
        await consolePage.fill('#seal-id', sealed.accessId);
        await consolePage.click('#seal-show');
        await consolePage.waitForSelector('#seal-until');
        const later = new Date(Date.now() + 60 * 86_400_000);
        const local = new Date(later.getTime() - later.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
        await consolePage.fill('#seal-new-until', local);
        await consolePage.fill('#seal-ref', 'AUD-2026-0042');
        await consolePage.click('#seal-extend');
        await consolePage.waitForSelector('#seal-extensions tbody tr:has-text("AUD-2026-0042")');
        expect(await seriousViolations(consolePage), 'axe on the seal').to.deep.equal([]);
        // Signed out: the next test signs in afresh.
        await consolePage.getByRole('button', { name: 'Sign out' }).click();
        await consolePage.waitForSelector('#api-key');
        await consolePage.close();

        // Back in the tracker: the finding, seen by the citizen.
        await page.click('#objections-refresh');
        await page.waitForSelector(`#objections-table tbody tr[data-objection-id="${objectionId}"][data-status=UPHELD]`);
        expect(await mine.first().textContent()).to.contain('NO_VALID_BASIS');
        // ... and by the department the entry names.
        const seen = await welfare.call<{ objection: { finding: { outcome: string }; accessId: string } }>(
            { method: 'GET', path: `/v1/objections/${objectionId}` },
            200,
        );
        expect(seen.objection).to.deep.include({ accessId });
        expect(seen.objection.finding.outcome).to.equal('UPHELD');
        await page.close();
    });

    it("Given a parent's device and a 13-year-old's minority, the parent sees whom they represent and what they may do, consents for the child, and sees the child's log", async () => {
        const parentCard = `card-web-par-${run}`;
        const childCard = `card-web-kid-${run}`;
        const own = await browser.newContext({ viewport: { width: 1100, height: 900 }, locale: 'en-GB' });
        own.on('console', (m) => {
            if (m.type() === 'error') pageErrors.push(m.text());
        });
        try {
            const page = await own.newPage();
            await page.goto(`${gatewayUrl(t, 'SeoulMSP')}/tracker/`);
            await page.fill('#card-id', parentCard);
            await page.click('button[type=submit]');
            const publicKey = (await page.textContent('#device-public-key'))!.trim();
            await issuer.call({ method: 'POST', path: '/v1/cards', body: cardIssueBody(parentCard, publicKey) }, 201);
            // The child: 13 years and a month old today (Seoul); the card desk records the minority and the parent's representation.
            const child = DeviceKey.generate();
            await issuer.call(
                {
                    method: 'POST',
                    path: '/v1/cards',
                    body: cardIssueBody(childCard, child.publicKeyBase64(), childPersonal('Hong Dasom', birthDateAged(13, 30))),
                },
                201,
            );
            await issuer.call({ method: 'POST', path: `/v1/cards/${childCard}/minority`, body: {} }, 201);
            const representationId = `rep-web-${run}`;
            await issuer.call(
                {
                    method: 'POST',
                    path: '/v1/representations',
                    body: {
                        representationId,
                        representedCardId: childCard,
                        representativeCardId: parentCard,
                        basis: 'MINOR_UNDER_14',
                        scope: ['consent', 'withdraw', 'viewLog', 'object'],
                    },
                },
                201,
            );
            await page.getByRole('button', { name: 'Sign in with this device' }).click();
            const rep = page.locator(`#representations-representative tbody tr[data-representation-id="${representationId}"]`);
            await rep.waitFor();
            expect(await rep.textContent()).to.contain('child under 14');
            expect(await rep.textContent()).to.contain('see their log');
            expect(await seriousViolations(page), 'axe on the representative').to.deep.equal([]);
            await rep.getByRole('button', { name: `Act for ${childCard}` }).click();
            await page.waitForSelector('#acting #their-log');
            await page.selectOption('#rep-consent-service', serviceId);
            await page.locator('#rep-consent-form input[value=name]').check();
            await page.getByRole('button', { name: 'Sign and consent for them' }).click();
            const given = page.locator('#their-consents tbody tr[data-consent-id]');
            await given.first().waitFor();
            const consentId = (await given.first().getAttribute('data-consent-id'))!;
            const consent = await citizenApp.call<{ consent: { cardId: string; representation: { representativeCardId: string } } }>(
                { method: 'GET', path: `/v1/consents/${consentId}` },
                200,
            );
            expect(consent.consent.cardId).to.equal(childCard);
            expect(consent.consent.representation.representativeCardId).to.equal(parentCard);
            // The department reads the child's name under the parent's consent; the parent sees it in the child's log.
            const access = await welfare.call<{ decision: string; accessId: string }>(
                {
                    method: 'POST',
                    path: '/v1/access-requests',
                    body: { cardId: childCard, serviceId, purpose, items: ['name'], predicates: [], consentId },
                },
                201,
            );
            expect(access.decision).to.equal('GRANTED');
            await page.click('#acting-refresh');
            await page.waitForSelector(`#their-log tbody tr[data-access-id="${access.accessId}"][data-decision=GRANTED]`);
            expect(await seriousViolations(page), 'axe on acting for the child').to.deep.equal([]);
            // Withdrawn by the parent in the browser: the next request is DENIED.
            await page.locator('#their-consents').getByRole('button', { name: 'Withdraw consent for Basic pension' }).click();
            await page.waitForSelector('#their-consents tbody tr .badge.WITHDRAWN');
            const after = await welfare.call<{ decision: string; reason: string }>(
                {
                    method: 'POST',
                    path: '/v1/access-requests',
                    body: { cardId: childCard, serviceId, purpose, items: ['name'], predicates: [], consentId },
                },
                201,
            );
            expect(after).to.include({ decision: 'DENIED', reason: 'CONSENT_WITHDRAWN' });
            await page.close();
        } finally {
            await own.close();
        }
    });

    it('Given the public transparency page, anyone sees the month’s counts without signing in, small counts shown as suppressed', async () => {
        // The audit office's periodic roll-up, so that the report counts everything up to now.
        for (let i = 0; i < 50; i++) {
            const { rollUp } = await auditor.call<{ rollUp: { more: boolean } }>(
                { method: 'POST', path: '/v1/reports/transparency/roll-up', body: { month: seoulMonth(new Date()) } },
                200,
            );
            if (!rollUp.more) break;
        }
        const page = await context.newPage();
        await page.goto(`${gatewayUrl(t, 'MOHWMSP')}/transparency/`);
        await page.waitForSelector('#report-table');
        // This run's emergency department: one break-glass access (fewer than 5: suppressed).
        const row = page.locator(`#report-table tbody tr[data-dept="${care.dept}"][data-basis=emergency]`);
        await row.waitFor();
        expect(await row.locator('td[data-metric=breakGlass]').textContent()).to.equal('fewer than 5');
        expect(await row.locator('td[data-metric=denials]').textContent()).to.equal('0');
        expect(await seriousViolations(page), 'axe on the transparency page').to.deep.equal([]);
        await page.getByRole('button', { name: '한국어' }).click();
        await page.getByRole('heading', { name: '투명성 보고서' }).first().waitFor();
        expect(await row.locator('td[data-metric=breakGlass]').textContent()).to.equal('5건 미만');
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
