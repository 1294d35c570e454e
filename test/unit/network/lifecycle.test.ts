// chaincode:deploy names what it deployed: the version carries the hash of the code the servers load.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { contentHash } from '../../../network/commands/lifecycle';
import { ChaincodeConfig, Topology } from '../../../network/client/topology';

describe('chaincode content hash', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cc-hash-'));
    const t = { root } as Topology;
    const cc = { name: 'citizencard', server: { modulePath: 'chaincode' } } as ChaincodeConfig;
    fs.mkdirSync(path.join(root, 'chaincode'));
    fs.mkdirSync(path.join(root, 'dist', 'chaincode', 'contracts'), { recursive: true });
    fs.writeFileSync(path.join(root, 'chaincode', 'package.json'), '{"main":"../dist/chaincode/index.js"}');
    fs.writeFileSync(path.join(root, 'dist', 'chaincode', 'index.js'), 'module.exports = 1;');
    fs.writeFileSync(path.join(root, 'dist', 'chaincode', 'contracts', 'cards.js'), 'exports.a = 1;');

    it('Given the same code, Then the same 12 hex digits; Given one changed file, Then another', () => {
        const first = contentHash(t, cc);
        expect(first).to.match(/^[0-9a-f]{12}$/);
        expect(contentHash(t, cc)).to.equal(first);
        fs.writeFileSync(path.join(root, 'dist', 'chaincode', 'contracts', 'cards.js'), 'exports.a = 2;');
        expect(contentHash(t, cc)).not.to.equal(first);
    });
});
