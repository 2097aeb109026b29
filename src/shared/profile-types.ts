// The data shape of a profile (YAML under src/profiles/*.yaml). Every fact cites its seed file.

export type Requirement = 'always' | 'recommended' | 'optional';
/** What a host is for; the verdict maps roles to checklist items and symptoms. */
export type HostRole = 'sign' | 'video' | 'media' | 'cobrowse' | 'ocsp' | 'pcc' | 'probe' | 'other';

export interface HttpPathSpec {
  path: string;
  /** Any HTTP status proves reachability (seed 000's curl check). */
  anyStatus?: boolean;
  source?: string;
}

export interface StreamPathSpec {
  path: string;
  source?: string;
}

export interface HostEntry {
  /** Resolved host name (parameters substituted). */
  host: string;
  role: HostRole;
  /** Hosts of one group are siblings for keyword-filter detection (e.g. the Upscope hosts). */
  group: string;
  required: Requirement;
  /** The wildcard this concrete host represents, e.g. "*.opentok.com". */
  wildcard?: string;
  source: string;
  tcp: number[];
  /** UDP ports listed by the seed for this host (media issue). */
  udp?: number[];
  tls: boolean;
  http: HttpPathSpec[];
  ws: StreamPathSpec[];
  sse: StreamPathSpec[];
  /** Hold long-lived connections idle on this host (conn.idle). */
  idle: boolean;
  /** The seed's IP ranges for this host's port set (opentok-2013), informational. */
  ipRanges?: string[];
  note?: string;
  /**
   * The host is the apex of a wildcard's zone (e.g. media.prod.tokbox.com for
   * *.media.prod.tokbox.com) with no known name under it: only the zone is checked (its SOA/NS
   * through the resolver), never an invented name (contract, "Two kinds of far end").
   */
  zone?: boolean;
  /**
   * netready picked this name itself (e.g. a seed's "*" expanded to 1..8): an authoritative
   * NXDOMAIN for it is not dns-blocked (contract).
   */
  chosen?: boolean;
  /** The document's protocol column for this destination, e.g. ["HTTPS", "WSS"] (allowlists). */
  services?: string[];
  /** The port of its web traffic when not the default (the probe's URL may name one). */
  webPort?: number;
  /** From a profile that describes an old document (its names may no longer exist). */
  historical?: boolean;
}

export interface ProfileParam {
  name: string;
  default: string | boolean;
  description: string;
  source?: string;
}

export interface PccSpec {
  host: string;
  ports: number[];
  certName: string;
  source: string;
}

export interface Profile {
  id: string;
  title: string;
  source: string;
  /** Profiles with media get a tier; others have tier null. */
  media: boolean;
  params: ProfileParam[];
  hosts: HostEntry[];
  pcc?: PccSpec;
  /** Set when the profile describes an old document (its host names may no longer exist). */
  historical?: string;
  /** Where this profile was loaded from (built-in id or file path). */
  origin: string;
}

/** The merged view of every profile given to one run. */
export interface ProfileSet {
  profiles: Profile[];
  /** Effective parameter values after defaults and --param / --sign-domain. */
  params: Record<string, string | boolean>;
  /** All hosts of all profiles, de-duplicated by host name (first wins, ports/paths merged). */
  hosts: HostEntry[];
  media: boolean;
  pcc?: PccSpec;
}
