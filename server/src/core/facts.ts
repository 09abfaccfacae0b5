// Facts about images that the registry layer (server/src/registry) or a cache hands to the engine.
// The engine never fetches; a missing fact means "unknown", never "fine".

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface LayerFact {
  digest: string;
  /** Compressed size in bytes, as the manifest states it. */
  size: number;
  mediaType: string;
}

export interface HistoryEntry {
  created?: string;
  createdBy?: string;
  emptyLayer: boolean;
  comment?: string;
}

export interface ImageConfigFact {
  digest: string;
  created?: string;
  labels: Record<string, string>;
  env: string[];
  history: HistoryEntry[];
  /** `config.User`; absent or empty means the image runs as root. */
  user?: string;
}

/** One single-platform image (a manifest), possibly one entry of an index. */
export interface ManifestFact {
  digest: string;
  mediaType: string;
  platform?: Platform;
  layers: LayerFact[];
  config?: ImageConfigFact;
  /** Sum of layer sizes (compressed). */
  totalSize: number;
  /** Absent means `compressed`; the local Docker Engine only knows uncompressed sizes. */
  sizeKind?: 'compressed' | 'uncompressed';
  /** Manifest annotations (OCI `org.opencontainers.image.*`), when the manifest has any. */
  annotations?: Record<string, string>;
}

export interface AttestationFact {
  /** The manifest the attestation describes. */
  subjectDigest: string;
  digest: string;
  /** In-toto predicate types found (SLSA provenance, SPDX SBOM, ...), when read. */
  predicateTypes: string[];
}

export interface ImageFacts {
  /** The normalised reference that was asked, e.g. `docker.io/library/node:20.11.1-alpine`. */
  reference: string;
  /** The digest the reference resolves to now: the index digest for multi-platform images. */
  digest?: string;
  mediaType?: string;
  /** For an index: its platform manifests. For a single manifest: one entry. */
  manifests: ManifestFact[];
  attestations: AttestationFact[];
  /** ISO time the facts were fetched; offline answers say how old they are. */
  fetchedAt: string;
  fromCache: boolean;
  /** Set when the lookup failed (not found, auth, network); facts are then partial. */
  error?: { code: string; message: string };
  /** Where the facts came from; absent means `registry`. */
  source?: 'registry' | 'engine';
  /** For `repo:tag@digest`: the digest the tag points to now (it may differ from the pin). */
  tagDigest?: string;
  /** For `source: 'engine'`: the local image ID (config digest). */
  imageId?: string;
}

export interface RepositoryFacts {
  /** `registry/repository` */
  repository: string;
  tags: string[];
  fetchedAt: string;
  fromCache: boolean;
  error?: { code: string; message: string };
  /** True when pagination stopped at the page limit, so `tags` is incomplete. */
  truncated?: boolean;
}

/** What the engine may be given about images. Keys are normalised references / repositories. */
export interface RegistryFacts {
  images: Map<string, ImageFacts>;
  repositories: Map<string, RepositoryFacts>;
  /** Whether a digest (by `repository@digest`) still exists, for stale/vanished pins. */
  digestExists?: Map<string, boolean>;
}
