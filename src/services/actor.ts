import type { Access } from "../auth/principal";
import type { Channel } from "../types/enums";

/** Who is acting, recorded in audit fields and events. */
export interface Actor {
  /** Recorded as createdBy/updatedBy and the event's actor. */
  name: string;
  via: Channel;
  /** The caller's own organization, the default for new customers; null until one exists. */
  organizationId: string | null;
  /** What the caller may see; absent for the system itself (seeding, sweeps, provider reports). */
  access?: Access;
}
