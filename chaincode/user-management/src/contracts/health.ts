import { healthContract } from '@coffee/chaincode-common';

/** Liveness and per-organization heartbeat of the user-management chaincode (the shared `health` contract). */
export const HealthContract = healthContract('user-management');
