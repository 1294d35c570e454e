// ServiceContract: department services (owner org and department, purpose, legal basis, the data
// items and predicates they may ask for), registered by the issuer or the MOIS service admin for any
// org, or by an org's own service admin for that org (a ministry that joins registers its own).

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType } from '../keys.js';
import {
    BaseContract,
    caller,
    compositeKey,
    decodeJson,
    emit,
    getJson,
    partialKeyPage,
    putIndex,
    putJson,
    hasGrant,
    requireCaller,
    result,
    txIso,
} from '../ledger.js';
import type { Service } from '../model/assets.js';
import type { ServiceBasis } from '../model/vocabulary.js';
import { ListServicesArgs, RegisterServiceArgs, ServiceIdArgs, UpdateServiceArgs } from '../model/dto.js';
import { parseArgs } from '../model/validate.js';
import { ServiceStatus } from '../model/vocabulary.js';
import { NATIONAL_SERVICE_ADMINS, SERVICE_ADMINS } from '../model/grants.js';

export async function loadService(ctx: Context, serviceId: string): Promise<Service> {
    const service = await getJson<Service>(ctx, compositeKey(ctx, KeyType.SERVICE, [serviceId]));
    if (!service) fail(ErrorCode.SERVICE_NOT_FOUND, `service ${serviceId} does not exist`);
    return service;
}

/** A service admin of another org than the service's owner is refused; the national ones may change any org's services. */
function requireServiceOwner(ctx: Context, ownerMspId: string, action: string): void {
    const c = caller(ctx);
    if (hasGrant(c, NATIONAL_SERVICE_ADMINS) || c.mspId === ownerMspId) return;
    fail(
        ErrorCode.SERVICE_NOT_OWNED,
        `${action}: the service-admin of ${c.mspId} changes services of ${c.mspId} only; this one is owned by ${ownerMspId}`,
    );
}

/**
 * A special basis (investigation: sealed accesses; emergency: break-glass) is a national decision:
 * only Seoul's issuer or MOIS's service admin registers such a service, and it names its law.
 */
function requireBasisRules(ctx: Context, basis: ServiceBasis | undefined, legalBasis: string | undefined, action: string): void {
    if (basis === undefined) return;
    if (!hasGrant(caller(ctx), NATIONAL_SERVICE_ADMINS)) {
        fail(ErrorCode.UNAUTHORIZED_ROLE, `${action}: a service with basis ${basis} is registered by a national service admin only`);
    }
    if (!legalBasis) fail(ErrorCode.INVALID_ARGUMENT, `legalBasis: required for a service with basis ${basis}`);
}

@Info({ title: 'ServiceContract', description: 'Department services and what they may ask for' })
export class ServiceContract extends BaseContract {
    constructor() {
        super('ServiceContract');
    }

    @Transaction()
    @Returns('string')
    async RegisterService(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, SERVICE_ADMINS, 'RegisterService');
        const args = parseArgs(RegisterServiceArgs, argsJson);
        requireServiceOwner(ctx, args.ownerMspId, 'RegisterService');
        requireBasisRules(ctx, args.basis, args.legalBasis, 'RegisterService');
        const key = compositeKey(ctx, KeyType.SERVICE, [args.serviceId]);
        if ((await ctx.stub.getState(key)).length > 0) fail(ErrorCode.SERVICE_EXISTS, `service ${args.serviceId} already exists`);
        const now = txIso(ctx);
        const service: Service = {
            docType: 'service',
            serviceId: args.serviceId,
            ownerMspId: args.ownerMspId,
            dept: args.dept,
            name: args.name,
            purpose: args.purpose,
            legalBasis: args.legalBasis,
            basis: args.basis,
            items: [...args.items].sort(),
            predicates: [...args.predicates].sort(),
            status: ServiceStatus.ACTIVE,
            createdAt: now,
            updatedAt: now,
            version: 1,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, key, service);
        await putIndex(ctx, compositeKey(ctx, KeyType.SERVICE_BY_ORG, [service.ownerMspId, service.serviceId]));
        emit(ctx, EventName.SERVICE_REGISTERED, { serviceId: service.serviceId });
        return result(service);
    }

    /** Replaces the mutable fields; owner org and department never change (register a new service). */
    @Transaction()
    @Returns('string')
    async UpdateService(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, SERVICE_ADMINS, 'UpdateService');
        const args = parseArgs(UpdateServiceArgs, argsJson);
        const service = await loadService(ctx, args.serviceId);
        requireServiceOwner(ctx, service.ownerMspId, 'UpdateService');
        if (service.status !== ServiceStatus.ACTIVE) fail(ErrorCode.SERVICE_INACTIVE, `service ${args.serviceId} is inactive`);
        // The basis never changes; its law may be reworded but not dropped.
        if (service.basis && !args.legalBasis)
            fail(ErrorCode.INVALID_ARGUMENT, `legalBasis: required for a service with basis ${service.basis}`);
        const next: Service = {
            ...service,
            name: args.name,
            purpose: args.purpose,
            legalBasis: args.legalBasis,
            items: [...args.items].sort(),
            predicates: [...args.predicates].sort(),
        };
        return this.#save(ctx, next, EventName.SERVICE_UPDATED);
    }

    @Transaction()
    @Returns('string')
    async DeactivateService(ctx: Context, argsJson: string): Promise<string> {
        requireCaller(ctx, SERVICE_ADMINS, 'DeactivateService');
        const args = parseArgs(ServiceIdArgs, argsJson);
        const service = await loadService(ctx, args.serviceId);
        requireServiceOwner(ctx, service.ownerMspId, 'DeactivateService');
        if (service.status !== ServiceStatus.ACTIVE) fail(ErrorCode.SERVICE_INACTIVE, `service ${args.serviceId} is already inactive`);
        return this.#save(ctx, { ...service, status: ServiceStatus.INACTIVE }, EventName.SERVICE_DEACTIVATED);
    }

    @Transaction(false)
    @Returns('string')
    async GetService(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ServiceIdArgs, argsJson);
        return result(await loadService(ctx, args.serviceId));
    }

    /** All services, or one org's (ownerMspId), one page at a time. */
    @Transaction(false)
    @Returns('string')
    async ListServices(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(ListServicesArgs, argsJson);
        if (args.ownerMspId === undefined) {
            return result(
                await partialKeyPage(ctx, KeyType.SERVICE, [], args.pageSize, args.bookmark, async (kv) => decodeJson<Service>(kv.value)),
            );
        }
        const page = await partialKeyPage(ctx, KeyType.SERVICE_BY_ORG, [args.ownerMspId], args.pageSize, args.bookmark, async (kv) => {
            const { attributes } = ctx.stub.splitCompositeKey(kv.key);
            return getJson<Service>(ctx, compositeKey(ctx, KeyType.SERVICE, [attributes[1] as string]));
        });
        return result(page);
    }

    async #save(ctx: Context, service: Service, event: EventName): Promise<string> {
        const next: Service = { ...service, version: service.version + 1, updatedAt: txIso(ctx), lastTxId: ctx.stub.getTxID() };
        await putJson(ctx, compositeKey(ctx, KeyType.SERVICE, [service.serviceId]), next);
        emit(ctx, event, { serviceId: service.serviceId });
        return result(next);
    }
}
