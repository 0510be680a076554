import { healthContract } from '@coffee/chaincode-common';

/** Liveness and per-organization heartbeat of the coffee-export chaincode (the shared `health` contract). */
export const HealthContract = healthContract('coffee-export');
