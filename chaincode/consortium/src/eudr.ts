/**
 * EU Deforestation Regulation (Regulation (EU) 2023/1115) facts the chaincode, the gateways and the portal share:
 * which destinations need a due diligence statement (DDS), the geolocation rules a plot must meet, the cut-off date
 * for deforestation, and the vocabulary of plot screening and of the DDS package. Pure data, no imports.
 */

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
