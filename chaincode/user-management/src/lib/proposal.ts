/** Which chaincode the signed proposal addressed: shared with coffee-export (chaincode-common). */
export { originChaincode, protoField } from '@coffee/chaincode-common';
