/**
 * The Kubernetes deployment's per-release values, generated from the org table: one values file per org
 * (network/helm/values/<org id>.yaml) and one for the ordering service and the portal (values/orderers.yaml), all
 * for the one chart network/helm/coffee-export. A test compares the committed files with this generator's output,
 * so a change of the table (an org, a port, a chaincode, a version) cannot leave the chart behind.
 *
 * `npm run helm:generate` writes them; `npm run helm:check` builds Helm (pinned, network/tools/helm) and lints,
 * renders and validates every release (helm-check.ts).
 *
 * Ports are the launcher's layout (orgs.ts) without a port offset: every topology (one machine, network
 * namespaces, compose, Kubernetes) serves a node at the same port, so the channel configuration and the chaincode
 * packages name the same endpoints. Each org's release lives in the namespace named after its domain's first
 * label (the org id; `orderer` for the ordering service), which is what lets the shared host names resolve
 * (docs/deploy.md, "Kubernetes").
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { FABRIC_CA_VERSION, FABRIC_VERSION, KUBO_VERSION } from './binaries.ts';
import { UserError } from './log.ts';
import {
  CHAINCODES,
  ORDERER_ORG,
  PEER_ORGS,
  caPorts,
  chaincodePort,
  ipfsPorts,
  ordererIndexes,
  ordererName,
  ordererPorts,
  peerPorts,
  portOffset,
  type PeerOrg,
} from './orgs.ts';
import { REPO_ROOT } from './paths.ts';

export const HELM_DIR = join(REPO_ROOT, 'network', 'helm');
export const CHART_DIR = join(HELM_DIR, 'coffee-export');
export const VALUES_DIR = join(HELM_DIR, 'values');

/** Every shared host name ends with this; the cluster DNS maps <node>.<label>.coffee.local to <node>.<label>.svc. */
export const DNS_SUFFIX = '.coffee.local';
export const PORTAL_HOST = `portal${DNS_SUFFIX}`;
/** The portal server's port (frontend/server/server.ts's default); above 1024, as it runs as non-root. */
export const PORTAL_PORT = 3000;

/** One Helm release: its name, namespace and values file. */
export interface HelmRelease {
  readonly name: string;
  readonly namespace: string;
  readonly component: 'org' | 'orderers';
  readonly valuesFile: string;
}

/** The namespace of a domain: its first label, which must be a DNS label before the shared suffix. */
function namespaceOf(domain: string): string {
  const label = domain.slice(0, -DNS_SUFFIX.length);
  if (!domain.endsWith(DNS_SUFFIX) || !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(label)) {
    throw new UserError(
      `domain '${domain}' does not fit the Kubernetes naming (<namespace>${DNS_SUFFIX}): change the org table in chaincode/consortium`,
    );
  }
  return label;
}

/** The root package's version: the tag of the images built from this repository. */
function projectVersion(): string {
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export function releases(): HelmRelease[] {
  return [
    ...PEER_ORGS.map((org) => ({
      name: org.id,
      namespace: namespaceOf(org.domain),
      component: 'org' as const,
      valuesFile: join(VALUES_DIR, `${org.id}.yaml`),
    })),
    {
      name: 'orderers',
      namespace: namespaceOf(ORDERER_ORG.domain),
      component: 'orderers',
      valuesFile: join(VALUES_DIR, 'orderers.yaml'),
    },
  ];
}

/** The launcher's port without COFFEE_PORT_OFFSET (this process may run with one, e.g. in `npm test`). */
const unshifted = (port: number): number => port - portOffset();

function orgValues(org: PeerOrg): Record<string, unknown> {
  const version = projectVersion();
  const peer = peerPorts(org);
  const ca = caPorts(org);
  const ipfs = ipfsPorts(org);
  return {
    component: 'org',
    namespace: namespaceOf(org.domain),
    org: { id: org.id, mspId: org.mspId, displayName: org.displayName, domain: org.domain },
    images: {
      ca: `hyperledger/fabric-ca:${FABRIC_CA_VERSION}`,
      peer: `hyperledger/fabric-peer:${FABRIC_VERSION}`,
      chaincode: `coffee-export/chaincode:${version}`,
      gateway: `coffee-export/gateway:${version}`,
      postgres: 'postgres:17',
      kubo: `ipfs/kubo:v${KUBO_VERSION}`,
    },
    ports: {
      ca: unshifted(ca.listen),
      caOperations: unshifted(ca.operations),
      peer: unshifted(peer.listen),
      peerChaincode: unshifted(peer.chaincode),
      peerOperations: unshifted(peer.operations),
      gateway: unshifted(org.gatewayPort),
      ipfsApi: unshifted(ipfs.api),
      ipfsSwarm: unshifted(ipfs.swarm),
    },
    chaincodes: CHAINCODES.map((cc) => ({ name: cc.name, port: unshifted(chaincodePort(org, cc)) })),
    postgres: { database: `coffee_${org.id.replace(/-/g, '_')}` },
  };
}

function orderersValues(): Record<string, unknown> {
  const version = projectVersion();
  return {
    component: 'orderers',
    namespace: namespaceOf(ORDERER_ORG.domain),
    ordererOrg: { mspId: ORDERER_ORG.mspId, domain: ORDERER_ORG.domain },
    images: {
      orderer: `hyperledger/fabric-orderer:${FABRIC_VERSION}`,
      portal: `coffee-export/portal:${version}`,
    },
    orderers: ordererIndexes().map((i) => {
      const p = ordererPorts(i);
      return {
        name: ordererName(i),
        port: unshifted(p.listen),
        adminPort: unshifted(p.admin),
        operationsPort: unshifted(p.operations),
      };
    }),
    portal: {
      enabled: true,
      host: PORTAL_HOST,
      port: PORTAL_PORT,
      gateways: Object.fromEntries(
        PEER_ORGS.map((o) => [o.id, `https://gateway.${o.domain}:${unshifted(o.gatewayPort)}`]),
      ),
    },
  };
}

const HEADER = [
  '# Generated by `npm run helm:generate` from the org table (chaincode/consortium, network/src/orgs.ts); do not',
  '# edit by hand. Values for one release of network/helm/coffee-export; see docs/deploy.md ("Kubernetes").',
].join('\n');

/** Every values file, by path, as the generator writes it. */
export function helmValuesFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const r of releases()) {
    const org = PEER_ORGS.find((o) => o.id === r.name);
    const values = org ? orgValues(org) : orderersValues();
    const install = `# helm install ${r.name} network/helm/coffee-export --namespace ${r.namespace} -f network/helm/values/${r.name}.yaml`;
    files.set(r.valuesFile, `${HEADER}\n${install}\n${stringify(values, { lineWidth: 0 })}`);
  }
  return files;
}

export function writeHelmValues(): string[] {
  mkdirSync(VALUES_DIR, { recursive: true });
  const files = helmValuesFiles();
  for (const [file, text] of files) writeFileSync(file, text);
  return [...files.keys()];
}
