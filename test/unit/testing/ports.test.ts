// The ports of the tests' own networks move with E2E_PORT_SHIFT, so that two test runs on one
// machine (each with its own shift) never bind the same port.
import * as fs from 'node:fs';
import { expect } from 'chai';
import YAML from 'yaml';
import { DEFAULT_TOPOLOGY } from '../../../network/client/topology';
import { fixturePortShift, shiftPorts } from '../../fixtures/topology';
import { PORT_OFFSET } from '../orderer/fixture';

/** Every port number in a topology document. */
function portsOf(node: unknown, out: number[] = []): number[] {
    if (Array.isArray(node)) for (const n of node) portsOf(n, out);
    else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
            if (/port$/i.test(k) && typeof v === 'number') out.push(v);
            else if (k === 'ports' && v && typeof v === 'object') out.push(...(Object.values(v) as number[]));
            else portsOf(v, out);
        }
    }
    return out;
}

describe('test fixtures: ports per run', () => {
    const doc = YAML.parse(fs.readFileSync(DEFAULT_TOPOLOGY, 'utf8'));
    const defaults = portsOf(doc);
    const ordererTestPorts = (shift: string) => portsOf(shiftPorts(doc, fixturePortShift(PORT_OFFSET, { E2E_PORT_SHIFT: shift })));

    it('Given CI (no E2E_PORT_SHIFT), Then the orderer tests use the default topology +200, every kind of port included', () => {
        expect(fixturePortShift(PORT_OFFSET, {})).to.equal(200);
        expect(ordererTestPorts('11200')).to.deep.equal(defaults.map((p) => p + 200));
        expect(defaults.length).to.be.greaterThan(20);
    });

    it('Given two runs with different E2E_PORT_SHIFTs, Then their orderer tests share no port', () => {
        const ci = new Set(ordererTestPorts('11200'));
        const other = ordererTestPorts('12020');
        expect(other.filter((p) => ci.has(p))).to.deep.equal([]);
        expect(other).to.deep.equal(defaults.map((p) => p + 1020));
    });
});
