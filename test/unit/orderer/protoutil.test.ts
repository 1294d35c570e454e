// protoutil: tx ids, block hashes checked against an independent DER encoder (asn1js), envelope parsing refusals.
import * as crypto from 'node:crypto';
import { common } from '@hyperledger/fabric-protos';
import * as asn1js from 'asn1js';
import { expect } from 'chai';
import {
    blockDataHash,
    blockHeaderBytes,
    blockHeaderHash,
    computeTxId,
    createSignedEnvelope,
    EnvelopeError,
    isConfigBlock,
    lastConfigIndex,
    newBlock,
    parseEnvelope,
    transactionsFilter,
} from '../../../network/devnet/common/protoutil';
import { SigningIdentity } from '../../../network/devnet/msp/identity';

function header(number: number, previous: Uint8Array, data: Uint8Array): common.BlockHeader {
    const h = new common.BlockHeader();
    h.setNumber(number);
    h.setPreviousHash(previous);
    h.setDataHash(data);
    return h;
}

function independentDer(number: number, previous: Uint8Array, data: Uint8Array): Uint8Array {
    const seq = new asn1js.Sequence({
        value: [
            asn1js.Integer.fromBigInt(BigInt(number)),
            new asn1js.OctetString({ valueHex: previous }),
            new asn1js.OctetString({ valueHex: data }),
        ],
    });
    return new Uint8Array(seq.toBER(false));
}

/** A throwaway node:crypto signer standing in for an MSP identity. */
function testSigner(): SigningIdentity {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
        mspId: 'TestMSP',
        certificatePem: 'not a certificate',
        serialize: () => Buffer.from('creator-bytes'),
        sign: (data: Uint8Array) => crypto.sign('sha256', data, privateKey),
    };
}

describe('protoutil', () => {
    it('computes the tx id as hex SHA-256(nonce ‖ creator)', () => {
        const nonce = Buffer.from('nonce');
        const creator = Buffer.from('creator');
        expect(computeTxId(nonce, creator)).to.equal(crypto.createHash('sha256').update('noncecreator').digest('hex'));
    });

    it('encodes the block header as DER exactly as an independent encoder does, for small, boundary and large numbers', () => {
        const hashes = [new Uint8Array(0), crypto.randomBytes(32), crypto.randomBytes(200)];
        for (const n of [0, 1, 127, 128, 255, 256, 32767, 32768, 65535, 2 ** 31, 2 ** 32 + 5, Number.MAX_SAFE_INTEGER]) {
            for (const prev of hashes) {
                const data = crypto.randomBytes(32);
                const ours = blockHeaderBytes(header(n, prev, data));
                expect(Buffer.from(ours).toString('hex')).to.equal(
                    Buffer.from(independentDer(n, prev, data)).toString('hex'),
                    `number ${n}`,
                );
            }
        }
    });

    it('matches a fixed vector: block 1, previous "foo", data "bar"', () => {
        const der = blockHeaderBytes(header(1, Buffer.from('foo'), Buffer.from('bar')));
        expect(Buffer.from(der).toString('hex')).to.equal('300d0201010403666f6f0403626172');
        expect(Buffer.from(blockHeaderHash(header(1, Buffer.from('foo'), Buffer.from('bar')))).toString('hex')).to.equal(
            crypto.createHash('sha256').update(der).digest('hex'),
        );
    });

    it('hashes block data as SHA-256 of the concatenated envelopes', () => {
        const data = new common.BlockData();
        data.setDataList([Buffer.from('ab'), Buffer.from('cd')]);
        expect(Buffer.from(blockDataHash(data)).toString('hex')).to.equal(crypto.createHash('sha256').update('abcd').digest('hex'));
    });

    it('parses a signed envelope and refuses malformed ones with stable codes', () => {
        const signer = testSigner();
        const env = createSignedEnvelope(common.HeaderType.ENDORSER_TRANSACTION, 'ch1', signer, Buffer.from('x'));
        const parsed = parseEnvelope(env.serializeBinary());
        expect(parsed.channelHeader.getChannelId()).to.equal('ch1');
        const nonce = parsed.signatureHeader.getNonce_asU8();
        expect(parsed.channelHeader.getTxId()).to.equal(computeTxId(nonce, signer.serialize()));
        const code = (bytes: Uint8Array) => {
            try {
                parseEnvelope(bytes);
            } catch (err) {
                expect(err).to.be.instanceOf(EnvelopeError);
                return (err as EnvelopeError).code;
            }
            return 'OK';
        };
        expect(code(Buffer.from([0xff, 0xff, 0xff]))).to.equal('BAD_ENVELOPE');
        expect(code(new common.Envelope().serializeBinary())).to.equal('BAD_PAYLOAD');
        const noHeader = new common.Envelope();
        const p = new common.Payload();
        p.setData(Buffer.from('d'));
        noHeader.setPayload(p.serializeBinary());
        expect(code(noHeader.serializeBinary())).to.equal('MISSING_HEADER');
        const badCh = new common.Envelope();
        const p2 = new common.Payload();
        const h = new common.Header();
        h.setChannelHeader(Buffer.from([0x0a, 0xff]));
        h.setSignatureHeader(Buffer.from([1]));
        p2.setHeader(h);
        badCh.setPayload(p2.serializeBinary());
        expect(code(badCh.serializeBinary())).to.equal('BAD_CHANNEL_HEADER');
    });

    it('newBlock has five empty metadata entries; filter and last config read back', () => {
        const b = newBlock(3, Buffer.from('prev'));
        expect(b.getMetadata()!.getMetadataList()).to.have.length(5);
        expect(transactionsFilter(b)).to.equal(undefined);
        expect(lastConfigIndex(b)).to.equal(0);
        expect(isConfigBlock(b)).to.equal(false);
        const md = b.getMetadata()!.getMetadataList_asU8();
        md[2] = Uint8Array.of(0, 11);
        b.getMetadata()!.setMetadataList(md);
        expect(Array.from(transactionsFilter(b)!)).to.deep.equal([0, 11]);
    });
});
