// The codes each chaincode transaction can refuse with, read from the contracts' source: every
// `fail(ErrorCode.X, ...)` and `new ChaincodeError(ErrorCode.X, ...)` a transaction reaches through
// the functions it calls. A `fail(code, ...)` whose code is computed counts every ErrorCode its
// function names, and those named by the functions and constants it refers to (cardUnusable,
// NOT_FOUND_OF). parseArgs's INVALID_ARGUMENT is left out: the gateway validates each argument
// with the same DTO first (its own 400 VALIDATION_FAILED). The parser is oxc's (rolldown, which vite builds with): an independent oracle
// for the table the gateway documents (chaincode/surface.ts CHAINCODE_ERRORS).
import * as fs from 'node:fs';
import * as path from 'node:path';

// biome-ignore lint/suspicious/noExplicitAny: an ESTree node of any kind
type Node = any;

// eslint-disable-next-line @typescript-eslint/no-require-imports -- an ES module, loaded with require(esm)
const { parseAst } = require('rolldown/parseAst') as { parseAst(code: string, options: { lang: 'ts' }): Node };

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
const SOURCES = [
    'chaincode/errors.ts',
    'chaincode/ledger.ts',
    'chaincode/model/validate.ts',
    'chaincode/model/formats.ts',
    'chaincode/model/text.ts',
];

interface Symbol {
    file: string;
    /** The class a method belongs to. */
    owner?: string;
    node: Node;
}

function walk(node: Node, visit: (n: Node) => void): void {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
        for (const n of node) walk(n, visit);
        return;
    }
    if (typeof node.type === 'string') visit(node);
    for (const [k, v] of Object.entries(node)) if (k !== 'decorators' && v && typeof v === 'object') walk(v, visit);
}

const errorCodeOf = (n: Node): string | undefined =>
    n?.type === 'MemberExpression' && n.object?.type === 'Identifier' && n.object.name === 'ErrorCode' && n.property?.type === 'Identifier'
        ? (n.property.name as string)
        : undefined;

/** Top-level functions and constants, and class methods (`Class.method`, `Class.#method`), of every source file. */
function symbols(files: string[]): Map<string, Symbol[]> {
    const table = new Map<string, Symbol[]>();
    const add = (name: string, s: Symbol) => table.set(name, [...(table.get(name) ?? []), s]);
    for (const file of files) {
        const ast = parseAst(fs.readFileSync(path.join(ROOT, file), 'utf8'), { lang: 'ts' });
        for (const top of ast.body) {
            const decl = top.type === 'ExportNamedDeclaration' ? top.declaration : top;
            if (!decl) continue;
            if (decl.type === 'FunctionDeclaration' && decl.id) add(decl.id.name, { file, node: decl });
            if (decl.type === 'VariableDeclaration')
                for (const d of decl.declarations) if (d.id?.type === 'Identifier' && d.init) add(d.id.name, { file, node: d.init });
            if (decl.type === 'ClassDeclaration' && decl.id)
                for (const m of decl.body.body)
                    if (m.type === 'MethodDefinition')
                        add(`${decl.id.name}.${m.key.type === 'PrivateIdentifier' ? '#' : ''}${m.key.name}`, {
                            file,
                            owner: decl.id.name,
                            node: m,
                        });
        }
    }
    return table;
}

/** The chaincode transactions (`Contract:Method`) and the codes each can refuse with. */
export function chaincodeRefusals(): Map<string, Set<string>> {
    const contractFiles = fs
        .readdirSync(path.join(ROOT, 'chaincode/contracts'))
        .filter((f) => f.endsWith('.ts'))
        .map((f) => `chaincode/contracts/${f}`);
    const table = symbols([...SOURCES, ...contractFiles]);
    const resolve = (name: string, from: Symbol): Symbol | undefined => {
        const found = table.get(name) ?? [];
        return found.find((s) => s.file === from.file) ?? (found.length === 1 ? found[0] : undefined);
    };
    const isParseArgs = (s: Symbol) => s.node.type === 'FunctionDeclaration' && s.node.id?.name === 'parseArgs';
    const named = (s: Symbol): Set<string> => {
        const codes = new Set<string>();
        if (isParseArgs(s)) return codes;
        walk(s.node, (n) => {
            const c = errorCodeOf(n);
            if (c) codes.add(c);
        });
        return codes;
    };
    const direct = new Map<Symbol, { thrown: Set<string>; calls: Symbol[] }>();
    const analyse = (s: Symbol) => {
        let d = direct.get(s);
        if (d) return d;
        d = { thrown: new Set(), calls: [] };
        direct.set(s, d);
        if (isParseArgs(s)) return d;
        let computed = false;
        walk(s.node, (n) => {
            const thrower =
                (n.type === 'CallExpression' && n.callee?.type === 'Identifier' && n.callee.name === 'fail') ||
                (n.type === 'NewExpression' && n.callee?.type === 'Identifier' && n.callee.name === 'ChaincodeError');
            if (thrower) {
                const c = errorCodeOf(n.arguments[0]);
                if (c) d?.thrown.add(c);
                else if (s.node.type !== 'FunctionDeclaration' || s.node.id?.name !== 'fail') computed = true;
            }
            if (n.type === 'CallExpression') {
                const callee = n.callee;
                const target =
                    callee?.type === 'Identifier'
                        ? resolve(callee.name, s)
                        : callee?.type === 'MemberExpression' && callee.object?.type === 'ThisExpression' && s.owner
                          ? resolve(`${s.owner}.${callee.property.type === 'PrivateIdentifier' ? '#' : ''}${callee.property.name}`, s)
                          : undefined;
                if (target && target !== s) d?.calls.push(target);
            }
        });
        if (computed) {
            // The code is an expression: whatever this function, and what it refers to, names.
            for (const c of named(s)) d.thrown.add(c);
            walk(s.node, (n) => {
                if (n.type !== 'Identifier') return;
                const ref = resolve(n.name, s);
                if (ref && ref !== s) for (const c of named(ref)) d?.thrown.add(c);
            });
        }
        return d;
    };
    const closure = (s: Symbol, seen = new Set<Symbol>()): Set<string> => {
        if (seen.has(s)) return new Set();
        seen.add(s);
        const d = analyse(s);
        const out = new Set(d.thrown);
        for (const callee of d.calls) for (const c of closure(callee, seen)) out.add(c);
        return out;
    };
    const out = new Map<string, Set<string>>();
    for (const [name, found] of table) {
        for (const s of found) {
            const isTransaction =
                s.node.type === 'MethodDefinition' && s.node.decorators?.some((d: Node) => d.expression?.callee?.name === 'Transaction');
            if (isTransaction) out.set(name.replace('.', ':'), closure(s));
        }
    }
    return out;
}
