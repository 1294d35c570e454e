// The topology names every CA endpoint and each ordering node's operator, and refuses a file whose
// ports clash or are missing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import YAML from 'yaml';
import { DEFAULT_TOPOLOGY, loadTopology, paths, TopologyError } from '../../../network/client/topology';

/** The parsed topology file, edited freely by each case. */
type TopologyDoc = ReturnType<typeof YAML.parse>;

function variant(edit: (doc: TopologyDoc) => void): string {
    const doc = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'));
    edit(doc);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'topology-')), 'topology.yaml');
    fs.writeFileSync(file, YAML.stringify(doc));
    return file;
}

describe('topology: CA endpoints', () => {
    it('gives each org a CA with an operations port, and each ordering node to the org that operates it', () => {
        const t = loadTopology(DEFAULT_TOPOLOGY);
        expect(t.orgs.map((o) => [o.mspId, o.ca.port, o.ca.operationsPort])).to.deep.equal([
            ['SeoulMSP', 7054, 17054],
            ['MOISMSP', 8054, 18054],
            ['MOHWMSP', 9054, 19054],
            ['AuditMSP', 10054, 20054],
        ]);
        expect(t.orderer.nodes.map((n) => [n.operatedBy, paths.ordererName(t, n), paths.ordererDir(t, n)])).to.deep.equal(
            ['SeoulMSP', 'MOISMSP', 'MOHWMSP'].map((m) => {
                const domain = t.orgs.find((o) => o.mspId === m)!.domain;
                return [m, `orderer.${domain}`, path.join(t.stateDir, 'organizations', 'peerOrganizations', domain, 'orderers', `orderer.${domain}`)];
            }),
        );
    });

    const refusals: [string, (doc: TopologyDoc) => void, RegExp][] = [
        ['an org without a CA', (d) => delete d.orgs[1].ca, /orgs\[1\]\.ca needs a host/],
        ['a CA without operations port', (d) => delete d.orgs[0].ca.operationsPort, /orgs\[0\]\.ca\.operationsPort must be a port/],
        ['no ordering node', (d) => (d.orderer.nodes = []), /orderer\.nodes must list at least one ordering node/],
        ['an ordering node run by no org', (d) => delete d.orderer.nodes[1].operatedBy, /orderer\.nodes\[1\]\.operatedBy must name the org that runs it/],
        [
            'an ordering node run by an org not in the topology',
            (d) => (d.orderer.nodes[2].operatedBy = 'OrdererMSP'),
            /orderer\.nodes\[2\]\.operatedBy is OrdererMSP, not an org of the topology/,
        ],
        [
            'two ordering nodes of one org with one name',
            (d) => (d.orderer.nodes[1].operatedBy = 'SeoulMSP'),
            /orderer\.nodes\[1\]: SeoulMSP already runs an ordering node named orderer/,
        ],
        ['a CA on a peer port', (d) => (d.orgs[2].ca.port = d.orgs[0].peer.port), /port 7051 is used by both SeoulMSP peer and MOHWMSP CA/],
        ['two CAs on one port', (d) => (d.orgs[1].ca.port = d.orgs[3].ca.port), /port 10054 is used by both MOISMSP CA and AuditMSP CA/],
        [
            'a CA operations port clash',
            (d) => (d.orgs[0].ca.operationsPort = d.orgs[0].ca.port),
            /port 7054 is used by both SeoulMSP CA and SeoulMSP CA operations/,
        ],
    ];
    for (const [what, edit, message] of refusals) {
        it(`refuses ${what} with TOPOLOGY_INVALID`, () => {
            const file = variant(edit);
            expect(() => loadTopology(file)).to.throw(TopologyError, message);
        });
    }
});
