// network:revoke's refusals that need no network: each answers its stable code before the CA or
// the orderer is asked (the e2e test revocation.test.ts covers the rest on a running network).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { loadTopology, type Topology } from '../../../network/client/topology';
import { revoke } from '../../../network/commands/revoke';
import { rejected } from '../msp/fixture';

describe('network:revoke refusals', () => {
    let t: Topology;
    let dir: string;
    const lines: string[] = [];
    const say = (l: string) => lines.push(l);
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), 'revoke-'));
        // A state folder with nothing in it: any attempt to reach a CA or an orderer would fail otherwise.
        t = { ...loadTopology(), stateDir: dir };
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('Given neither --name nor --crl, Then USAGE', async () => {
        const err = await rejected(() => revoke(t, { mspId: 'MOHWMSP', fabric: false }, say));
        expect([err.code, err.message]).to.deep.equal(['USAGE', 'USAGE: revoke needs --name ID (revoked at the CA) or --crl FILE']);
    });

    it('Given both --name and --crl, Then USAGE', async () => {
        const err = await rejected(() => revoke(t, { mspId: 'MOHWMSP', name: 'a', crlFile: 'b', fabric: false }, say));
        expect(err.code).to.equal('USAGE');
    });

    it('Given an org the topology does not know, Then it is refused naming it', async () => {
        const err = await rejected(() => revoke(t, { mspId: 'NOPEMSP', name: 'a', fabric: false }, say));
        expect(err.message).to.contain('NOPEMSP');
    });

    it('Given a --crl file that Go x509.ParseCRL cannot read, Then CRL_INVALID, before the orderer is asked', async () => {
        const file = path.join(dir, 'not-a-crl.pem');
        fs.writeFileSync(file, '-----BEGIN CRL-----\nAAAA\n-----END CRL-----\n');
        const err = await rejected(() => revoke(t, { mspId: 'MOHWMSP', crlFile: file, fabric: false }, say));
        expect(err.code).to.equal('CRL_INVALID');
        expect(err.message).to.match(/^CRL_INVALID: asn1: structure error.*Fabric's MSP would refuse the config/);
    });
});
