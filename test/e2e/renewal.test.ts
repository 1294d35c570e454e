// A department app's certificate renewed while its gateway runs (network:renew --holder): the
// gateway goes on serving the app without a restart, signs with the renewed identity from its
// next call after the file changed, and its /metrics reports the new end of validity. Node
// restarts during a renewal are tested on the test network shape (testnetwork.test.ts).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { provisionApp } from '../../gateway/admin';
import { loadConfig } from '../../gateway/config';
import { findOrg, paths, type Topology } from '../../network/client/topology';
import type { RenewResult } from '../../network/commands/renew';
import { networkCommand } from './helpers';
import { NETWORK_LABEL, testNetwork } from './network';

const ORG = 'MOHWMSP';

describe(`network:renew of an app's certificate while its gateway serves it, on ${NETWORK_LABEL}`, function () {
    this.timeout(180_000);
    let t: Topology;
    let apiKey: string;
    const name = `renewed-${Date.now().toString(36)}`;
    const gatewayUrl = () => {
        const g = findOrg(t, ORG).gateway;
        if (!g) throw new Error(`${ORG} runs no gateway in this topology`);
        return `http://${g.host}:${g.port}`;
    };
    const call = async (uri: string, key = apiKey) => {
        const r = await fetch(`${gatewayUrl()}${uri}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
        return { status: r.status, text: await r.text() };
    };
    /** The serial numbers and expiries the gateway reports for the app's identity. */
    const expiryMetric = async () => {
        const { text } = await call('/metrics', '');
        const prefix = `gateway_certificate_expiry_timestamp_seconds{holder="${name}",use="enrollment",serial="`;
        return text
            .split('\n')
            .filter((l) => l.startsWith(prefix))
            .map((l) => `${l.slice(prefix.length, l.indexOf('"', prefix.length))} ${Number(l.split(' ').pop())}`);
    };
    const reported = (c: crypto.X509Certificate) => [`${c.serialNumber.toLowerCase()} ${Date.parse(c.validTo) / 1000}`];

    before(async () => {
        t = (await testNetwork()).topology;
        const databaseFile = loadConfig({ org: ORG, topologyFile: t.file }).databaseFile;
        apiKey = (await provisionApp({ topology: t, databaseFile, mspId: ORG, name, role: 'department', dept: 'welfare' })).apiKey;
    });

    it('Given an app that works, When network:renew renews its certificate, Then the gateway serves it without a restart and signs with the new certificate (its /metrics reports the new certificate only)', async () => {
        const certFile = path.join(paths.userDir(t, ORG, name), 'msp', 'signcerts', 'cert.pem');
        const before = new crypto.X509Certificate(fs.readFileSync(certFile));
        expect((await call('/v1/services?ownerMspId=MOHWMSP&pageSize=5')).status).to.equal(200);
        expect(await expiryMetric()).to.deep.equal(reported(before));

        const holder = path.basename(paths.userDir(t, ORG, name));
        const out = await networkCommand(t, 'renew', '--org', ORG, '--holder', holder, '--within', '36500', '--json');
        const r = JSON.parse(out.stdout.trim().split('\n').pop() as string) as RenewResult;
        expect(r.renewed.map((x) => [x.holder, x.how])).to.deep.equal([[holder, 'reenrolled']]);
        expect(r.restarted).to.deep.equal([]);
        const after = new crypto.X509Certificate(fs.readFileSync(certFile));
        expect(after.serialNumber).to.not.equal(before.serialNumber);
        expect(Date.parse(after.validTo)).to.be.at.least(Date.parse(before.validTo));

        // The gateway looks at the file at most every 5 s; from then on each call signs with the new identity.
        const deadline = Date.now() + 20_000;
        let seen: string[] = [];
        while (Date.now() < deadline) {
            expect((await call('/v1/services?ownerMspId=MOHWMSP&pageSize=5')).status).to.equal(200);
            seen = await expiryMetric();
            if (seen[0] === reported(after)[0]) break;
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        // Only the renewed certificate is reported: the old one is gone with the identity it signed for.
        expect(seen).to.deep.equal(reported(after));
    });
});
