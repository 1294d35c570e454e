// OversightContract: what the audit office decides about access entries (issue 24): extending the
// seal of an investigation's entry, and the channel's policy that bounds seals, break-glass and
// the transparency report. Every decision is a transaction of the Audit org's `auditor`, so it is
// signed by the auditor's certificate and recorded on the ledger with the auditor's id.

import { Context, Info, Returns, Transaction } from 'fabric-contract-api';
import { ErrorCode, fail } from '../errors.js';
import { EventName, KeyType } from '../keys.js';
import { BaseContract, caller, compositeKey, emit, putJson, requireCaller, result, txIso } from '../ledger.js';
import type { Seal } from '../model/assets.js';
import { AccessIdArgs, ExtendSealArgs } from '../model/dto.js';
import { AUDITOR } from '../model/grants.js';
import { parseArgs, parseNoArgs } from '../model/validate.js';
import { CHANNEL_POLICY } from '../model/vocabulary.js';
import { loadSeal, requireAccessReader, requireSealDate } from './access.js';

@Info({ title: 'OversightContract', description: "The audit office's decisions on sealed entries, and the channel's policy" })
export class OversightContract extends BaseContract {
    constructor() {
        super('OversightContract');
    }

    /** The channel's policy for seals, break-glass, the report and minorities (CHANNEL_POLICY). */
    @Transaction(false)
    @Returns('string')
    async GetPolicy(_ctx: Context, argsJson: string): Promise<string> {
        parseNoArgs(argsJson);
        return result(CHANNEL_POLICY);
    }

    /**
     * An auditor's recorded decision to keep a sealed entry hidden from its citizen for longer:
     * only while the seal holds, to a later date at most CHANNEL_POLICY.sealMaxDays from now. The
     * entry itself is never touched: only its seal (and the seal's history) changes.
     */
    @Transaction()
    @Returns('string')
    async ExtendSeal(ctx: Context, argsJson: string): Promise<string> {
        const c = requireCaller(ctx, AUDITOR, 'ExtendSeal');
        const args = parseArgs(ExtendSealArgs, argsJson);
        const seal = await loadSeal(ctx, args.accessId);
        if (!seal) fail(ErrorCode.SEAL_NOT_FOUND, `access ${args.accessId} is not sealed`);
        const now = txIso(ctx);
        // Once released the citizen may have seen it: sealing it again would hide nothing.
        if (now >= seal.sealedUntil) fail(ErrorCode.SEAL_RELEASED, `the seal of access ${args.accessId} ended at ${seal.sealedUntil}`);
        const until = requireSealDate(ctx, args.sealedUntil, 'sealedUntil');
        if (until <= seal.sealedUntil) fail(ErrorCode.INVALID_ARGUMENT, `sealedUntil: must be later than the current seal date`);
        const next: Seal = {
            ...seal,
            sealedUntil: until,
            extensions: [
                ...seal.extensions,
                {
                    txId: ctx.stub.getTxID(),
                    at: now,
                    auditorId: c.id,
                    decisionRef: args.decisionRef,
                    previousUntil: seal.sealedUntil,
                    sealedUntil: until,
                },
            ],
            version: seal.version + 1,
            updatedAt: now,
            lastTxId: ctx.stub.getTxID(),
        };
        await putJson(ctx, compositeKey(ctx, KeyType.SEAL, [seal.accessId]), next);
        emit(ctx, EventName.SEAL_EXTENDED, { accessId: seal.accessId });
        return result(next);
    }

    /** The seal of an entry: for auditors, and for whoever may read the entry (its department, its org-auditor). */
    @Transaction(false)
    @Returns('string')
    async GetSeal(ctx: Context, argsJson: string): Promise<string> {
        const args = parseArgs(AccessIdArgs, argsJson);
        const seal = await loadSeal(ctx, args.accessId);
        if (!seal) fail(ErrorCode.SEAL_NOT_FOUND, `access ${args.accessId} is not sealed`);
        requireAccessReader(caller(ctx), seal.callerMspId, seal.callerDept, 'GetSeal');
        return result(seal);
    }
}
