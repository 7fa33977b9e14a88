import { ApiKeyService } from "../auth/api-keys";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { EventBus } from "../events/pubsub";
import { CustomerService } from "./customer.service";
import { LifecycleService } from "./lifecycle.service";
import type { Links } from "./links";
import type { Notifier } from "./notifier";
import { OnboardingService } from "./onboarding.service";
import { OrganizationService } from "./organization.service";
import { TwoFactorService } from "./two-factor.service";
import { VerificationService } from "./verification.service";
import { WalletService } from "./wallet.service";
import { WebhookService } from "./webhook.service";

export function createServices(db: Database, bus: EventBus, config: Config, links: Links, notifier: Notifier) {
  const organizations = new OrganizationService(db);
  const verification = new VerificationService(db, bus, config, links);
  const customers = new CustomerService(db, bus, organizations, verification);
  return {
    apiKeys: new ApiKeyService(db),
    organizations,
    verification,
    customers,
    lifecycle: new LifecycleService(db, bus),
    onboarding: new OnboardingService(db, bus, organizations, customers),
    wallets: new WalletService(db, bus, config),
    twoFactor: new TwoFactorService(db, bus, config, notifier),
    webhooks: new WebhookService(db, bus, config),
  };
}

export type Services = ReturnType<typeof createServices>;
