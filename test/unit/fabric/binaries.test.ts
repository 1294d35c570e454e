// Finding Fabric's binaries: FABRIC_BIN or PATH, versions checked, and refusals that say how to
// install them. Fake tools stand in for the binaries (shell scripts printing a version).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { FABRIC_TOOLS, findFabricBinaries, parseVersion } from '../../../network/fabric/binaries';
import { loadTopology, DEFAULT_TOPOLOGY, paths, TopologyError } from '../../../network/client/topology';

/** A release-shaped folder (bin/, config/) whose tools print the given versions. */
function fakeRelease(versions: { fabric: string; ca: string }, omit: string[] = []): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fabric-release-'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.mkdirSync(path.join(dir, 'config'));
    for (const tool of FABRIC_TOOLS) {
        if (omit.includes(tool)) continue;
        const version = tool.startsWith('fabric-ca') ? `v${versions.ca}` : versions.fabric;
        fs.writeFileSync(path.join(dir, 'bin', tool), `#!/bin/sh\necho "${tool}:"\necho " Version: ${version}"\n`, { mode: 0o755 });
    }
    for (const file of ['core.yaml', 'orderer.yaml']) fs.writeFileSync(path.join(dir, 'config', file), 'x: 1\n');
    return dir;
}

describe('fabric/binaries', () => {
    const made: string[] = [];
    const release = (...args: Parameters<typeof fakeRelease>) => {
        const dir = fakeRelease(...args);
        made.push(dir);
        return dir;
    };
    after(() => {
        for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('Given the versions the tools print, Then the version is read with or without a leading v', () => {
        expect(parseVersion('peer:\n Version: 3.1.5\n Commit SHA: v3.1.5')).to.equal('3.1.5');
        expect(parseVersion('fabric-ca-server:\n Version: v1.5.21\n')).to.equal('1.5.21');
        expect(parseVersion('nothing here')).to.equal(undefined);
    });

    it('Given FABRIC_BIN with v3.1.5 and CA v1.5.21, Then every tool and the config folder beside bin/ are found', () => {
        const dir = release({ fabric: '3.1.5', ca: '1.5.21' });
        const found = findFabricBinaries('/nowhere', { FABRIC_BIN: path.join(dir, 'bin') });
        expect(found.bin.peer).to.equal(path.join(dir, 'bin', 'peer'));
        expect(found.bin['fabric-ca-client']).to.equal(path.join(dir, 'bin', 'fabric-ca-client'));
        expect(found.configDir).to.equal(path.join(dir, 'config'));
    });

    it('Given no FABRIC_BIN, Then PATH is searched', () => {
        const dir = release({ fabric: '3.1.5', ca: '1.5.21' });
        const found = findFabricBinaries('/nowhere', { PATH: `/nonexistent${path.delimiter}${path.join(dir, 'bin')}` });
        expect(found.bin.orderer).to.equal(path.join(dir, 'bin', 'orderer'));
    });

    it('When a tool is missing, Then the refusal names it and says how to install Fabric', () => {
        const dir = release({ fabric: '3.1.5', ca: '1.5.21' }, ['osnadmin']);
        expect(() => findFabricBinaries('/nowhere', { FABRIC_BIN: path.join(dir, 'bin') })).to.throw(
            /^FABRIC_BINARIES_MISSING: osnadmin not found in FABRIC_BIN=.*npm run fabric:install.*install-fabric\.sh/s,
        );
    });

    it('When the peer is another version, Then the refusal says which and which is needed', () => {
        const dir = release({ fabric: '2.5.9', ca: '1.5.21' });
        expect(() => findFabricBinaries('/nowhere', { FABRIC_BIN: path.join(dir, 'bin') })).to.throw(
            /^FABRIC_VERSION_MISMATCH: .*peer is version 2\.5\.9, this project needs 3\.1\.5/,
        );
    });

    it('When the CA server is another version, Then it is refused too', () => {
        const dir = release({ fabric: '3.1.5', ca: '1.5.7' });
        expect(() => findFabricBinaries('/nowhere', { FABRIC_BIN: path.join(dir, 'bin') })).to.throw(
            /FABRIC_VERSION_MISMATCH: .*fabric-ca-server is version 1\.5\.7/,
        );
    });

    it('When the release config folder is missing, Then the refusal names the file it needs', () => {
        const dir = release({ fabric: '3.1.5', ca: '1.5.21' });
        fs.rmSync(path.join(dir, 'config'), { recursive: true });
        expect(() => findFabricBinaries('/nowhere', { FABRIC_BIN: path.join(dir, 'bin') })).to.throw(
            /FABRIC_CONFIG_MISSING: .*config\/core\.yaml not found/,
        );
    });
});

describe('topology: ordering nodes and CAs', () => {
    const withDoc = (edit: (doc: ReturnType<typeof YAML.parse>) => void) => {
        const doc = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'));
        edit(doc);
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'topology-')), 'topology.yaml');
        fs.writeFileSync(file, YAML.stringify(doc));
        try {
            return loadTopology(file);
        } finally {
            fs.rmSync(path.dirname(file), { recursive: true, force: true });
        }
    };

    it('Given the default topology, Then three ordering nodes operated by Seoul, MOIS and MOHW, the first being the devnet one', () => {
        const t = loadTopology(DEFAULT_TOPOLOGY);
        expect(t.orderer.nodes.map((n) => [n.name, n.operatedBy, n.port, n.adminPort, n.operationsPort])).to.deep.equal([
            ['orderer', 'SeoulMSP', 7050, 7053, 17050],
            ['orderer', 'MOISMSP', 8050, 8053, 18050],
            ['orderer', 'MOHWMSP', 9050, 9053, 19050],
        ]);
        expect(t.orderer.nodes.map((n) => paths.ordererName(t, n))).to.deep.equal([
            'orderer.seoul.example.gov',
            'orderer.mois.example.gov',
            'orderer.mohw.example.gov',
        ]);
    });

    it('When an ordering node takes a peer port, Then the topology is refused naming both', () => {
        expect(() => withDoc((d) => (d.orderer.nodes[1].port = 8051))).to.throw(
            TopologyError,
            /port 8051 is used by both ordering node orderer of MOISMSP and MOISMSP peer/,
        );
    });

    it('When an ordering node name is not a DNS label, Then the topology is refused', () => {
        expect(() => withDoc((d) => (d.orderer.nodes[2].name = 'Orderer_3'))).to.throw(
            TopologyError,
            /orderer\.nodes\[2\]\.name must be a DNS label/,
        );
    });

    it('When a CA takes a gateway port, Then the topology is refused', () => {
        expect(() => withDoc((d) => (d.orgs[3].ca.port = 3001))).to.throw(
            TopologyError,
            /port 3001 is used by both SeoulMSP gateway and AuditMSP CA/,
        );
    });
});
