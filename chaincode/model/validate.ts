// parseArgs: JSON text (or a plain object) -> validated DTO instance, or INVALID_ARGUMENT.
// Unknown members are refused so nothing (personal data included) rides along unchecked.

import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { ChaincodeError, ErrorCode } from '../errors.js';

function flatten(errors: ValidationError[], prefix = ''): string[] {
    const out: string[] = [];
    for (const e of errors) {
        const path = prefix ? `${prefix}.${e.property}` : e.property;
        if (e.constraints) {
            for (const key of Object.keys(e.constraints).sort()) out.push(`${path}: ${key}`);
        }
        if (e.children?.length) out.push(...flatten(e.children, path));
    }
    return out;
}

export function parseArgs<T extends object>(cls: ClassConstructor<T>, input: string | object): T {
    let plain: unknown = input;
    if (typeof input === 'string') {
        try {
            plain = JSON.parse(input);
        } catch {
            throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, 'argument is not valid JSON');
        }
    }
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) {
        throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, 'argument must be a JSON object');
    }
    const instance = plainToInstance(cls, plain);
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
    if (errors.length) {
        // Property paths and constraint names only: never echo values (they may be personal data).
        throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, flatten(errors).join('; '));
    }
    return instance;
}
