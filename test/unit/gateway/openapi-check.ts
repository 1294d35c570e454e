// Checks an answer against what a gateway's OpenAPI document says of its operation: the status is
// declared, a problem's code is among the status's `x-problem-codes`, and the body matches the
// declared schema (ajv, with the document's own components) and the declared class (class-validator,
// strictly). Used by the tests that exercise the gateway with a fake and with the real chaincode.
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { expect } from 'chai';
import type request from 'supertest';
import YAML from 'yaml';
import { Problem, strictErrors } from '../../../gateway/http/answers';

// biome-ignore lint/suspicious/noExplicitAny: OpenAPI documents are walked freely
export type Doc = Record<string, any>;
// biome-ignore lint/suspicious/noExplicitAny: one operation object
export type Op = Record<string, any>;

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** ajv 6 in OpenAPI 3.0 mode: `nullable`, full formats (date-time, date, uri checked for real). */
const newAjv = () => new Ajv({ allErrors: true, format: 'full', nullable: true });

/** The OAI's JSON Schema of OpenAPI 3.0.x documents (draft-04), vendored in test/fixtures. */
export function openApiMetaValidator(): (doc: Doc) => string[] {
    const ajv = new Ajv({ allErrors: true, format: 'full', schemaId: 'auto' });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- ajv's bundled draft-04 meta-schema
    ajv.addMetaSchema(require('ajv/lib/refs/json-schema-draft-04.json'));
    const validate = ajv.compile(YAML.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/openapi-3.0.schema.yaml'), 'utf8')));
    return (doc) => (validate(doc) ? [] : (validate.errors ?? []).map((e: Ajv.ErrorObject) => `${e.dataPath} ${e.message}`));
}

export interface Operation {
    method: string;
    path: string;
    op: Op;
}

/** Every operation of a document, with its method and path. */
export function operationsOf(doc: Doc): Operation[] {
    return Object.entries(doc.paths as Record<string, Record<string, Op>>).flatMap(([p, ops]) =>
        Object.entries(ops).map(([method, op]) => ({ method, path: p, op })),
    );
}

export class DocumentCheck {
    readonly #ajv = newAjv();
    readonly #byId = new Map<string, Operation>();
    readonly #compiled = new Map<string, Ajv.ValidateFunction>();

    constructor(readonly doc: Doc) {
        this.#ajv.addSchema(doc, 'doc.json');
        for (const o of operationsOf(doc)) this.#byId.set(o.op.operationId, o);
    }

    has(operationId: string): boolean {
        return this.#byId.has(operationId);
    }

    operation(operationId: string): Operation {
        const o = this.#byId.get(operationId);
        if (!o) throw new Error(`no operation ${operationId} in the document`);
        return o;
    }

    /** The errors of `value` against a schema of the document (a $ref to its components, or inline). */
    schemaErrors(schema: object, value: unknown): string[] {
        const key = JSON.stringify(schema);
        let v = this.#compiled.get(key);
        if (!v) {
            v = this.#ajv.compile({ ...JSON.parse(key.replaceAll('"#/components/', '"doc.json#/components/')) });
            this.#compiled.set(key, v);
        }
        return v(value)
            ? []
            : (v.errors ?? []).map((e: Ajv.ErrorObject) => `${e.dataPath || '.'} ${e.message} ${JSON.stringify(e.params)}`);
    }

    /**
     * The answer is one the operation declares: its status, a problem's code, its body's schema; and
     * the answer class when given (strict: a member the class does not name fails). `successBody`
     * false: a success's body is not checked (a fake Fabric layer's answers are not real ones).
     */
    expectAnswer(operationId: string, res: request.Response, answerClass?: new () => object, successBody = true): void {
        const { op, method, path: p } = this.operation(operationId);
        const where = `${method.toUpperCase()} ${p} (${operationId}) answered ${res.status} ${res.status >= 400 ? res.body?.code : ''}`;
        const declared = op.responses[String(res.status)];
        expect(declared, `${where}: status not declared`).not.to.equal(undefined);
        const type = String(res.headers['content-type'] ?? '').split(';')[0];
        const content = declared.content as Record<string, { schema: object }> | undefined;
        if (!content) {
            expect(res.text ?? '', `${where}: declares no body`).to.equal('');
            return;
        }
        expect(Object.keys(content), `${where}: media type ${type}`).to.include(type);
        if (res.status >= 400) {
            expect(declared['x-problem-codes'], `${where}: code not declared`).to.include(res.body.code);
            expect(strictErrors(Problem, res.body), `${where}: not a Problem`).to.deep.equal([]);
        }
        if (type.endsWith('json') && (res.status >= 400 || successBody)) {
            const schema = content[type]?.schema as object;
            expect(this.schemaErrors(schema, res.body), `${where}: body against its schema`).to.deep.equal([]);
            if (answerClass && res.status < 300)
                expect(strictErrors(answerClass, res.body), `${where}: body against its class`).to.deep.equal([]);
        }
    }
}
