/**
 * Crypto material. cryptogen issues each org's root CA, TLS CA and the node and admin identities (fast and
 * reproducible); each org's Fabric CA then runs with that same root CA key, so users it enrolls later chain
 * to the root the channel trusts. TLS-only certificates (chaincode servers, CA servers) are issued by the
 * org's TLS CA with openssl, so no extra signing identities exist for them.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Binaries } from './binaries.ts';
import {
  ORDERER_ORG,
  PEER_ORGS,
  ordererHost,
  ordererIndexes,
  peerHost,
  peersPerOrg,
  type PeerOrg,
} from './orgs.ts';
import { paths } from './paths.ts';
import { run } from './proc.ts';
import { extraSans, ORDERERS } from './topology.ts';

const SANS = ['localhost', '127.0.0.1'];

function orgName(org: PeerOrg): string {
  return org.mspId.replace(/MSP$/, '');
}

export function cryptogenConfig(peerCount: number): string {
  return stringify({
    OrdererOrgs: [
      {
        Name: 'Orderer',
        Domain: ORDERER_ORG.domain,
        EnableNodeOUs: true,
        // netns topology: the orderers' host address too (topology.ts; none in loopback).
        Specs: ordererIndexes().map((i) => ({
          Hostname: `orderer${i}`,
          SANS: [...SANS, ...extraSans(ORDERERS)],
        })),
      },
    ],
    PeerOrgs: PEER_ORGS.map((org) => ({
      Name: orgName(org),
      Domain: org.domain,
      EnableNodeOUs: true,
      Template: { Count: peerCount, SANS: [...SANS, ...extraSans(org)] },
      Users: { Count: 0 },
    })),
  });
}

/** Directory layout produced by cryptogen, in one place. */
export const cryptoPaths = {
  peerOrg: (org: PeerOrg): string => join(paths.crypto, 'peerOrganizations', org.domain),
  ordererOrg: (): string => join(paths.crypto, 'ordererOrganizations', ORDERER_ORG.domain),
  orgMsp: (org: PeerOrg): string => join(cryptoPaths.peerOrg(org), 'msp'),
  peer: (org: PeerOrg, index = 0): string => join(cryptoPaths.peerOrg(org), 'peers', peerHost(org, index)),
  admin: (org: PeerOrg): string => join(cryptoPaths.peerOrg(org), 'users', `Admin@${org.domain}`),
  orderer: (i: number): string => join(cryptoPaths.ordererOrg(), 'orderers', ordererHost(i)),
  ordererAdmin: (): string => join(cryptoPaths.ordererOrg(), 'users', `Admin@${ORDERER_ORG.domain}`),
  caCert: (org: PeerOrg): string => join(cryptoPaths.peerOrg(org), 'ca', `ca.${org.domain}-cert.pem`),
  caKey: (org: PeerOrg): string => join(cryptoPaths.peerOrg(org), 'ca', 'priv_sk'),
  tlsCaCert: (org: PeerOrg): string =>
    join(cryptoPaths.peerOrg(org), 'tlsca', `tlsca.${org.domain}-cert.pem`),
  tlsCaKey: (org: PeerOrg): string => join(cryptoPaths.peerOrg(org), 'tlsca', 'priv_sk'),
  ordererTlsCaCert: (): string =>
    join(cryptoPaths.ordererOrg(), 'tlsca', `tlsca.${ORDERER_ORG.domain}-cert.pem`),
  /** TLS-only server certificates issued with openssl (chaincode servers, CA server). */
  tlsServer: (org: PeerOrg, name: string): string => join(cryptoPaths.peerOrg(org), 'tls-servers', name),
};

/** The single signing key file in a cryptogen keystore. */
export function keystoreKey(mspDir: string): string {
  const dir = join(mspDir, 'keystore');
  const [file] = readdirSync(dir);
  if (!file) throw new Error(`no key in ${dir}`);
  return join(dir, file);
}

export async function generateCrypto(bins: Binaries): Promise<boolean> {
  if (existsSync(join(paths.crypto, 'peerOrganizations'))) return false;
  mkdirSync(paths.config, { recursive: true });
  const configFile = join(paths.config, 'crypto-config.yaml');
  writeFileSync(configFile, cryptogenConfig(peersPerOrg()));
  await run(bins.paths.cryptogen, ['generate', `--config=${configFile}`, `--output=${paths.crypto}`]);
  await Promise.all(PEER_ORGS.map((org) => issueTlsServerCert(org, `ca.${org.domain}`)));
  return true;
}

/**
 * Issues a TLS server+client certificate from the org's TLS CA (valid for 127.0.0.1 and localhost).
 * Returns the directory holding server.crt, server.key and ca.crt.
 */
export async function issueTlsServerCert(
  org: PeerOrg,
  commonName: string,
  hostNames: readonly string[] = [],
): Promise<string> {
  return issueServerCertificate({
    caCert: cryptoPaths.tlsCaCert(org),
    caKey: cryptoPaths.tlsCaKey(org),
    dir: cryptoPaths.tlsServer(org, commonName),
    organization: org.domain,
    commonName,
    // netns topology: the server's host name and its org's host address (topology.ts; none in loopback).
    altNames: extraSans(org, hostNames),
  });
}

/**
 * Issues a TLS server+client certificate (P-256, ten years) signed by the CA given as files, for `commonName`,
 * localhost and 127.0.0.1, into `dir` as server.crt, server.key (0600, openssl's owner-only mode) and ca.crt.
 * An existing certificate there is kept (the same one across restarts).
 */
export async function issueServerCertificate(opts: {
  caCert: string;
  caKey: string;
  dir: string;
  organization: string;
  commonName: string;
  /** More names: IPv4 addresses become IP SANs, anything else DNS SANs. */
  altNames?: readonly string[];
}): Promise<string> {
  const { dir, commonName } = opts;
  if (existsSync(join(dir, 'server.crt'))) return dir;
  mkdirSync(dir, { recursive: true });
  await run('openssl', [
    'req',
    '-x509',
    '-CA',
    opts.caCert,
    '-CAkey',
    opts.caKey,
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'server.key'),
    '-out',
    join(dir, 'server.crt'),
    '-days',
    '3650',
    '-sha256',
    '-subj',
    `/O=${opts.organization}/CN=${commonName}`,
    '-addext',
    `subjectAltName=${[commonName, 'localhost', '127.0.0.1', ...(opts.altNames ?? [])]
      .filter((n, i, all) => all.indexOf(n) === i)
      .map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`))
      .join(',')}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature,keyAgreement',
    '-addext',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]).catch((e: unknown) => {
    throw new Error(`openssl (3.0 or newer) is needed to issue TLS certificates: ${String(e)}`);
  });
  copyFileSync(opts.caCert, join(dir, 'ca.crt'));
  return dir;
}
