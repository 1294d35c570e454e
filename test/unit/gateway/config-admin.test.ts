// Configuration fails fast with a clear message; the admin command refuses bad requests before
// touching the CA or the database.
import { expect } from 'chai';
import { provisionApp } from '../../../gateway/admin';
import * as path from 'node:path';
import { assertConfigFiles, ConfigError, databaseOf, loadConfig, parseArgs } from '../../../gateway/config';
import { DEFAULT_TOPOLOGY, loadTopology } from '../../../network/client/topology';
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

    it('keeps its state in the SQLite file unless GATEWAY_DATABASE_URL names a PostgreSQL database; refuses another URL and a lease below 300 ms', () => {
        const base = { org: 'MOHWMSP', topologyFile: DEFAULT_TOPOLOGY };
        const sqlite = loadConfig(base, {});
        expect([sqlite.databaseUrl, sqlite.replicaLeaseMs]).to.deep.equal([undefined, 15_000]);
        expect(databaseOf(sqlite)).to.equal(sqlite.databaseFile);
        for (const url of ['postgres://gw:pw@db:5432/gateway', 'postgresql://db/gateway']) {
            const shared = loadConfig(base, { GATEWAY_DATABASE_URL: url, GATEWAY_REPLICA_LEASE_MS: '5000' });
            expect([databaseOf(shared), shared.replicaLeaseMs]).to.deep.equal([url, 5000]);
        }
        for (const url of ['mysql://db/gateway', '/var/lib/gateway.sqlite', 'db:5432']) {
            expect(() => loadConfig(base, { GATEWAY_DATABASE_URL: url }), url).to.throw(
                ConfigError,
                /^GATEWAY_CONFIG_INVALID: GATEWAY_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
            );
        }
        expect(() => loadConfig(base, { GATEWAY_REPLICA_LEASE_MS: '100' })).to.throw(
            ConfigError,
            /GATEWAY_REPLICA_LEASE_MS must be an integer >= 300/,
        );
    });

    it("waits for every other org's peer after a write, 5 s at most by default, and refuses a wait that is not a number", () => {
        const cfg = loadConfig({ org: 'MOHWMSP', topologyFile: DEFAULT_TOPOLOGY }, {});
        expect(cfg.commitScope.waitMs).to.equal(5_000);
        expect(cfg.commitScope.peers.map((p) => [p.mspId, p.endpoint, p.hostOverride])).to.deep.equal([
            ['SeoulMSP', '127.0.0.1:7051', 'peer0.seoul.example.gov'],
            ['MOISMSP', '127.0.0.1:8051', 'peer0.mois.example.gov'],
            ['AuditMSP', '127.0.0.1:10051', 'peer0.audit.example.gov'],
        ]);
        expect(cfg.commitScope.peers[0].tlsRootCertPath).to.match(/peerOrganizations\/seoul\.example\.gov\/tlsca\/tlsca-cert\.pem$/);
        expect(
            loadConfig({ org: 'MOHWMSP', topologyFile: DEFAULT_TOPOLOGY }, { GATEWAY_PEER_COMMIT_WAIT_MS: '0' }).commitScope.waitMs,
        ).to.equal(0);
        expect(() => loadConfig({ org: 'MOHWMSP', topologyFile: DEFAULT_TOPOLOGY }, { GATEWAY_PEER_COMMIT_WAIT_MS: 'soon' })).to.throw(
            ConfigError,
            /GATEWAY_PEER_COMMIT_WAIT_MS must be an integer >= 0/,
        );
    });

    it('has limits that limit by default, and reads each from the environment', () => {
        const defaults = loadConfig({ org: 'SeoulMSP' }, {});
        expect(defaults.limits).to.deep.include({ windowMs: 60_000, max: 3_000, anonymousMax: 300, streamsPerKey: 4 });
        expect(defaults.timeouts).to.deep.equal({ headersMs: 10_000, requestMs: 30_000 });
        const cfg = loadConfig(
            { org: 'SeoulMSP' },
            {
                GATEWAY_RATE_MAX: '10',
                GATEWAY_RATE_WINDOW_MS: '1000',
                GATEWAY_RATE_WEIGHTS: 'requestAccess=7, getCard=2',
                GATEWAY_ANONYMOUS_RATE_MAX: '3',
                GATEWAY_STREAMS_PER_KEY: '1',
                GATEWAY_HEADERS_TIMEOUT_MS: '200',
                GATEWAY_REQUEST_TIMEOUT_MS: '400',
            },
        );
        expect(cfg.limits).to.deep.equal({
            windowMs: 1000,
            max: 10,
            weights: { issueCard: 10, eraseCard: 10, requestAccess: 7, getCard: 2 },
            anonymousMax: 3,
            streamsPerKey: 1,
        });
        expect(cfg.timeouts).to.deep.equal({ headersMs: 200, requestMs: 400 });
    });

    it('serves plain HTTP unless a TLS certificate and key are given; client certificates chain to the given CAs', () => {
        expect(loadConfig({ org: 'MOHWMSP' }, {}).tls).to.equal(undefined);
        const cfg = loadConfig(
            { org: 'MOHWMSP' },
            {
                GATEWAY_TLS_CERT: '/x/cert.pem',
                GATEWAY_TLS_KEY: '/x/key.pem',
                GATEWAY_TLS_CLIENT_CA: ['/x/ca1.pem', '/x/ca2.pem'].join(path.delimiter),
            },
        );
        expect(cfg.tls).to.deep.equal({ certPath: '/x/cert.pem', keyPath: '/x/key.pem', clientCaPaths: ['/x/ca1.pem', '/x/ca2.pem'] });
        expect(() => assertConfigFiles({ ...cfg, tlsRootCertPath: __filename })).to.throw(
            ConfigError,
            /GATEWAY_TLS_CERT: \/x\/cert.pem not found/,
        );
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
        [
            'malformed rate weights',
            () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_RATE_WEIGHTS: 'requestAccess:10' }),
            /GATEWAY_RATE_WEIGHTS/,
        ],
        ['a TLS certificate without its key', () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_TLS_CERT: '/x/cert.pem' }), /go together/],
        [
            'a client CA without HTTPS',
            () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_TLS_CLIENT_CA: '/x/ca.pem' }),
            /needs GATEWAY_TLS_CERT/,
        ],
        [
            'a headers timeout longer than the request timeout',
            () => loadConfig({ org: 'SeoulMSP' }, { GATEWAY_HEADERS_TIMEOUT_MS: '5000', GATEWAY_REQUEST_TIMEOUT_MS: '1000' }),
            /GATEWAY_HEADERS_TIMEOUT_MS must not exceed/,
        ],
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
