// The layers of the tree and the direction of their imports (docs/architecture.md): no import cycle
// between files anywhere, and no import from a lower layer to a higher one. The product
// (chaincode/, gateway/, web/) leans on no dev tool: the gateway imports only the chaincode's
// model and network/client/, the client library it shares with the tooling, the devnet and the
// tests; the devnet's nodes import nothing of the tooling that starts them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../network/client/topology';

/** The folders whose TypeScript the checks read. */
const ROOTS = ['chaincode', 'gateway', 'network', 'scripts', 'test', 'web'];

/**
 * Each layer and the folders it may import from (itself included); a file belongs to the layer of
 * the longest folder that holds it. Their jobs: the table of docs/architecture.md, which the last
 * test below holds to this list.
 */
const LAYERS: { folder: string; mayImport: string[] }[] = [
    { folder: 'chaincode', mayImport: ['chaincode'] },
    { folder: 'gateway', mayImport: ['gateway', 'chaincode', 'network/client'] },
    { folder: 'web', mayImport: ['web', 'gateway', 'chaincode'] },
    { folder: 'scripts', mayImport: ['scripts', 'gateway', 'chaincode', 'network/client'] },
    { folder: 'network/client', mayImport: ['network/client'] },
    { folder: 'network/devnet', mayImport: ['network/devnet', 'network/client'] },
    { folder: 'network/fabric', mayImport: ['network/fabric', 'network/devnet', 'network/client'] },
    { folder: 'network/commands', mayImport: ['network/commands', 'network/fabric', 'network/devnet', 'network/client', 'chaincode'] },
    { folder: 'test', mayImport: ['*'] },
];

/** The command line itself: every command's steps live below it, so nothing imports it back. */
const COMMAND_LINE = 'network/commands/cli';

function sources(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === 'node_modules' ? [] : sources(p);
        return /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
    });
}

/** Every relative module a file imports or requires (static, dynamic, type-only, re-exports). */
function relativeImports(text: string): string[] {
    const found: string[] = [];
    const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;
    for (let m = re.exec(text); m; m = re.exec(text)) found.push(m[1]);
    return found;
}

/** A module specifier resolved to the repository path of its file, without the .ts extension. */
function resolveModule(fromFile: string, spec: string): string {
    const target = path.resolve(path.dirname(fromFile), spec).replace(/\.js$/, '');
    const candidates = [`${target}.ts`, `${target}.tsx`, path.join(target, 'index.ts'), path.join(target, 'index.tsx')];
    const file = candidates.find((c) => fs.existsSync(c)) ?? target;
    return path.relative(REPO_ROOT, file).replace(/\.tsx?$/, '');
}

/** Each source file (repository path without extension) and the files it imports. */
function importGraph(): Map<string, string[]> {
    const graph = new Map<string, string[]>();
    for (const root of ROOTS) {
        for (const file of sources(path.join(REPO_ROOT, root))) {
            const imports = relativeImports(fs.readFileSync(file, 'utf8')).map((spec) => resolveModule(file, spec));
            graph.set(path.relative(REPO_ROOT, file).replace(/\.tsx?$/, ''), [...new Set(imports)]);
        }
    }
    return graph;
}

/** Every import cycle of the graph, one per strongly connected set of files, as a → b → … → a. */
function importCycles(graph: Map<string, string[]>): string[] {
    // Tarjan's strongly connected components; a component of two or more files holds a cycle.
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    const visit = (v: string) => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph.get(v) ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1 || (graph.get(v) ?? []).includes(v)) components.push(component);
        }
    };
    for (const v of [...graph.keys()].sort()) if (!index.has(v)) visit(v);
    // One cycle through each component, from its first file in path order, for the message.
    return components.map((component) => {
        const members = new Set(component);
        const start = [...component].sort()[0];
        const pathTo = (from: string, seen: Set<string>): string[] | undefined => {
            for (const w of graph.get(from) ?? []) {
                if (w === start) return [from, start];
                if (!members.has(w) || seen.has(w)) continue;
                seen.add(w);
                const rest = pathTo(w, seen);
                if (rest) return [from, ...rest];
            }
            return undefined;
        };
        return (pathTo(start, new Set([start])) ?? component).join(' → ');
    });
}

const within = (file: string, folder: string) => file === folder || file.startsWith(`${folder}/`);

/** The layer of a file: the longest layer folder that holds it. */
function layerOf(file: string): (typeof LAYERS)[number] | undefined {
    return LAYERS.filter((l) => within(file, l.folder)).sort((a, b) => b.folder.length - a.folder.length)[0];
}

/** Imports that run against the layers, and files that belong to none (one line each). */
function layerViolations(graph: Map<string, string[]>): string[] {
    const found: string[] = [];
    for (const [file, imports] of graph) {
        const layer = layerOf(file);
        if (!layer) {
            found.push(`${file} is in no layer (network/ holds its code in client/, devnet/, fabric/ and commands/)`);
            continue;
        }
        for (const target of imports) {
            if (target === COMMAND_LINE && file !== COMMAND_LINE) found.push(`${file} imports the command line ${target}`);
            if (layer.mayImport.includes('*') || layer.mayImport.some((folder) => within(target, folder))) continue;
            found.push(`${file} imports ${target}: ${layer.folder}/ may import only ${layer.mayImport.map((f) => `${f}/`).join(', ')}`);
        }
    }
    return found;
}

describe('imports: the layers of the tree', () => {
    it('finds static, dynamic, type-only and require imports (the check itself)', () => {
        expect(
            relativeImports(
                `import { a } from '../network/devnet/msp/ca';\nimport '../x';\nconst b = require("../y");\nawait import('./z');\nexport * from '../w';\nimport type { T } from './t';`,
            ),
        ).to.deep.equal(['../network/devnet/msp/ca', '../x', '../y', './z', '../w', './t']);
    });

    it('reports a cycle and every forbidden direction (the check itself)', () => {
        const graph = new Map<string, string[]>([
            ['network/devnet/peer/a', ['network/devnet/peer/b']],
            ['network/devnet/peer/b', ['network/devnet/peer/c', 'network/client/topology']],
            ['network/devnet/peer/c', ['network/devnet/peer/a', 'network/commands/processes']],
            ['network/client/topology', ['network/fabric/network']],
            ['network/fabric/network', ['network/commands/orgs']],
            ['network/commands/orgs', ['network/commands/cli', 'gateway/fabric/client', 'chaincode/surface']],
            ['gateway/server', ['network/devnet/msp/ca', 'network/client/logger', 'chaincode/model/index']],
            ['chaincode/ledger', ['gateway/errors', 'chaincode/errors']],
            ['network/orgs', []],
        ]);
        expect(importCycles(graph)).to.deep.equal([
            'network/devnet/peer/a → network/devnet/peer/b → network/devnet/peer/c → network/devnet/peer/a',
        ]);
        expect(importCycles(new Map([['x', ['x']]]))).to.deep.equal(['x → x']);
        expect(layerViolations(graph).map((line) => line.split(':')[0])).to.deep.equal([
            'network/devnet/peer/c imports network/commands/processes',
            'network/client/topology imports network/fabric/network',
            'network/fabric/network imports network/commands/orgs',
            'network/commands/orgs imports the command line network/commands/cli',
            'network/commands/orgs imports gateway/fabric/client',
            'gateway/server imports network/devnet/msp/ca',
            'chaincode/ledger imports gateway/errors',
            'network/orgs is in no layer (network/ holds its code in client/, devnet/, fabric/ and commands/)',
        ]);
    });

    const graph = importGraph();

    it('reads the whole tree, each import resolved to a file of it', () => {
        expect(graph.size).to.be.greaterThan(200);
        // (Its own samples above are not imports.)
        const unresolved = [...graph]
            .filter(([file]) => file !== 'test/unit/imports.test')
            .flatMap(([file, imports]) =>
                imports
                    .filter((t) => ![`${t}.ts`, `${t}.tsx`, t].some((f) => fs.existsSync(path.join(REPO_ROOT, f))))
                    .map((t) => `${file} imports ${t}`),
            );
        expect(unresolved).to.deep.equal([]);
    });

    it(`has no import cycle between files of ${ROOTS.map((r) => `${r}/`).join(', ')}`, () => {
        expect(importCycles(graph)).to.deep.equal([]);
    });

    it('imports only downwards: each layer from the folders it may import, and nothing imports the command line', () => {
        expect(layerViolations(graph)).to.deep.equal([]);
    });

    it('docs/architecture.md has one row per layer saying exactly what it may import', () => {
        const text = fs.readFileSync(path.join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
        const rows = new Map([...text.matchAll(/^\| `([a-z/]+)\/` \| .* \| (.*) \|$/gm)].map((m) => [m[1], m[2]]));
        expect([...rows.keys()].sort(), 'the folders of the table').to.deep.equal(LAYERS.map((l) => l.folder).sort());
        for (const layer of LAYERS) {
            const row = rows.get(layer.folder) ?? '';
            const named = row === 'anything' ? ['*'] : [...row.matchAll(/`([a-z/]+)\/`/g)].map((m) => m[1]);
            expect(named.sort(), `what ${layer.folder}/ may import, in the table`).to.deep.equal(
                layer.mayImport.filter((f) => f !== layer.folder).sort(),
            );
        }
    });
});
