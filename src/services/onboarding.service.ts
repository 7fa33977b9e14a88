import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import type { CustomerService } from "./customer.service";
import type { OrganizationService } from "./organization.service";

export class OnboardingService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly organizations: OrganizationService,
    private readonly customers: CustomerService,
  ) {}
}
