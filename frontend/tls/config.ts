import { z } from "zod";

/** A certificate chain and its private key, as PEM file paths. */
export const CertificatePairSchema = z.strictObject({
  /** PEM private key file. */
  key: z.string().min(1),
  /** PEM certificate file: the leaf first, then intermediates. */
  cert: z.string().min(1),
  /** Passphrase of an encrypted key. */
  passphrase: z.string().optional(),
});

/**
 * A host name an SNI certificate is for: `example.com`, or `*.example.com` (one label, as in
 * certificates). Stored lower case.
 */
const ServerNameSchema = z
  .string()
  .regex(/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*$/i, "must be a host name or *.host.name")
  .transform((s) => s.toLowerCase());

/**
 * TLS for a listener: the default certificate, used when the client sends no SNI name or one
 * not listed, plus per-host certificates chosen by SNI.
 */
export const TlsConfigSchema = CertificatePairSchema.extend({
  /** PEM file of CA certificates that client certificates are checked against (optional). */
  ca: z.string().min(1).optional(),
  /** Per-host certificates, keyed by host name or `*.` wildcard. */
  sni: z.record(ServerNameSchema, CertificatePairSchema).default({}),
  /** Oldest protocol version accepted. */
  minVersion: z.enum(["TLSv1.2", "TLSv1.3"]).default("TLSv1.2"),
});

export type CertificatePair = z.output<typeof CertificatePairSchema>;
/** The config as written by a user (defaults not yet applied). */
export type TlsInput = z.input<typeof TlsConfigSchema>;
/** The config after validation: defaults applied. */
export type TlsConfig = z.output<typeof TlsConfigSchema>;
