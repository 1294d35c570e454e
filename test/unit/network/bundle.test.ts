// An org's public bundle carries public material only, is taken only with the fingerprint its org
// confirmed, and founds a channel only when every org's is in; each refusal has its code.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { DEFAULT_TOPOLOGY, loadTopology, paths, type Topology } from '../../../network/client/topology';
import { generateCrypto } from '../../../network/devnet/msp/ca';
import { bundleFingerprint, exportBundle, importBundle, type OrgBundle, privateKeyReason } from '../../../network/commands/bundle';
import { channelCreate, importGenesis } from '../../../network/commands/founding';
import { DEVNET_ORGS } from '../../../network/commands/orgs';
import { buildGenesisBlock } from '../../../network/devnet/common/configtx';

const quiet = () => undefined;

/** The default topology with a state folder of its own: one org's machine. */
function machine(): Topology {
    return { ...loadTopology(DEFAULT_TOPOLOGY), stateDir: fs.mkdtempSync(path.join(os.tmpdir(), 'org-machine-')) };
}

function expectCode(fn: () => unknown, code: string): void {
    expect(fn).to.throw(new RegExp(`^${code}: `));
}

describe('org bundles: what one org hands the others', () => {
    const machines: Record<string, Topology> = {};
    const bundles: Record<string, OrgBundle> = {};

    before(async function () {
        this.timeout(60_000);
        const t0 = loadTopology(DEFAULT_TOPOLOGY);
        for (const org of t0.orgs) {
            machines[org.mspId] = machine();
            await generateCrypto(machines[org.mspId], [org.mspId]);
            bundles[org.mspId] = exportBundle(machines[org.mspId], org.mspId);
        }
    });
    after(() => {
        for (const t of Object.values(machines)) fs.rmSync(t.stateDir, { recursive: true, force: true });
    });

    it("Given an org's machine, Then its bundle holds its verifying MSP, TLS CA and its ordering node's TLS certificate, and no private key", () => {
        const seoul = bundles.SeoulMSP;
        expect(Object.keys(seoul.files).sort()).to.deep.equal([
            'msp/cacerts/ca-cert.pem',
            'msp/config.yaml',
            'msp/tlscacerts/tlsca-cert.pem',
            'orderers/orderer.seoul.example.gov/tls/server.crt',
            'tlsca/tlsca-cert.pem',
        ]);
        for (const [file, text] of Object.entries(seoul.files)) expect(privateKeyReason(file, text), file).to.equal(undefined);
        expect(Object.keys(seoul.certificates)).to.have.length(4);
        // Audit runs no ordering node: its bundle has none.
        expect(Object.keys(bundles.AuditMSP.files).some((f) => f.startsWith('orderers/'))).to.equal(false);
    });

    it('Given a machine that holds only its own org, Then every private key in its state is its own', () => {
        for (const [mspId, t] of Object.entries(machines)) {
            const orgDirs = fs.readdirSync(path.join(t.stateDir, 'organizations', 'peerOrganizations'));
            expect(orgDirs, mspId).to.deep.equal([t.orgs.find((o) => o.mspId === mspId)!.domain]);
        }
    });

    it('Given the confirmed fingerprint, When imported, Then the public files are written once, and a second import writes nothing', () => {
        const t = machines.MOISMSP;
        const written = importBundle(t, bundles.SeoulMSP, bundleFingerprint(bundles.SeoulMSP));
        expect(written.map((f) => path.relative(paths.orgDir(t, 'SeoulMSP'), f)).sort()).to.deep.equal(
            Object.keys(bundles.SeoulMSP.files).sort(),
        );
        expect(importBundle(t, bundles.SeoulMSP, bundleFingerprint(bundles.SeoulMSP).toUpperCase().replace(/:/g, ''))).to.deep.equal([]);
    });

    it('Given another fingerprint, or a file changed on the way, Then BUNDLE_FINGERPRINT_MISMATCH and nothing is written', () => {
        const t = machines.MOHWMSP;
        const fp = bundleFingerprint(bundles.SeoulMSP);
        expectCode(
            () =>
                importBundle(
                    t,
                    bundles.SeoulMSP,
                    fp.replace(/^./, (c) => (c === '0' ? '1' : '0')),
                ),
            'BUNDLE_FINGERPRINT_MISMATCH',
        );
        const tampered = structuredClone(bundles.SeoulMSP);
        tampered.files['msp/cacerts/ca-cert.pem'] = bundles.MOISMSP.files['msp/cacerts/ca-cert.pem'];
        expectCode(() => importBundle(t, tampered, fp), 'BUNDLE_FINGERPRINT_MISMATCH');
        expect(fs.existsSync(paths.orgDir(t, 'SeoulMSP'))).to.equal(false);
    });

    it('Given a bundle carrying a private key, even with a matching fingerprint, Then BUNDLE_HOLDS_PRIVATE_KEY and nothing is written', () => {
        const t = machines.AuditMSP;
        const key = fs.readFileSync(path.join(paths.orgDir(machines.SeoulMSP, 'SeoulMSP'), 'ca', 'priv_sk'), 'utf8');
        for (const [file, text] of [
            ['msp/keystore/priv_sk', key],
            ['msp/cacerts/ca-cert.pem', `${bundles.SeoulMSP.files['msp/cacerts/ca-cert.pem']}${key}`],
            ['tlsca/server.key', 'not even PEM'],
        ]) {
            const b = structuredClone(bundles.SeoulMSP);
            b.files[file] = text;
            expectCode(() => importBundle(t, b, bundleFingerprint(b)), 'BUNDLE_HOLDS_PRIVATE_KEY');
        }
        expect(fs.existsSync(paths.orgDir(t, 'SeoulMSP'))).to.equal(false);
    });

    it("Given a file outside the org's folder, an org not in the topology, or one's own org, Then refused with its code", () => {
        const t = machines.AuditMSP;
        const outside = structuredClone(bundles.SeoulMSP);
        outside.files['../mois.example.gov/msp/cacerts/x.pem'] = bundles.SeoulMSP.files['msp/cacerts/ca-cert.pem'];
        expectCode(() => importBundle(t, outside, bundleFingerprint(outside)), 'BUNDLE_INVALID');
        const stranger = { ...structuredClone(bundles.SeoulMSP), mspId: 'MOLEMSP', domain: 'mole.example.gov' };
        expectCode(() => importBundle(t, stranger, bundleFingerprint(stranger)), 'BUNDLE_INVALID');
        expectCode(() => importBundle(machines.SeoulMSP, bundles.SeoulMSP, bundleFingerprint(bundles.SeoulMSP)), 'BUNDLE_OF_OWN_ORG');
    });

    it('Given a second, different bundle of an org already imported, Then BUNDLE_CONFLICT', () => {
        const t = machines.MOISMSP;
        const other = structuredClone(bundles.SeoulMSP);
        other.files['msp/cacerts/ca-cert.pem'] = bundles.AuditMSP.files['msp/cacerts/ca-cert.pem'];
        other.certificates['msp/cacerts/ca-cert.pem'] = bundles.AuditMSP.certificates['msp/cacerts/ca-cert.pem'];
        expectCode(() => importBundle(t, other, bundleFingerprint(other)), 'BUNDLE_CONFLICT');
    });

    it('Given a bundle missing, When the creator builds the genesis block, Then BUNDLE_INCOMPLETE naming what is missing; with all, a genesis block each org checks', async () => {
        const creator = machines.SeoulMSP;
        try {
            await channelCreate(DEVNET_ORGS, creator, path.join(creator.stateDir, 'genesis.block'), quiet);
            expect.fail('a genesis block without the other orgs');
        } catch (e) {
            expect((e as Error).message).to.match(/^BUNDLE_INCOMPLETE: .*MOISMSP's verifying MSP/);
        }
        for (const mspId of ['MOISMSP', 'MOHWMSP', 'AuditMSP']) importBundle(creator, bundles[mspId], bundleFingerprint(bundles[mspId]));
        const out = path.join(creator.stateDir, 'genesis.block');
        const fp = await channelCreate(DEVNET_ORGS, creator, out, quiet);
        const mohw = machines.MOHWMSP;
        expectCode(
            () =>
                importGenesis(
                    mohw,
                    'MOHWMSP',
                    out,
                    fp.replace(/^./, (c) => (c === '0' ? '1' : '0')),
                    quiet,
                ),
            'BUNDLE_FINGERPRINT_MISMATCH',
        );
        expectCode(() => importGenesis({ ...mohw, channel: 'otherchannel' }, 'MOHWMSP', out, fp, quiet), 'BUNDLE_INVALID');
        expectCode(() => importGenesis(mohw, 'MOLEMSP', out, fp, quiet), 'BUNDLE_INVALID');
        importGenesis(mohw, 'MOHWMSP', out, fp, quiet);
        expect(fs.readFileSync(paths.genesisBlock(mohw))).to.deep.equal(fs.readFileSync(out));
        // The same block again is fine; another is not.
        importGenesis(mohw, 'MOHWMSP', out, undefined, quiet);
        const other = path.join(mohw.stateDir, 'other.block');
        fs.writeFileSync(other, buildGenesisBlock(creator, { timestamp: new Date(0) }).serializeBinary());
        expectCode(() => importGenesis(mohw, 'MOHWMSP', other, undefined, quiet), 'BUNDLE_CONFLICT');
    });
});
