// Configuration fails fast with a clear message; the admin command refuses bad requests before
// touching the CA or the database.
import { expect } from 'chai';
import { provisionApp } from '../../../gateway/admin';
import { ConfigError, loadConfig, parseArgs } from '../../../gateway/config';
import { DEFAULT_TOPOLOGY, loadTopology } from '../../../network/topology';
import { tmpDbFile } from './fixture';

describe('gateway configuration', () => {
    it('reads the org, the peer endpoint and the TLS root from the topology', () => {
        const cfg = loadConfig(parseArgs(['--org', 'MOHWMSP', '--topology', DEFAULT_TOPOLOGY]), {});
        expect(cfg.peerEndpoint).to.equal('127.0.0.1:9051');
        expect(cfg.port).to.equal(3003);
        expect(cfg.channel).to.equal('citizencards');
        expect(cfg.tlsRootCertPath).to.match(/peerOrganizations\/mohw\.example\.gov\/tlsca\/tlsca-cert\.pem$/);
        expect(cfg.databaseFile).to.match(/gateways\/MOHWMSP\/gateway\.sqlite$/);
    });

    const refusals: [string, () => unknown, RegExp][] = [
        ['no org', () => loadConfig({}, {}), /--org/],
        ['an unknown org', () => loadConfig({ org: 'NopeMSP' }, {}), /UNKNOWN_ORG/],
        ['a missing topology', () => loadConfig({ org: 'SeoulMSP', topologyFile: '/nonexistent.yaml' }, {}), /cannot load the topology/],
        ['a bad deadline', () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_ENDORSE_TIMEOUT_MS: 'soon' }), /GATEWAY_ENDORSE_TIMEOUT_MS/],
        ['a bad log level', () => loadConfig({ org: 'SeoulMSP' }, { LOG_LEVEL: 'loud' }), /LOG_LEVEL/],
        ['an unknown chaincode', () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_CHAINCODE: 'nope' }), /chaincode nope/],
        ['an unknown flag', () => parseArgs(['--org', 'SeoulMSP', '--verbose']), /unknown argument --verbose/],
        ['a flag without value', () => parseArgs(['--org']), /--org needs a value/],
        ['a bad port', () => parseArgs(['--port', '99999']), /--port/],
    ];
    for (const [what, fn, message] of refusals) {
        it(`refuses ${what} with GATEWAY_CONFIG_INVALID`, () => {
            expect(fn).to.throw(ConfigError, message);
        });
    }
});

describe('gateway admin create-app', () => {
    const t = loadTopology(DEFAULT_TOPOLOGY);
    const base = { topology: t, databaseFile: tmpDbFile(), mspId: 'MOHWMSP' };
    const cases: [string, Parameters<typeof provisionApp>[0], RegExp][] = [
        ['a department without dept', { ...base, name: 'portal' }, /DEPT_REQUIRED/],
        ['an unknown role', { ...base, name: 'portal', role: 'superuser' }, /ROLE_INVALID/],
        ['a bad name', { ...base, name: 'Portal App!', dept: 'welfare' }, /APP_NAME_INVALID/],
        ['a bad dept', { ...base, name: 'portal', dept: 'Welfare Dept' }, /DEPT_INVALID/],
        ['an unknown org', { ...base, mspId: 'NopeMSP', name: 'portal', dept: 'welfare' }, /UNKNOWN_ORG/],
    ];
    for (const [what, req, message] of cases) {
        it(`refuses ${what}`, async () => {
            const err = await provisionApp(req).catch((e: Error) => e);
            expect(err).to.be.instanceOf(Error);
            expect((err as Error).message).to.match(message);
        });
    }
});
