// parseArgs: JSON text (or a plain object) -> validated DTO instance, or INVALID_ARGUMENT.
// Unknown members are refused so nothing (personal data included) rides along unchecked; the
// shape is bounded first (depth, member count, no prototype names), so validation cannot
// overflow the stack or walk a huge value.

import 'reflect-metadata';
import { plainToInstance, type ClassConstructor } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { ChaincodeError, ErrorCode } from '../errors.js';

/** The parts of class-validator's metadata storage (0.14, 0.15) that validation reads and writes. */
interface Storage {
    getTargetValidationMetadatas(
        target: object,
        schema: string,
        always: boolean,
        strictGroups: boolean,
        groups?: string[],
    ): ValidationMetadata[];
    groupByPropertyName(metadata: ValidationMetadata[]): Record<string, ValidationMetadata[]>;
    addValidationMetadata(metadata: ValidationMetadata): void;
    addValidationSchema(schema: unknown): void;
}

const memoized = Symbol.for('citizencard.validationMetadataMemo');

/**
 * class-validator finds a class's rules on every validation by scanning the rules of every
 * decorated class (an `instanceof` test per class, for inherited rules) and then groups them by
 * property again: with this product's few hundred DTO classes that was 3 to 4 % of the gateway's
 * and of a chaincode server's busy time. The rules only change when a class is declared, so both
 * answers are kept per class and options, and forgotten whenever a rule is added. The answers are
 * frozen: a caller that tried to change one would throw instead of changing the next validation.
 */
function memoizeValidationMetadata(): void {
    const storage = getMetadataStorage() as unknown as Storage & { [memoized]?: true };
    if (storage[memoized]) return;
    storage[memoized] = true;
    const lookUp = storage.getTargetValidationMetadatas.bind(storage);
    const group = storage.groupByPropertyName.bind(storage);
    const add = storage.addValidationMetadata.bind(storage);
    const addSchema = storage.addValidationSchema.bind(storage);
    let byTarget = new WeakMap<object, Map<string, ValidationMetadata[]>>();
    let grouped = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
    const forget = () => {
        byTarget = new WeakMap();
        grouped = new WeakMap();
    };
    storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, groups) => {
        const key = `${schema}\u0000${always}\u0000${strictGroups}\u0000${groups === undefined ? '' : JSON.stringify(groups)}`;
        let forTarget = byTarget.get(target);
        if (!forTarget) {
            forTarget = new Map();
            byTarget.set(target, forTarget);
        }
        let found = forTarget.get(key);
        if (!found) {
            found = Object.freeze(lookUp(target, schema, always, strictGroups, groups)) as ValidationMetadata[];
            forTarget.set(key, found);
        }
        return found;
    };
    storage.groupByPropertyName = (metadata) => {
        if (!Object.isFrozen(metadata)) return group(metadata);
        let found = grouped.get(metadata);
        if (!found) {
            const fresh = group(metadata);
            for (const list of Object.values(fresh)) Object.freeze(list);
            found = Object.freeze(fresh);
            grouped.set(metadata, found);
        }
        return found;
    };
    storage.addValidationMetadata = (metadata) => {
        forget();
        add(metadata);
    };
    storage.addValidationSchema = (schema) => {
        forget();
        addSchema(schema);
    };
}

/**
 * The one strict validation of a DTO instance, in the chaincode and in the gateways: members
 * without a rule are refused (whitelist, forbidNonWhitelisted) and so is an object of no known
 * class (forbidUnknownValues).
 */
export function validateStrict(instance: object): ValidationError[] {
    memoizeValidationMetadata();
    return validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
}

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

/** Member names refused everywhere: class-transformer skips them silently, so whitelisting would not. */
export const FORBIDDEN_MEMBERS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

export interface JsonShapeLimits {
    /** Nesting levels of objects and arrays (the top-level object is level 1). */
    maxDepth: number;
    /** Object members plus array elements, counted over the whole value. */
    maxMembers: number;
}

/** Every argument and request body of this application fits well inside these. */
export const JSON_SHAPE_LIMITS: JsonShapeLimits = { maxDepth: 8, maxMembers: 512 };

export type JsonShapeProblem = { kind: 'depth' | 'members'; path: string; limit: number } | { kind: 'forbidden'; path: string };

/**
 * The first reason a parsed JSON value is refused before validation, or undefined. Iterative, so a
 * deep value cannot overflow the stack here either; `path` is dotted (`predicates.0.__proto__`).
 */
export function jsonShapeProblem(value: unknown, limits: JsonShapeLimits = JSON_SHAPE_LIMITS): JsonShapeProblem | undefined {
    const pending: { value: unknown; path: string; level: number }[] = [{ value, path: '', level: 1 }];
    let members = 0;
    for (let next = pending.pop(); next; next = pending.pop()) {
        const v = next.value;
        if (v === null || typeof v !== 'object') continue;
        if (next.level > limits.maxDepth) return { kind: 'depth', path: next.path, limit: limits.maxDepth };
        const keys = Array.isArray(v) ? undefined : Object.keys(v);
        members += keys ? keys.length : (v as unknown[]).length;
        if (members > limits.maxMembers) return { kind: 'members', path: next.path, limit: limits.maxMembers };
        const at = (k: string | number) => (next.path ? `${next.path}.${k}` : String(k));
        if (keys) {
            for (const k of keys) {
                if (FORBIDDEN_MEMBERS.includes(k)) return { kind: 'forbidden', path: at(k) };
                pending.push({ value: (v as Record<string, unknown>)[k], path: at(k), level: next.level + 1 });
            }
        } else {
            const items = v as unknown[];
            for (let i = 0; i < items.length; i++) pending.push({ value: items[i], path: at(i), level: next.level + 1 });
        }
    }
    return undefined;
}

/** The argument of a transaction that takes none (GetPolicy): the JSON object `{}`, nothing in it. */
export function parseNoArgs(input: string | object): void {
    const plain = toPlainObject(input);
    const member = Object.keys(plain)[0];
    if (member !== undefined) throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, `${member}: whitelistValidation`);
}

function toPlainObject(input: string | object): object {
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
    return plain;
}

export function parseArgs<T extends object>(cls: ClassConstructor<T>, input: string | object): T {
    const plain = toPlainObject(input);
    const shape = jsonShapeProblem(plain);
    if (shape) {
        throw new ChaincodeError(
            ErrorCode.INVALID_ARGUMENT,
            shape.kind === 'forbidden'
                ? `${shape.path}: whitelistValidation`
                : `argument exceeds ${shape.limit} ${shape.kind === 'depth' ? 'nesting levels' : 'members'} at ${shape.path || 'the top'}`,
        );
    }
    const instance = plainToInstance(cls, plain);
    const errors = validateStrict(instance);
    if (errors.length) {
        // Property paths and constraint names only: never echo values (they may be personal data).
        throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, flatten(errors).join('; '));
    }
    return instance;
}
