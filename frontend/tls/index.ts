export {
  TlsConfigSchema,
  CertificatePairSchema,
  type TlsConfig,
  type TlsInput,
  type CertificatePair,
} from "./config.js";
export { loadTlsServerOptions, loadTlsMaterial, type TlsMaterial } from "./server-options.js";
export { TlsCredentials } from "./credentials.js";
export { matchServerName } from "./server-names.js";
export { TlsConfigError, TlsErrorCode } from "./errors.js";
