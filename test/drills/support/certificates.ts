/**
 * What cert-manager would put in a TLS Secret at each site, made with openssl for a drill: one CA for
 * the province and, per site, a certificate naming that site's addresses (IP SANs) or names (DNS SANs). Files use the
 * Secret's key names (`tls.crt`, `tls.key`, `ca.crt`), as a pod sees the mounted Secret. Keys are
 * unencrypted PKCS#8 (P-256), valid for two days, and live in the drill's scratch directory only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TLS_SECRET_KEYS } from '../../../model/middleware-model';
import type { Site } from '../../../model/topology';

export interface SiteCertificates {
  /** Directory holding `tls.crt`, `tls.key` and `ca.crt` of one site (the mounted Secret). */
  readonly dir: string;
  readonly certificate: string;
  readonly key: string;
  readonly ca: string;
}

function openssl(cwd: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A province CA and one certificate per site for `addresses[site]` (IP addresses or DNS names), under `dir/<name>/`. */
export function issueSiteCertificates(dir: string, name: string, addresses: Readonly<Record<Site, readonly string[]>>): Record<Site, SiteCertificates> {
  const root = join(dir, name);
  const caDir = join(root, 'ca');
  mkdirSync(caDir, { recursive: true });
  openssl(caDir, 'req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', `/CN=${name} drill CA`);
  const issue = (site: Site): SiteCertificates => {
    const siteDir = join(root, site.toLowerCase());
    mkdirSync(siteDir, { recursive: true });
    writeFileSync(join(siteDir, 'san.ext'), `subjectAltName=${addresses[site].map((a) => (/^[\d.]+$|:/.test(a) ? `IP:${a}` : `DNS:${a}`)).join(',')}\n`);
    openssl(siteDir, 'req', ...EC, '-keyout', TLS_SECRET_KEYS.key, '-out', 'tls.csr', '-subj', `/CN=${name} site ${site}`);
    openssl(siteDir, 'x509', '-req', '-in', 'tls.csr', '-CA', join(caDir, 'ca.crt'), '-CAkey', join(caDir, 'ca.key'), '-CAcreateserial', '-out', TLS_SECRET_KEYS.certificate, '-days', '2', '-extfile', 'san.ext');
    execFileSync('cp', [join(caDir, 'ca.crt'), join(siteDir, TLS_SECRET_KEYS.ca)]);
    return { dir: siteDir, certificate: join(siteDir, TLS_SECRET_KEYS.certificate), key: join(siteDir, TLS_SECRET_KEYS.key), ca: join(siteDir, TLS_SECRET_KEYS.ca) };
  };
  return { A: issue('A'), B: issue('B') };
}
