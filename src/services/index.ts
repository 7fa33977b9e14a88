import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import { CustomerService } from "./customer.service";
import { OrganizationService } from "./organization.service";

export function createServices(db: Database, bus: EventBus) {
  const organizations = new OrganizationService(db);
  return {
    organizations,
    customers: new CustomerService(db, bus, organizations),
  };
}

export type Services = ReturnType<typeof createServices>;
