/**
 * Which chaincode the client's signed proposal addressed. In a chaincode-to-chaincode call the callee
 * receives the caller's signed proposal, whose ChaincodeInvocationSpec names the outermost chaincode.
 * A client cannot address one chaincode while presenting a proposal for another, so a function that requires
 * origin `coffee-export` (or `user-management`) can only run as part of that chaincode's own code path.
 *
 * Only three nested length-delimited fields are needed, so a minimal protobuf reader suffices:
 * ChaincodeProposalPayload.input(1) -> ChaincodeInvocationSpec.chaincode_spec(1)
 * -> ChaincodeSpec.chaincode_id(2) -> ChaincodeID.name(2).
 */
import type { Context } from 'fabric-contract-api';

function readVarint(buf: Uint8Array, start: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let pos = start; pos < buf.length && pos < start + 10; pos++) {
    const byte = buf[pos] ?? 0;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) {
      return [value, pos + 1];
    }
  }
  return undefined;
}

/** The first length-delimited field `field` of a protobuf message, or undefined. */
export function protoField(buf: Uint8Array, field: number): Uint8Array | undefined {
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    if (!tag) {
      return undefined;
    }
    const [key, afterTag] = tag;
    const wireType = key % 8;
    const number = Math.floor(key / 8);
    pos = afterTag;
    if (wireType === 0) {
      const skipped = readVarint(buf, pos);
      if (!skipped) {
        return undefined;
      }
      pos = skipped[1];
    } else if (wireType === 1) {
      pos += 8;
    } else if (wireType === 5) {
      pos += 4;
    } else if (wireType === 2) {
      const length = readVarint(buf, pos);
      if (!length || length[1] + length[0] > buf.length) {
        return undefined;
      }
      const [size, start] = length;
      if (number === field) {
        return buf.subarray(start, start + size);
      }
      pos = start + size;
    } else {
      return undefined;
    }
  }
  return undefined;
}

function proposalInput(ctx: Context): Uint8Array | undefined {
  const signed: unknown = ctx.stub.getSignedProposal();
  if (typeof signed !== 'object' || signed === null || !('proposal' in signed)) {
    return undefined;
  }
  const proposal: unknown = signed.proposal;
  if (typeof proposal !== 'object' || proposal === null || !('payload' in proposal)) {
    return undefined;
  }
  const payload: unknown = proposal.payload;
  if (typeof payload !== 'object' || payload === null) {
    return undefined;
  }
  // fabric-shim hands over the decoded protobuf object; plain objects (as typed) carry `input`.
  if ('getInput_asU8' in payload && typeof payload.getInput_asU8 === 'function') {
    const input: unknown = (payload.getInput_asU8 as () => unknown).call(payload);
    return input instanceof Uint8Array ? input : undefined;
  }
  if ('input' in payload && payload.input instanceof Uint8Array) {
    return payload.input;
  }
  return undefined;
}

/** Name of the chaincode the signed proposal invoked (the outermost chaincode of this transaction). */
export function originChaincode(ctx: Context): string | undefined {
  const input = proposalInput(ctx);
  const spec = input && protoField(input, 1);
  const chaincodeId = spec && protoField(spec, 2);
  const name = chaincodeId && protoField(chaincodeId, 2);
  return name === undefined ? undefined : Buffer.from(name).toString('utf8');
}
