// Public surface of the registry layer for the CLI and the language server.
export { createRegistryClient } from './client.ts';
export type { RegistryClient, RegistryClientOptions, ImageFactsOptions, CollectOptions, CredentialSource } from './client.ts';
export { parseReference, normalizeReference, normalizeRepository, formatReference, repositoryName, type ImageReference } from './reference.ts';
export { RegistryError, type RegistryErrorCode, type Logger, type LogLevel } from './errors.ts';
export { defaultCacheDir } from './cache.ts';
export { dockerConfigCredentials, type Credential } from './dockerConfig.ts';
export { createEngineSource, type EngineOptions, type EngineSource } from './engine.ts';
export { gatherFacts, type GatherSummary } from './gather.ts';
export { createPolicyFetcher, credentialHostsFromEnv, readCachedPolicy, type PolicyFetcher, type PolicyFetchOptions } from './policyFetch.ts';
