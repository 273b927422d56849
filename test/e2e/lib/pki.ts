import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HarnessError } from './errors.ts';

const run = promisify(execFile);

/** A certificate and its private key, as PEM files. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** What a certificate is for: serving TLS on the given addresses, or authenticating a client. */
export type CertificateUse =
  | { readonly kind: 'server'; readonly ips: readonly string[]; readonly dnsNames: readonly string[] }
  | { readonly kind: 'client' };

/** A certificate to issue from the cluster CA. */
export interface CertificateRequest {
  /** File name stem: `<name>.crt` / `<name>.key`. */
  readonly name: string;
  /** Subject CN: the user name for a client certificate. */
  readonly commonName: string;
  /** Subject O entries: the groups for a client certificate. */
  readonly organizations?: readonly string[];
  readonly use: CertificateUse;
}

/**
 * A throw-away certificate authority in a folder, issuing short-lived ECDSA P-256 certificates with the
 * openssl CLI. Everything it writes lives in `dir` and is valid for two days.
 */
export class ClusterPki {
  readonly dir: string;
  readonly ca: KeyPair;

  private constructor(dir: string) {
    this.dir = dir;
    this.ca = { cert: join(dir, 'ca.crt'), key: join(dir, 'ca.key') };
  }

  /** Creates the folder and a self-signed CA in it. */
  static async create(dir: string): Promise<ClusterPki> {
    await mkdir(dir, { recursive: true });
    const pki = new ClusterPki(dir);
    await openssl(
      [
        'req',
        '-x509',
        ...newKeyArgs(pki.ca.key),
        '-out',
        pki.ca.cert,
        '-subj',
        '/CN=spillway-e2e-ca',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      ],
      'creating the cluster CA',
    );
    return pki;
  }

  /** Issues a certificate signed by the CA. */
  async issue(request: CertificateRequest): Promise<KeyPair> {
    const pair = { cert: join(this.dir, `${request.name}.crt`), key: join(this.dir, `${request.name}.key`) };
    const subject = [
      `/CN=${request.commonName}`,
      ...(request.organizations ?? []).map((o) => `/O=${o}`),
    ].join('');
    const extensions =
      request.use.kind === 'server'
        ? [
            'extendedKeyUsage=serverAuth',
            `subjectAltName=${[...request.use.ips.map((ip) => `IP:${ip}`), ...request.use.dnsNames.map((d) => `DNS:${d}`)].join(',')}`,
          ]
        : ['extendedKeyUsage=clientAuth'];
    await openssl(
      [
        'req',
        '-x509',
        ...newKeyArgs(pair.key),
        '-out',
        pair.cert,
        '-subj',
        subject,
        '-CA',
        this.ca.cert,
        '-CAkey',
        this.ca.key,
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'keyUsage=critical,digitalSignature',
        ...extensions.flatMap((e) => ['-addext', e]),
      ],
      `issuing certificate ${request.name} (CN=${request.commonName})`,
    );
    return pair;
  }

  /** Creates the key pair the API server signs ServiceAccount tokens with (`sa.key`, `sa.pub`). */
  async serviceAccountKeys(): Promise<{ readonly privateKey: string; readonly publicKey: string }> {
    const privateKey = join(this.dir, 'sa.key');
    const publicKey = join(this.dir, 'sa.pub');
    await openssl(
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', privateKey],
      'creating the service-account signing key',
    );
    await openssl(
      ['pkey', '-in', privateKey, '-pubout', '-out', publicKey],
      'writing the service-account public key',
    );
    return { privateKey, publicKey };
  }
}

function newKeyArgs(keyFile: string): string[] {
  return [
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-noenc',
    '-keyout',
    keyFile,
    '-days',
    '2',
  ];
}

async function openssl(args: readonly string[], what: string): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new HarnessError(`${what}: openssl ${args[0] ?? ''} failed: ${stderr.trim() || String(error)}`, {
      cause: error,
    });
  }
}
