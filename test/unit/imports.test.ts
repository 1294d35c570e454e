// The product does not lean on its dev tool: chaincode/ and gateway/ import nothing of the
// devnet's node code, only the small shared modules both networks use (the topology, the MSP
// folder layout, signing, the Fabric CA client).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../network/client/topology';

/** What product code may import from network/: paths relative to the repository, without extension. */
const SHARED = [/^network\/client\/[^/]+$/];

function sources(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
        return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
    });
}

/** Every relative module a file imports or requires (static, dynamic, re-exports). */
function relativeImports(text: string): string[] {
    const found: string[] = [];
    const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[1]);
    return found;
}

describe('product code imports only shared modules of network/', () => {
    it('finds static, dynamic and require imports (the check itself)', () => {
        expect(
            relativeImports(
                `import { a } from '../network/msp/ca';\nimport '../x';\nconst b = require("../y");\nawait import('./z');\nexport * from '../w';`,
            ),
        ).to.deep.equal(['../network/msp/ca', '../x', '../y', './z', '../w']);
    });

    for (const folder of ['gateway', 'chaincode']) {
        it(`${folder}/ imports no devnet node code`, () => {
            const offending: string[] = [];
            for (const file of sources(path.join(REPO_ROOT, folder))) {
                for (const spec of relativeImports(fs.readFileSync(file, 'utf8'))) {
                    const target = path.relative(REPO_ROOT, path.resolve(path.dirname(file), spec)).replace(/\.(js|ts)$/, '');
                    // The gateway shares the chaincode's DTOs and error codes; only network/ is the devnet's.
                    if (!target.startsWith('network/')) continue;
                    if (!SHARED.some((allowed) => allowed.test(target)))
                        offending.push(`${path.relative(REPO_ROOT, file)} imports ${target}`);
                }
            }
            expect(offending).to.deep.equal([]);
        });
    }
});
