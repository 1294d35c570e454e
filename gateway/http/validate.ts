// Parse, validate, then use: request parts become DTO instances or a 400 problem naming every
// failing field. Unknown members are refused, so nothing rides along unchecked. Values are never
// echoed back (they may be personal data); only paths and constraint messages.
import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import type { ValidationError } from 'class-validator';
import { JSON_SHAPE_LIMITS, jsonShapeProblem, validateStrict } from '../../chaincode/model';
import { badRequest, ProblemError, type FieldError } from '../errors';

export type Where = 'body' | 'query' | 'path' | 'header';

/** An integer in a query string or a path: decimal digits only, within Number's exact range. */
export const DECIMAL = /^[0-9]{1,15}$/;
/** The largest integer DECIMAL admits (a DTO's @Max, so that the OpenAPI document states it). */
export const MAX_DECIMAL = 999_999_999_999_999;

/**
 * A regex source matching the decimal numbers 0..max, leading zeros allowed up to max's digit
 * count: a bound a pattern can state (in the OpenAPI document) as exactly as a BigInt comparison.
 */
export function decimalAtMost(max: bigint): string {
    const m = max.toString();
    const alternatives = m.length > 1 ? [`[0-9]{1,${m.length - 1}}`] : [];
    for (let i = 0; i < m.length; i++) {
        const d = Number(m[i]);
        const rest = m.length - i - 1;
        if (d > 0) alternatives.push(`${m.slice(0, i)}[0-${d - 1}]${rest ? `[0-9]{${rest}}` : ''}`);
    }
    alternatives.push(m);
    return `(?:${alternatives.join('|')})`;
}

function flatten(errors: ValidationError[], prefix: string, out: FieldError[]): FieldError[] {
    for (const e of errors) {
        const field = `${prefix}.${e.property}`;
        if (e.constraints) {
            const constraints: Record<string, string> = {};
            for (const k of Object.keys(e.constraints).sort()) constraints[k] = e.constraints[k];
            out.push({ field, constraints });
        }
        if (e.children?.length) flatten(e.children, field, out);
    }
    return out;
}

export function validateInto<T extends object>(cls: ClassConstructor<T>, input: unknown, where: Where): T {
    if (input === null || input === undefined || typeof input !== 'object' || Array.isArray(input)) {
        throw badRequest([{ field: where, constraints: { isObject: `${where} must be a JSON object` } }]);
    }
    // Bounded before class-transformer and class-validator walk it (both recurse): the chaincode's own limits.
    const shape = jsonShapeProblem(input);
    if (shape?.kind === 'forbidden') {
        throw badRequest([
            { field: `${where}.${shape.path}`, constraints: { whitelistValidation: `property ${shape.path} should not exist` } },
        ]);
    }
    if (shape) {
        const what = shape.kind === 'depth' ? `${JSON_SHAPE_LIMITS.maxDepth} levels of nesting` : `${JSON_SHAPE_LIMITS.maxMembers} members`;
        throw new ProblemError({
            status: 400,
            code: shape.kind === 'depth' ? 'JSON_TOO_DEEP' : 'JSON_TOO_MANY_MEMBERS',
            title: 'Invalid request',
            detail: `the ${where} has more than ${what} (at ${where}${shape.path ? `.${shape.path}` : ''})`,
        });
    }
    // Query strings and path segments are all text: an integer is written in decimal digits only
    // (Number() would also read 0x10, 1e3, ' 1' and '' as numbers); class-transformer then
    // converts each part to its declared type. Bodies keep their JSON types exactly.
    if (where === 'query' || where === 'path') {
        const notDecimal = Object.entries(input as Record<string, unknown>).filter(
            ([k, v]) => Reflect.getMetadata('design:type', cls.prototype, k) === Number && !(typeof v === 'string' && DECIMAL.test(v)),
        );
        if (notDecimal.length) {
            throw badRequest(
                notDecimal.map(([k]) => ({
                    field: `${where}.${k}`,
                    constraints: { isDecimal: `${k} must be an integer written in decimal digits (at most 15)` },
                })),
            );
        }
    }
    const instance = plainToInstance(cls, input, { enableImplicitConversion: where === 'query' || where === 'path' });
    const errors = validateStrict(instance);
    if (errors.length) throw badRequest(flatten(errors, where, []));
    return instance;
}

/** A validated value must agree with the path (e.g. the signed document's cardId). */
export function requireSame(field: string, actual: string, expected: string, where: Where = 'body'): void {
    if (actual !== expected) {
        throw badRequest([{ field: `${where}.${field}`, constraints: { equalsPath: `${field} must equal the identifier in the path` } }]);
    }
}
