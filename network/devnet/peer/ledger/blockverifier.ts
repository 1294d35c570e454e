// The orderer's block signatures (Fabric's MCS VerifyBlock, as the blocks provider uses it): each
// MetadataSignature of the SIGNATURES metadata signs value ‖ signature header ‖ header bytes, and
// the signers must satisfy /Channel/Orderer/BlockValidation.
import { common } from '@hyperledger/fabric-protos';
import { blockHeaderBytes } from '../../common/protoutil';
import { PolicyManager, SignedData } from '../../common/policies';

export const BLOCK_VALIDATION_POLICY = '/Channel/Orderer/BlockValidation';

export class BlockSignatureError extends Error {
    readonly code = 'BLOCK_SIGNATURE_INVALID';
    constructor(message: string) {
        super(`BLOCK_SIGNATURE_INVALID: ${message}`);
    }
}

/** SignedData of a block's SIGNATURES metadata, one per signature. */
export function blockSignedData(block: common.Block): SignedData[] {
    const raw = block.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.SIGNATURES];
    if (!raw || raw.length === 0) return [];
    let md: common.Metadata;
    try {
        md = common.Metadata.deserializeBinary(raw);
    } catch {
        throw new BlockSignatureError(`block ${block.getHeader()?.getNumber()}: SIGNATURES metadata does not parse`);
    }
    const headerBytes = blockHeaderBytes(block.getHeader()!);
    return md.getSignaturesList().map((s) => {
        let creator: Uint8Array = new Uint8Array(0);
        try {
            creator = common.SignatureHeader.deserializeBinary(s.getSignatureHeader_asU8()).getCreator_asU8();
        } catch {
            // An unparsable header yields no identity: the policy ignores the signature.
        }
        return {
            identity: creator,
            data: Buffer.concat([md.getValue_asU8(), s.getSignatureHeader_asU8(), headerBytes]),
            signature: s.getSignature_asU8(),
        };
    });
}

/** Throws BlockSignatureError unless the signatures satisfy BlockValidation (block 0, the genesis block, is unsigned). */
export function verifyBlockSignature(policies: Pick<PolicyManager, 'evaluate'>, block: common.Block): void {
    const header = block.getHeader();
    if (!header) throw new BlockSignatureError('block has no header');
    if (header.getNumber() === 0) return;
    const result = policies.evaluate(BLOCK_VALIDATION_POLICY, blockSignedData(block));
    if (!result.ok)
        throw new BlockSignatureError(`block ${header.getNumber()}: ${result.reason ?? 'BlockValidation policy not satisfied'}`);
}
