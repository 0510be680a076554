import '@coffee/chaincode-common/dist/test-support/quiet';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peer } from '@hyperledger/fabric-protos';
import type { Context } from 'fabric-contract-api';
import { originChaincode, protoField } from '@coffee/chaincode-common';
import { invocationSpec } from '@coffee/chaincode-common/dist/test-support/fakes';

function realPayload(chaincode: string, args: string[]): peer.ChaincodeProposalPayload {
  const id = new peer.ChaincodeID();
  id.setName(chaincode);
  const input = new peer.ChaincodeInput();
  input.setArgsList(args.map((a) => Buffer.from(a)));
  const spec = new peer.ChaincodeSpec();
  spec.setType(peer.ChaincodeSpec.Type.NODE);
  spec.setChaincodeId(id);
  spec.setInput(input);
  const invocation = new peer.ChaincodeInvocationSpec();
  invocation.setChaincodeSpec(spec);
  const payload = new peer.ChaincodeProposalPayload();
  payload.setInput(invocation.serializeBinary());
  return payload;
}

function ctxWith(signedProposal: unknown): Context {
  return { stub: { getSignedProposal: () => signedProposal } } as unknown as Context;
}

describe('originChaincode: which chaincode the signed proposal addressed', () => {
  const cases: { name: string; proposal: unknown; expected: string | undefined }[] = [
    {
      name: 'protobuf object as fabric-shim hands it over',
      proposal: { proposal: { payload: realPayload('coffee-export', ['export:RecordDefault', '{}']) } },
      expected: 'coffee-export',
    },
    {
      name: 'plain bytes as the typings describe',
      proposal: { proposal: { payload: { input: realPayload('user-management', ['x']).getInput_asU8() } } },
      expected: 'user-management',
    },
    {
      name: 'the test fake encoder agrees with fabric-protos',
      proposal: { proposal: { payload: { input: invocationSpec('coffee-export', ['a']) } } },
      expected: 'coffee-export',
    },
    { name: 'no proposal', proposal: undefined, expected: undefined },
    {
      name: 'garbage bytes',
      proposal: { proposal: { payload: { input: Uint8Array.from([0x0a, 0xff, 0xff]) } } },
      expected: undefined,
    },
    {
      name: 'empty input',
      proposal: { proposal: { payload: { input: new Uint8Array() } } },
      expected: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(originChaincode(ctxWith(c.proposal)), c.expected);
    });
  }

  it('protoField skips varint and fixed-width fields before the wanted one', () => {
    const message = Uint8Array.from([
      0x08, 0x96, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4, 0x12, 0x02, 0x68, 0x69,
    ]);
    assert.equal(Buffer.from(protoField(message, 2) ?? new Uint8Array()).toString(), 'hi');
  });
});
