/**
 * The `code` Node puts on an error when a peer's certificate does not verify: OpenSSL's
 * X509_V_ERR_* names as Node reports them (every one Node maps, except OUT_OF_MEM, which says
 * nothing about the certificate), plus Node's own host name check. One list for every client (HTTP,
 * PostgreSQL, Redis), so a revoked or mismatched certificate is the same non-retryable
 * TlsVerificationError whichever target presented it: retrying cannot make a certificate verify.
 */
export const CERTIFICATE_ERROR_CODES: ReadonlySet<string> = new Set([
  // The chain cannot be built to a trusted CA.
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  // A certificate in the chain is broken, out of its validity period or revoked.
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
  'CERT_SIGNATURE_FAILURE',
  'CERT_NOT_YET_VALID',
  'CERT_HAS_EXPIRED',
  'ERROR_IN_CERT_NOT_BEFORE_FIELD',
  'ERROR_IN_CERT_NOT_AFTER_FIELD',
  'CERT_REVOKED',
  // Revocation lists, when a CRL is configured.
  'UNABLE_TO_GET_CRL',
  'UNABLE_TO_DECRYPT_CRL_SIGNATURE',
  'CRL_SIGNATURE_FAILURE',
  'CRL_NOT_YET_VALID',
  'CRL_HAS_EXPIRED',
  'ERROR_IN_CRL_LAST_UPDATE_FIELD',
  'ERROR_IN_CRL_NEXT_UPDATE_FIELD',
  // The certificate is valid but not for the host we asked for.
  'HOSTNAME_MISMATCH',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Whether an error `code` (any value: errors carry what they like) means the certificate did not verify. */
export function isCertificateError(code: unknown): boolean {
  return typeof code === 'string' && CERTIFICATE_ERROR_CODES.has(code);
}
