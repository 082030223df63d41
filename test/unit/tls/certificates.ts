/** Self-signed EC certificates made at test time with the openssl CLI (no keys in the repo). */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

export interface GeneratedCertificate {
  key: string;
  cert: string;
}

export function makeCertificate(
  dir: string,
  commonName: string,
  dnsNames: string[] = [commonName],
): GeneratedCertificate {
  const base = join(dir, commonName.replace(/[^a-z0-9.-]/gi, "_"));
  const key = `${base}.key`;
  const cert = `${base}.crt`;
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      `/CN=${commonName}`,
      "-addext",
      `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}`,
    ],
    { stdio: "ignore" },
  );
  return { key, cert };
}
