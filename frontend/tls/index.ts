export {
  TlsConfigSchema,
  CertificatePairSchema,
  type TlsConfig,
  type TlsInput,
  type CertificatePair,
} from "./config.js";
export { loadTlsServerOptions } from "./server-options.js";
export { matchServerName } from "./server-names.js";
export { TlsConfigError, TlsErrorCode } from "./errors.js";
