// The citizen-app CLI: holds a device key in a file and prints signed documents as the JSON bodies
// the gateway takes. `node dist/gateway/citizen/cli.js <command> --key FILE [options]`
import { DATA_ITEMS, PREDICATES, REASON_CODES, type DataItem, type PredicateName, type ReasonCode } from '../../chaincode/model';
import { DeviceKey, encodeStreamRequest } from './device';

const USAGE = `usage: node dist/gateway/citizen/cli.js <command> --key FILE [options]
  keygen                                   create a P-256 device key (file mode 0600) and print its public key
  public-key                               print the public key (base64 DER SPKI, the card's devicePublicKey)
  sign-challenge --card ID --challenge NONCE --verifier MSP
  consent        --card ID --service ID --recipient MSP --purpose TEXT --items a,b [--predicates p,q] [--retention-days N]
  withdraw       --card ID --consent ID
  report-lost    --card ID [--reason ${REASON_CODES.join('|')}]
  rotate         --card ID --new-key FILE  (signed by --key, the old key)
  access-log     --card ID [--stream]      (--stream: base64url for the SSE ?request=)`;

export function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s + '\n')): void {
    const [command = 'help', ...rest] = argv;
    const flags: Record<string, string> = {};
    for (let i = 0; i < rest.length; i++) {
        if (!rest[i].startsWith('--')) throw new Error(`USAGE: unexpected argument ${rest[i]}\n${USAGE}`);
        const v = rest[i + 1];
        flags[rest[i].slice(2)] = v === undefined || v.startsWith('--') ? 'true' : rest[++i];
    }
    if (command === 'help' || flags.help) return out(USAGE);
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
        return out(JSON.stringify({ keyFile, devicePublicKey: key.publicKeyBase64() }));
    }
    const key = DeviceKey.load(keyFile);
    const print = (v: unknown) => out(JSON.stringify(v, null, 2));
    switch (command) {
        case 'public-key':
            return out(key.publicKeyBase64());
        case 'sign-challenge':
            return print(key.signChallenge(need('card'), need('challenge'), need('verifier')));
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
            return print(key.rotateTo(need('card'), DeviceKey.load(need('new-key')).publicKeyBase64()));
        case 'access-log': {
            const signed = key.accessLogRequest(need('card'));
            return flags.stream ? out(encodeStreamRequest(signed)) : print({ request: signed });
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
