/** Every chaincode event name of user-management, in one place. */
export const EVENTS = {
  heartbeatRecorded: 'HeartbeatRecorded',
  userRegistered: 'UserRegistered',
  userSuspended: 'UserSuspended',
  userReactivated: 'UserReactivated',
  exporterRegistered: 'ExporterRegistered',
  exporterUpdated: 'ExporterUpdated',
  exporterDelinquencySet: 'ExporterDelinquencySet',
  exporterDelinquencyCleared: 'ExporterDelinquencyCleared',
  exporterPenalized: 'ExporterPenalized',
} as const;
