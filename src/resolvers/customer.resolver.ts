import { Authorized, Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from "type-graphql";
import type { CustomerRow } from "../db/schema";
import { findByExternalReference, listCustomers } from "../services/customer.query";
import { CustomerDocumentsArgs, CustomerEventsArgs, CustomersArgs } from "../types/args";
import { CreateCustomerInput, SetNotificationPreferencesInput, UpdateCustomerInput } from "../types/customer.input";
import { Company, Customer, CustomerConnection, Person, Verification, Wallet } from "../types/customer.type";
import { CustomerAddress } from "../types/address.type";
import { DocumentConnection, NotificationPreference } from "../types/document.type";
import { CustomerEventConnection } from "../types/event.type";
import { Membership } from "../types/membership.type";
import { CreateCustomerPayload, CustomerPayload, UpdateCustomerPayload } from "../types/payloads";
import type { Context } from "./context";
import { payload } from "./mutation";

export function verificationOf(row: CustomerRow): Verification {
  return {
    status: row.verificationStatus,
    level: row.verificationLevel,
    url: row.verificationUrl,
    updatedAt: row.verificationUpdatedAt,
  };
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Authorized("customers:read")
  @Query(() => Customer, { nullable: true, description: "A customer by id; null when there is none." })
  customer(@Arg("id", () => ID, { description: "The customer's id (cus_...)." }) id: string, @Ctx() ctx: Context) {
    return ctx.loaders.customer.load(id);
  }

  @Authorized("customers:read")

  @Query(() => Customer, { nullable: true, description: "A customer by the caller's own reference for it." })
  customerByExternalReference(
    @Arg("externalReference", () => String, { description: "The reference given at creation." }) externalReference: string,
    @Arg("organizationId", () => ID, { nullable: true, description: "Organization whose reference it is; default: the caller's." })
    organizationId: string | null | undefined,
    @Ctx() ctx: Context,
  ) {
    return findByExternalReference(ctx.db.read, externalReference, organizationId ?? ctx.actor.organizationId, ctx.access);
  }

  @Authorized("customers:read")

  @Query(() => CustomerConnection, { description: "Customers, filtered, searched, sorted and paginated." })
  customers(@Args(() => CustomersArgs) args: CustomersArgs, @Ctx() ctx: Context) {
    return listCustomers(ctx.db.read, args, ctx.access);
  }

  @Authorized("customers:write")

  @Mutation(() => CreateCustomerPayload, { description: "Creates a person or company customer with everything attached to it, in one transaction." })
  createCustomer(@Arg("input", () => CreateCustomerInput, { description: "The new customer." }) input: CreateCustomerInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => {
      const customer = await ctx.services.customers.create(ctx.actor, input);
      return { customer, verification: verificationOf(customer) };
    });
  }

  @Authorized("customers:write")

  @Mutation(() => UpdateCustomerPayload, { description: "Changes a customer's profile. NO_CHANGES when nothing differs; VERSION_CONFLICT when `expectedVersion` is stale." })
  updateCustomer(@Arg("input", () => UpdateCustomerInput, { description: "The changes." }) input: UpdateCustomerInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.customers.update(ctx.actor, input) }));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Sets some of a customer's notification preferences." })
  setNotificationPreferences(
    @Arg("input", () => SetNotificationPreferencesInput, { description: "The preferences." }) input: SetNotificationPreferencesInput,
    @Ctx() ctx: Context,
  ) {
    return payload(ctx, async () => ({ customer: await ctx.services.customers.setNotificationPreferences(ctx.actor, input) }));
  }

  @FieldResolver(() => Person, { nullable: true, description: "Person profile: set for PERSON customers, or the contact person of a company." })
  person(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.person.load(customer.id);
  }

  @FieldResolver(() => Company, { nullable: true, description: "Company profile; set for ORGANIZATION customers." })
  company(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.company.load(customer.id);
  }

  @FieldResolver(() => [CustomerAddress], { description: "Addresses, oldest first." })
  addresses(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.addresses.load(customer.id);
  }

  @FieldResolver(() => DocumentConnection, { description: "Documents, oldest first." })
  documents(@Root() customer: CustomerRow, @Args(() => CustomerDocumentsArgs) args: CustomerDocumentsArgs, @Ctx() ctx: Context) {
    return ctx.loaders.documents.load({ parentId: customer.id, args: { ...args } });
  }

  @FieldResolver(() => [NotificationPreference], { description: "Notification preferences that were set." })
  notificationPreferences(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.notificationPreferences.load(customer.id);
  }

  @FieldResolver(() => Verification, { description: "Identity verification state." })
  verification(@Root() customer: CustomerRow) {
    return verificationOf(customer);
  }

  @FieldResolver(() => [Wallet], { description: "Linked blockchain wallets." })
  wallets(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.wallets.load(customer.id);
  }

  @FieldResolver(() => [Membership], { description: "Organizations the customer is onboarded to, with management mode." })
  memberships(@Root() customer: CustomerRow, @Ctx() ctx: Context) {
    return ctx.loaders.memberships.load(customer.id);
  }

  @FieldResolver(() => CustomerEventConnection, { description: "What happened to the customer, oldest first (use `last` for the latest)." })
  events(@Root() customer: CustomerRow, @Args(() => CustomerEventsArgs) args: CustomerEventsArgs, @Ctx() ctx: Context) {
    return ctx.loaders.events.load({ parentId: customer.id, args: { ...args } });
  }
}
