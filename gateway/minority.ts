// The seeds of a child's minority chains (chaincode/model/minority.ts), on the issuer org's gateway.
// PrepareMinority derives the chains from a transient `chainSeed`; the representatives' app needs
// the power chain's token of the day and the child's app, from the 14th birthday on, the own
// chain's. Here the gateway derives each card's chainSeed from a secret of its own database
// (HMAC-SHA256 over the card id), so nothing per card is stored, a retried recording gets the same
// anchors, and the seeds are never an argument, an answer or a log line: the gateway hands out only
// today's token, to the representative's or the child's signed request (routes-oversight.ts). The
// seeds tell the 14th birthday, i.e. the birth date, to whoever also reads the public anchors:
// the secret is kept like the API key hashes beside it (back up the database; losing it ends the
// tokens, and with them the representatives' power, until the issuer records the minority anew).
import * as crypto from 'node:crypto';
import type { GatewayStore } from './store/store';
import type { ChainSeeds } from './http/route';

export class MinoritySecret implements ChainSeeds {
    #key: Promise<Buffer> | undefined;
    constructor(readonly store: GatewayStore) {}

    async chainSeed(cardId: string): Promise<Uint8Array> {
        this.#key ??= this.store.secret('minority-chains');
        this.#key.catch(() => {
            this.#key = undefined; // the database did not answer: ask again next time
        });
        return crypto
            .createHmac('sha256', await this.#key)
            .update(`minority-chain|${cardId}`)
            .digest();
    }
}
