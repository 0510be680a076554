import { HEALTH_EVENTS } from '@coffee/chaincode-common';

/** Every chaincode event name of user-management, in one place. */
export const EVENTS = {
  ...HEALTH_EVENTS,
  userRegistered: 'UserRegistered',
  userSuspended: 'UserSuspended',
  userReactivated: 'UserReactivated',
  exporterRegistered: 'ExporterRegistered',
  exporterUpdated: 'ExporterUpdated',
  exporterDelinquencySet: 'ExporterDelinquencySet',
  exporterDelinquencyCleared: 'ExporterDelinquencyCleared',
  exporterPenalized: 'ExporterPenalized',
  orgKeyPublished: 'OrgKeyPublished',
} as const;
