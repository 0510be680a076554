import { HEALTH_EVENTS } from '@coffee/chaincode-common';

/** Every chaincode event name of coffee-export, in one place: one event per state change. */
export const EVENTS = {
  ...HEALTH_EVENTS,
  exportSubmitted: 'ExportSubmitted',
  contractRegistered: 'ContractRegistered',
  qualityCertified: 'QualityCertified',
  fxSubmitted: 'FxSubmitted',
  fxApproved: 'FxApproved',
  shipmentBooked: 'ShipmentBooked',
  exportUnderInspection: 'ExportUnderInspection',
  customsCleared: 'CustomsCleared',
  exportShipped: 'ExportShipped',
  trackingEventAdded: 'TrackingEventAdded',
  paymentReceived: 'PaymentReceived',
  exportCompleted: 'ExportCompleted',
  exportDelinquent: 'ExportDelinquent',
  exportDelinquencyCleared: 'ExportDelinquencyCleared',
  amendmentRequested: 'AmendmentRequested',
  exportAmended: 'ExportAmended',
  documentsAttached: 'DocumentsAttached',
  exportRejected: 'ExportRejected',
  exportCancelled: 'ExportCancelled',
  exportDefaulted: 'ExportDefaulted',
  minimumPricePublished: 'MinimumPricePublished',
  workflowConfigProposed: 'WorkflowConfigProposed',
  workflowConfigUpdated: 'WorkflowConfigUpdated',
  eudrForestLayerSet: 'EudrForestLayerSet',
  eudrPlotRegistered: 'EudrPlotRegistered',
  eudrPlotReviewed: 'EudrPlotReviewed',
  eudrPlotFlagged: 'EudrPlotFlagged',
  eudrLotsLinked: 'EudrLotsLinked',
  eudrPackageAssembled: 'EudrPackageAssembled',
  eudrPackageApproved: 'EudrPackageApproved',
  eudrPackageReferenced: 'EudrPackageReferenced',
} as const;

export type EventName = (typeof EVENTS)[keyof typeof EVENTS];
