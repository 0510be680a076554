/**
 * The Prometheus configuration generated from the org table (src/monitoring.ts): every gateway, peer, orderer and
 * CA is a target with the labels the alert rules use, each over HTTPS with its own CA; peers and orderers get a
 * client certificate (Fabric serves /metrics only to a verified client), CAs none; the port follows the offset.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ALERT_RULES_FILE, prometheusConfig, prometheusPort, targetCount } from '../src/monitoring.ts';
import { PEER_ORGS, caPorts, ordererIndexes, ordererPorts, peerPorts, peersPerOrg } from '../src/orgs.ts';

describe('Prometheus configuration', () => {
  const config = prometheusConfig();
  const targets = config.scrape_configs.flatMap((s) =>
    s.static_configs.flatMap((c) => c.targets.map((t) => ({ address: t, labels: c.labels, job: s }))),
  );
  const byJob = (job: string) => targets.filter((t) => t.labels.job === job);

  it('scrapes every gateway, peer, orderer and CA of the org table, once each', () => {
    assert.equal(byJob('gateway').length, PEER_ORGS.length);
    assert.equal(byJob('peer').length, PEER_ORGS.length * peersPerOrg());
    assert.equal(byJob('orderer').length, ordererIndexes().length);
    assert.equal(byJob('ca').length, PEER_ORGS.length);
    assert.equal(targetCount(config), targets.length);
    assert.equal(new Set(targets.map((t) => t.address)).size, targets.length, 'a target listed twice');
    assert.equal(
      new Set(targets.map((t) => t.labels.instance)).size,
      targets.length,
      'an instance name twice',
    );
    assert.equal(new Set(config.scrape_configs.map((s) => s.job_name)).size, config.scrape_configs.length);
  });

  it('uses the operations ports of orgs.ts and labels each target with its org', () => {
    for (const org of PEER_ORGS) {
      const peer = byJob('peer').find((t) => t.labels.org === org.id);
      assert.equal(peer?.address, `127.0.0.1:${peerPorts(org).operations}`);
      const ca = byJob('ca').find((t) => t.labels.org === org.id);
      assert.equal(ca?.address, `127.0.0.1:${caPorts(org).operations}`);
      assert.ok(
        byJob('gateway').some((t) => t.labels.org === org.id && t.address.endsWith(`:${org.gatewayPort}`)),
      );
    }
    for (const i of ordererIndexes())
      assert.ok(byJob('orderer').some((t) => t.address === `127.0.0.1:${ordererPorts(i).operations}`));
  });

  it('speaks TLS everywhere, with a client certificate for peers and orderers only', () => {
    for (const t of targets) {
      assert.equal(t.job.scheme, 'https', `${t.labels.instance} over plain HTTP`);
      assert.ok(t.job.tls_config.ca_file, `${t.labels.instance} without a CA`);
      const client = t.job.tls_config.cert_file !== undefined && t.job.tls_config.key_file !== undefined;
      assert.equal(
        client,
        t.labels.job === 'peer' || t.labels.job === 'orderer',
        `${t.labels.instance} client cert`,
      );
    }
    // The gateways trust the run's CA bundle (network/src/web-tls.ts); each org's peers their org's TLS CA.
    assert.match(byJob('gateway')[0]!.job.tls_config.ca_file, /tls\/ca-bundle\.pem$/);
    for (const org of PEER_ORGS)
      assert.ok(
        byJob('peer')
          .find((t) => t.labels.org === org.id)!
          .job.tls_config.ca_file.includes(`/peerOrganizations/${org.domain}/`),
      );
  });

  it('loads the alert rules and keeps the scrape timeout within the interval', () => {
    assert.deepEqual(config.rule_files, [ALERT_RULES_FILE]);
    const seconds = (d: string): number => Number(d.replace(/s$/, ''));
    assert.ok(seconds(config.global.scrape_timeout) <= seconds(config.global.scrape_interval));
    assert.equal(prometheusConfig({ scrapeInterval: '5s' }).global.scrape_interval, '5s');
  });

  it('listens on 9090 shifted by the port offset', () => {
    assert.equal(prometheusPort({}), 9090);
    assert.equal(prometheusPort({ COFFEE_PORT_OFFSET: '20000' }), 29090);
    assert.throws(() => prometheusPort({ COFFEE_PORT_OFFSET: '150' }));
  });
});
