export { bearerChallenge, type BearerChallenge } from './challenge.js';
export {
  PROTECTED_RESOURCE_WELL_KNOWN,
  protectedResourceMetadata,
  protectedResourceMetadataUrl,
  type ProtectedResourceMetadata,
  type ProtectedResourceOptions,
} from './resource-metadata.js';
export {
  McpBearerAuth,
  type McpAuthInfo,
  type McpAuthOutcome,
  type McpBearerAuthOptions,
} from './bearer-auth.js';
