// parseArgs: JSON text (or a plain object) -> validated DTO instance, or INVALID_ARGUMENT.
// Unknown members are refused so nothing (personal data included) rides along unchecked; the
// shape is bounded first (depth, member count, no prototype names), so validation cannot
// overflow the stack or walk a huge value.

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
    const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true });
    if (errors.length) {
        // Property paths and constraint names only: never echo values (they may be personal data).
        throw new ChaincodeError(ErrorCode.INVALID_ARGUMENT, flatten(errors).join('; '));
    }
    return instance;
}
