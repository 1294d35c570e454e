// Parse, validate, then use: request parts become DTO instances or a 400 problem naming every
// failing field. Unknown members are refused, so nothing rides along unchecked. Values are never
// echoed back (they may be personal data); only paths and constraint messages.
import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { JSON_SHAPE_LIMITS, jsonShapeProblem } from '../../chaincode/model';
import { badRequest, ProblemError, type FieldError } from '../errors';

export type Where = 'body' | 'query' | 'path' | 'header';

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
    // Query strings are all text: let class-transformer convert them to the declared types
    // (a non-number becomes NaN and fails @IsInt). Bodies keep their JSON types exactly.
    const instance = plainToInstance(cls, input, { enableImplicitConversion: where === 'query' || where === 'path' });
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
    if (errors.length) throw badRequest(flatten(errors, where, []));
    return instance;
}

/** A validated value must agree with the path (e.g. the signed document's cardId). */
export function requireSame(field: string, actual: string, expected: string, where: Where = 'body'): void {
    if (actual !== expected) {
        throw badRequest([{ field: `${where}.${field}`, constraints: { equalsPath: `${field} must equal the identifier in the path` } }]);
    }
}
