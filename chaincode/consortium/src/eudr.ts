/**
 * EU Deforestation Regulation (Regulation (EU) 2023/1115) facts the chaincode, the gateways and the portal share:
 * which destinations need a due diligence statement (DDS), the geolocation rules a plot must meet, the cut-off date
 * for deforestation, the vocabulary of plot screening and of the DDS package, who may call each function of the
 * coffee-export `eudr` contract, and who may read plots. Pure data and functions (imports: this package only).
 */
import { ACTORS, type Permission } from './actions.js';
import { MSP, type MspId } from './orgs.js';
import { type Viewer, isExportReader } from './policy.js';
import type { ExportStatus } from './vocabulary.js';

/** The EU's member states (ISO 3166-1 alpha-2): an export to one of them needs a complete DDS package. */
export const EU_COUNTRIES: readonly string[] = [
  'AT',
  'BE',
  'BG',
  'CY',
  'CZ',
  'DE',
  'DK',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'HU',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PL',
  'PT',
  'RO',
  'SE',
  'SI',
  'SK',
];

/** True for an ISO alpha-2 destination inside the EU (case-insensitive; 'EL' is Greece's EU code). */
export function isEuDestination(country: string): boolean {
  const c = country.trim().toUpperCase();
  return EU_COUNTRIES.includes(c === 'EL' ? 'GR' : c);
}

/** Art. 2(28): plots of 4 ha or more are described by a polygon; smaller ones may be a single point. */
export const EUDR_POLYGON_MIN_HECTARES = 4;
/** Geolocation coordinates carry at least 6 decimal digits (about 0.1 m). */
export const EUDR_MIN_DECIMALS = 6;
/** Land deforested after this date disqualifies a plot (Art. 2(13)). */
export const EUDR_CUTOFF_DATE = '2020-12-31';
/** How far a computed area may differ from the declared one before the plot is refused (relative). */
export const EUDR_AREA_TOLERANCE = 0.1;
/** Country of production for every plot of this consortium. */
export const EUDR_PRODUCTION_COUNTRY = 'ET';
/** HS heading of green (not roasted, not decaffeinated) coffee, the commodity the package declares. */
export const EUDR_HS_CODE = '0901.11';
/** Packages and their evidence are kept at least this long (Art. 12(3): five years). */
export const EUDR_RETENTION_YEARS = 5;

/**
 * A plot's screening against the forest-loss-after-2020 layer: CLEAR (no overlap), FLAGGED (overlap; blocks the
 * package until ECTA reviews it), then ECTA's reviewed outcome: REVIEW_CLEARED (e.g. the loss was not
 * deforestation) or REVIEW_REJECTED (the plot may not supply EU-bound coffee).
 */
export const PLOT_SCREENING_STATUSES = [
  'PENDING',
  'CLEAR',
  'FLAGGED',
  'REVIEW_CLEARED',
  'REVIEW_REJECTED',
] as const;
export type PlotScreeningStatus = (typeof PLOT_SCREENING_STATUSES)[number];

/** A plot may feed an EU-bound package only in these states. */
export const PLOT_USABLE_STATUSES: readonly PlotScreeningStatus[] = ['CLEAR', 'REVIEW_CLEARED'];

/** The DDS package's life on an export: assembled by the exporter, co-endorsed by ECTA, then referenced. */
export const DDS_PACKAGE_STATUSES = ['ASSEMBLED', 'APPROVED', 'REFERENCED'] as const;
export type DdsPackageStatus = (typeof DDS_PACKAGE_STATUSES)[number];

/** Customs may clear an EU-bound export only once its package is in one of these states. */
export const DDS_CLEARABLE_STATUSES: readonly DdsPackageStatus[] = ['APPROVED', 'REFERENCED'];

/** A plot's shape on the ledger: a polygon (4 ha or more) or a point (smaller plots). */
export const PLOT_KINDS = ['Point', 'Polygon'] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

/** What the exporter's gateway may report at registration (its own screening); reviews come later, from ECTA. */
export const PLOT_REGISTRATION_STATUSES = [
  'CLEAR',
  'FLAGGED',
] as const satisfies readonly PlotScreeningStatus[];
/** ECTA's reviewed outcomes of a FLAGGED plot. */
export const PLOT_REVIEW_OUTCOMES = [
  'REVIEW_CLEARED',
  'REVIEW_REJECTED',
] as const satisfies readonly PlotScreeningStatus[];
export type PlotReviewOutcome = (typeof PLOT_REVIEW_OUTCOMES)[number];

/**
 * The export states in which the exporter assembles (or re-assembles) the DDS package and ECTA approves it: from
 * ECX's quality certificate (the lots are known) until customs, which refuses an EU-bound export without it.
 */
export const DDS_ASSEMBLY_STATUSES: readonly ExportStatus[] = [
  'QUALITY_CERTIFIED',
  'FX_SUBMITTED',
  'FX_APPROVED',
  'SHIPMENT_BOOKED',
];
/** ECX records which plots each lot came from while it grades the export (before and at certification). */
export const LOT_LINK_STATUSES: readonly ExportStatus[] = ['CONTRACT_REGISTERED', 'QUALITY_CERTIFIED'];

const ECTA_LAYER_LOADER: Permission = { msp: MSP.ECTA, roles: ['ecta_officer', 'admin'] };

/** Who may call each write of the `eudr` contract (the chaincode checks it; gateways refuse by it first). */
export const EUDR_ACTORS = {
  SetForestLayer: [ECTA_LAYER_LOADER],
  RegisterPlot: [ACTORS.exporter],
  ReviewPlot: [ACTORS.ectaOfficer],
  FlagPlot: [ACTORS.ectaOfficer],
  LinkLotPlots: [ACTORS.grader],
  AssembleDdsPackage: [ACTORS.exporter],
  ApproveDdsPackage: [ACTORS.ectaOfficer],
  RecordDdsReference: [ACTORS.exporter],
} as const satisfies Record<string, readonly Permission[]>;
export type EudrFunction = keyof typeof EUDR_ACTORS;
export const EUDR_FUNCTIONS = Object.keys(EUDR_ACTORS) as EudrFunction[];

/** May a caller of this org and role call the `eudr` write `fn` at all? */
export function mayCallEudr(fn: EudrFunction, mspId: string, role: string): boolean {
  const actors: readonly Permission[] = EUDR_ACTORS[fn];
  return actors.some((p) => p.msp === mspId && (p.roles as readonly string[]).includes(role));
}

/**
 * The orgs that read plots (and an export's lot links and package): the exporter's bank, ECTA (approves), ECX
 * (links lots) and Customs (clears). The National Bank and the shipping line never do: they have no part in it.
 * The plot documents in IPFS are encrypted for exactly these orgs.
 */
export const EUDR_PLOT_AUDIENCE: readonly MspId[] = [MSP.CommercialBank, MSP.ECTA, MSP.ECX, MSP.Customs];

/**
 * May the viewer read this plot? Exporters: their own plots only. Within the audience orgs: their export readers
 * (workflow roles and auditors), and the exporter's bank's admin (it manages the exporters' users).
 */
export function canSeePlot(viewer: Viewer, plot: { readonly exporterId: string }): boolean {
  if (!(EUDR_PLOT_AUDIENCE as readonly string[]).includes(viewer.mspId)) return false;
  if (viewer.role === 'exporter') {
    return viewer.exporterId !== undefined && viewer.exporterId === plot.exporterId;
  }
  if (viewer.role === 'admin') return viewer.mspId === MSP.CommercialBank;
  return isExportReader(viewer);
}

/**
 * May a viewer who can see an export read its lot links and the package's details (plots, hashes, summary)?
 * The rest of those who see the export read only whether a package is needed and its status.
 */
/** Who a DDS package is sealed for and may download it: the exporter's bank (for the importer), ECTA, Customs. */
export const DDS_PACKAGE_AUDIENCE: readonly MspId[] = [MSP.CommercialBank, MSP.ECTA, MSP.Customs];

/** May the viewer read (download) the DDS package of this exporter's export? Its audience, within plot readers. */
export function canReadDdsPackage(viewer: Viewer, pkg: { readonly exporterId: string }): boolean {
  return (DDS_PACKAGE_AUDIENCE as readonly string[]).includes(viewer.mspId) && canSeePlot(viewer, pkg);
}

export function canReadEudrDetails(viewer: Viewer): boolean {
  return (EUDR_PLOT_AUDIENCE as readonly string[]).includes(viewer.mspId) && isExportReader(viewer);
}
