// Onboarding a customer to a partner organization (AvePoint): link an existing customer, or
// register a new one, and report one of the seven onboarding statuses.
import { and, eq, isNull, or } from "drizzle-orm";
import { z } from "zod";
import type { Database, Db } from "../db/client";
import { first } from "../db/query";
import { customers, memberships, organizations, type CustomerRow, type OrganizationRow } from "../db/schema";
import { recordEvent } from "../events/event-log";
import type { EventBus } from "../events/pubsub";
import { now } from "../lib/clock";
import type { OnboardStatus } from "../types/enums";
import type { Actor } from "./actor";
import { assertModifiable, changeCustomers, findCustomer, touchCustomer } from "./customer-tx";
import type { CustomerService } from "./customer.service";
import { UserErrors, type UserErrorData } from "./errors";
import type { OrganizationService } from "./organization.service";
import { country, email, optionalText, parseInput, phone, tags, type CreateCustomerData } from "./validation";

export interface OnboardResult {
  status: OnboardStatus;
  customer: CustomerRow | null;
  userErrors: UserErrorData[];
}

const onboardSchema = z.object({
  organizationId: z.string().nullish(),
  customerId: z.string().nullish(),
  firstName: optionalText(100),
  lastName: optionalText(100),
  organizationName: optionalText(200),
  registrationAccount: email.nullish(),
  countryCode: country.nullish(),
  telephoneNumber: phone.nullish(),
  dataCenter: z.string().nullish(),
  password: z.string().min(8, { error: "must be at least 8 characters" }).max(200, { error: "must be at most 200 characters" }).nullish(),
  tags: tags.nullish(),
  managementMode: z.boolean().nullish(),
});
type OnboardData = z.infer<typeof onboardSchema>;

/** Ends an onboarding early with a status; thrown inside the transaction, so nothing is written. */
class Outcome extends Error {
  constructor(
    readonly status: OnboardStatus,
    readonly userErrors: UserErrorData[] = [],
    readonly customer: CustomerRow | null = null,
  ) {
    super(status);
  }
}

// Where the fields of a registration policy live in the onboarding input.
const POLICY_PATHS: Record<string, string[]> = {
  email: ["registrationAccount"],
  phone: ["telephoneNumber"],
  "person.password": ["password"],
  "person.lastName": ["lastName"],
  "person.nationality": ["countryCode"],
  addresses: ["countryCode"],
};

const sameName = (a: string | null | undefined, b: string | null | undefined) =>
  Boolean(a && b && a.trim().toLowerCase() === b.trim().toLowerCase());

/** The customer is the partner itself: a company with the partner's name or legal name. */
function isPartner(partner: OrganizationRow, companyName: string | null | undefined): boolean {
  return sameName(companyName, partner.name) || sameName(companyName, partner.legalName);
}

export class OnboardingService {
  constructor(
    private readonly db: Database,
    private readonly bus: EventBus,
    private readonly organizations: OrganizationService,
    private readonly customers: CustomerService,
  ) {}

  async onboard(actor: Actor, input: unknown): Promise<OnboardResult> {
    try {
      const data = parseInput(onboardSchema, input);
      const secrets = await this.customers.prepareSecrets({ password: data.password });
      const customer = await changeCustomers(this.db, this.bus, async (tx, events) => {
        const partner = await this.partner(tx, actor, data.organizationId);
        return data.customerId
          ? this.linkExisting(tx, actor, partner, data, data.customerId, events)
          : this.registerNew(tx, actor, partner, data, secrets, events);
      });
      return { status: "SUCCESSFUL", customer, userErrors: [] };
    } catch (error) {
      if (error instanceof Outcome) return { status: error.status, customer: error.customer, userErrors: error.userErrors };
      if (error instanceof UserErrors) return { status: "FAILED", customer: null, userErrors: error.errors };
      throw error;
    }
  }

  private async partner(tx: Db, actor: Actor, organizationId: string | null | undefined): Promise<OrganizationRow> {
    const id = await this.organizations.resolveOwner(tx, actor, organizationId);
    return (await first(tx.select().from(organizations).where(eq(organizations.id, id))))!;
  }

  private async linkExisting(
    tx: Db,
    actor: Actor,
    partner: OrganizationRow,
    data: OnboardData,
    customerId: string,
    events: Parameters<typeof touchCustomer>[4],
  ): Promise<CustomerRow> {
    let customer: CustomerRow;
    try {
      customer = await findCustomer(tx, customerId, ["customerId"], actor.access);
    } catch (error) {
      if (error instanceof UserErrors) throw new Outcome("CUSTOMER_NOT_FOUND", error.errors);
      throw error;
    }
    const company = await this.customers.companyOf(tx, customer.id);
    if (customer.type === "ORGANIZATION" && isPartner(partner, company?.legalName)) {
      throw new Outcome("SAME_AS_PARTNER", [
        { code: "INVALID", field: ["customerId"], message: `Customer ${customer.id} is ${partner.name} itself.` },
      ]);
    }
    const existing = await first(
      tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.customerId, customer.id), eq(memberships.organizationId, partner.id))),
    );
    if (existing) {
      throw new Outcome(
        "ALREADY_MANAGED_BY_PARTNER",
        [{ code: "DUPLICATE", field: ["customerId"], message: `Customer ${customer.id} is already onboarded to ${partner.id}.` }],
        customer,
      );
    }
    assertModifiable(customer, ["customerId"]);
    await tx.insert(memberships).values({
      customerId: customer.id,
      organizationId: partner.id,
      managementMode: data.managementMode ?? false,
      tags: data.tags ?? [],
      onboardedAt: now(),
      active: true,
    });
    return touchCustomer(tx, actor, customer, { type: "ONBOARDED", changedFields: ["memberships"] }, events);
  }

  private async registerNew(
    tx: Db,
    actor: Actor,
    partner: OrganizationRow,
    data: OnboardData,
    secrets: Awaited<ReturnType<CustomerService["prepareSecrets"]>>,
    events: Parameters<typeof touchCustomer>[4],
  ): Promise<CustomerRow> {
    const missing: UserErrorData[] = [];
    if (!data.firstName) missing.push({ code: "INVALID", field: ["firstName"], message: "firstName is required to register a customer." });
    if (!data.registrationAccount) {
      missing.push({ code: "INVALID", field: ["registrationAccount"], message: "registrationAccount is required to register a customer." });
    }
    if (missing.length > 0) throw new UserErrors(missing);
    const account = data.registrationAccount!;

    if (isPartner(partner, data.organizationName)) {
      throw new Outcome("SAME_AS_PARTNER", [
        { code: "INVALID", field: ["organizationName"], message: `${data.organizationName} is the partner organization itself.` },
      ]);
    }
    const taken = await first(
      tx
        .select({ id: customers.id })
        .from(customers)
        .where(and(isNull(customers.erasedAt), or(eq(customers.registrationAccount, account), eq(customers.email, account)))),
    );
    if (taken) {
      throw new Outcome("ALREADY_EXISTS", [
        { code: "DUPLICATE", field: ["registrationAccount"], message: `${account} already belongs to another customer.` },
      ]);
    }

    const isCompany = Boolean(data.organizationName);
    const create: CreateCustomerData = {
      type: isCompany ? "ORGANIZATION" : "PERSON",
      organizationId: partner.id,
      email: account,
      phone: data.telephoneNumber ?? null,
      tags: data.tags ?? [],
      person: {
        firstName: { name: data.firstName! },
        lastName: data.lastName ? { name: data.lastName } : null,
        nationality: isCompany ? null : (data.countryCode ?? null),
        password: data.password ?? null,
      },
      company: isCompany ? { legalName: data.organizationName!, countryCode: data.countryCode ?? null } : null,
    };
    let customer: CustomerRow;
    try {
      customer = await this.customers.createInTx(tx, actor, create, secrets, events, {
        changedFields: Object.entries(data)
          .filter(([k, v]) => v != null && !["organizationId", "managementMode", "dataCenter"].includes(k))
          .map(([k]) => k),
        membership: { managementMode: data.managementMode ?? false, tags: data.tags ?? [] },
        registrationAccount: account,
        dataCenter: data.dataCenter ?? null,
      });
    } catch (error) {
      if (error instanceof UserErrors && error.errors.every((e) => e.code === "REQUIRED_BY_POLICY")) {
        throw new Outcome(
          "REGISTRATION_FAILED",
          error.errors.map((e) => ({ ...e, field: POLICY_PATHS[(e.field ?? []).join(".")] ?? e.field })),
        );
      }
      throw error;
    }
    events.push(
      await recordEvent(tx, actor, { type: "ONBOARDED", customerId: customer.id, organizationId: partner.id, changedFields: ["memberships"] }),
    );
    return customer;
  }
}
