// The citizen-app CLI: holds a device key in a file and prints signed documents as the JSON bodies
// the gateway takes. `npm run citizen -- <command> --key FILE [options]`
import * as crypto from 'node:crypto';
import {
    DATA_ITEMS,
    NONCE_PATTERN,
    PREDICATES,
    REASON_CODES,
    type DataItem,
    type PredicateName,
    type ReasonCode,
} from '../../chaincode/model';
import { DeviceKey, encodeStreamRequest } from './device';

const USAGE = `usage: npm run citizen -- <command> --key FILE [options]

The citizen's phone, on the command line: a P-256 device key in a file, and documents signed with
it, printed as the JSON body the gateway takes (pipe it to curl -d @-).

Commands:
  keygen           create a device key (file mode 0600, never overwritten) and print its public key
  public-key       print the public key (base64 DER SPKI): the card's devicePublicKey when Seoul issues it
  sign-challenge   answer a department's identity check (body of POST /v1/cards/{id}/verify)
                   --card ID --verifier MSP [--challenge NONCE]
  consent          consent to one service reading some data (body of POST /v1/consents)
                   --card ID --service ID --recipient MSP --purpose TEXT --items a,b
                   [--predicates p,q] [--retention-days N]
  withdraw         withdraw a consent (body of POST /v1/consents/{id}/withdraw)  --card ID --consent ID
  report-lost      suspend one's own card (body of POST /v1/cards/{id}/report-lost)  --card ID [--reason R]
  rotate           move the card to a new device key, signed by the old one (--key)
                   (body of POST /v1/cards/{id}/rotate-key)  --card ID (--new-key FILE | --new-public-key BASE64)
  access-log       ask for one's own access log (body of POST /v1/cards/{id}/access-log/query)
                   --card ID [--stream]

Arguments:
  --key FILE        the device key file (created by keygen)
  --card ID         the card's id, as issued by Seoul (e.g. card-0001)
  --verifier MSP    the org checking the card (e.g. MOHWMSP); the signature is valid for it only
  --challenge NONCE the verifier's random challenge: 16 to 128 characters of A-Z a-z 0-9 _ -;
                    without it a fresh one is generated (each nonce is accepted once per card)
  --service ID      the service the consent is for (GET /v1/services lists them)
  --recipient MSP   the org that may read under this consent (the service's owner)
  --purpose TEXT    why, in the citizen's words (shown in the access log)
  --items a,b       the personal data the recipient may read: ${DATA_ITEMS.join(', ')}
  --predicates p,q  yes/no answers the recipient may get instead of data: ${PREDICATES.join(', ')}
  --retention-days N how long the consent lasts (default 30)
  --consent ID      the consent to withdraw (consentId in POST /v1/consents' answer)
  --reason R        ${REASON_CODES.join(' | ')} (default LOST_DEVICE)
  --new-key FILE    the new device's key file (create it with keygen)
  --new-public-key B64  the new device's public key alone (e.g. the one the web tracker shows after
                    "Register this device": its private key never leaves the browser)
  --stream          print the request base64url-encoded, for ?request= of GET /v1/cards/{id}/access-log/stream`;

/** Runs one command; what it prints goes to `out`. A USAGE error says what was wrong. */
export function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): void {
    out(output(argv));
}

function output(argv: string[]): string {
    const [command = 'help', ...rest] = argv;
    const flags: Record<string, string> = {};
    for (let i = 0; i < rest.length; i++) {
        if (!rest[i].startsWith('--')) throw new Error(`USAGE: unexpected argument ${rest[i]}\n${USAGE}`);
        const v = rest[i + 1];
        flags[rest[i].slice(2)] = v === undefined || v.startsWith('--') ? 'true' : rest[++i];
    }
    if (command === 'help' || flags.help) return USAGE;
    const need = (k: string): string => {
        if (!flags[k] || flags[k] === 'true') throw new Error(`USAGE: --${k} is required\n${USAGE}`);
        return flags[k];
    };
    const list = <T extends string>(k: string, allowed: readonly string[]): T[] => {
        const items = (flags[k] ?? '')
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
        for (const i of items) if (!allowed.includes(i)) throw new Error(`USAGE: --${k}: ${i} is not one of ${allowed.join(', ')}`);
        return items as T[];
    };
    const keyFile = need('key');
    if (command === 'keygen') {
        const key = DeviceKey.generate();
        key.save(keyFile);
        return JSON.stringify({ keyFile, devicePublicKey: key.publicKeyBase64() });
    }
    const key = DeviceKey.load(keyFile);
    const print = (v: unknown) => JSON.stringify(v, null, 2);
    switch (command) {
        case 'public-key':
            return key.publicKeyBase64();
        case 'sign-challenge': {
            const challenge = flags.challenge ?? crypto.randomBytes(24).toString('base64url');
            if (!NONCE_PATTERN.test(challenge)) {
                throw new Error(`USAGE: --challenge must be 16 to 128 characters of A-Z a-z 0-9 _ - (got ${challenge.length})`);
            }
            return print(key.signChallenge(need('card'), challenge, need('verifier')));
        }
        case 'consent': {
            const days = Number(flags['retention-days'] ?? '30');
            if (!Number.isInteger(days) || days < 1) throw new Error('USAGE: --retention-days must be a positive integer');
            return print(
                key.consent({
                    cardId: need('card'),
                    serviceId: need('service'),
                    recipientMspId: need('recipient'),
                    purpose: need('purpose'),
                    items: list<DataItem>('items', DATA_ITEMS),
                    predicates: list<PredicateName>('predicates', PREDICATES),
                    retentionDays: days,
                }),
            );
        }
        case 'withdraw':
            return print(key.withdraw(need('card'), need('consent')));
        case 'report-lost': {
            const reason = (flags.reason ?? 'LOST_DEVICE') as ReasonCode;
            if (!REASON_CODES.includes(reason)) throw new Error(`USAGE: --reason must be one of ${REASON_CODES.join(', ')}`);
            return print(key.reportLost(need('card'), reason));
        }
        case 'rotate':
            return print(key.rotateTo(need('card'), flags['new-public-key'] ?? DeviceKey.load(need('new-key')).publicKeyBase64()));
        case 'access-log': {
            const signed = key.accessLogRequest(need('card'));
            return flags.stream ? encodeStreamRequest(signed) : print({ request: signed });
        }
        default:
            throw new Error(`USAGE: unknown command ${command}\n${USAGE}`);
    }
}

if (require.main === module) {
    try {
        run(process.argv.slice(2));
    } catch (err) {
        process.stderr.write(`${(err as Error).message}\n`);
        process.exit(1);
    }
}
