import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { CustomerIdInput } from "../types/customer.input";
import { DeactivateCustomerInput, EraseCustomerPayload, OnboardCustomerInput, OnboardCustomerPayload } from "../types/lifecycle.type";
import { CustomerPayload } from "../types/payloads";
import type { Context } from "./context";
import { payload } from "./mutation";

@Resolver()
export class LifecycleResolver {
  @Authorized("customers:write")
  @Mutation(() => OnboardCustomerPayload, { description: "Onboards an existing or new customer to a partner organization (AvePoint)." })
  onboardCustomer(@Arg("input", () => OnboardCustomerInput, { description: "Whom to onboard, and where." }) input: OnboardCustomerInput, @Ctx() ctx: Context) {
    return payload(ctx, () => ctx.services.onboarding.onboard(ctx.actor, input));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Deactivates a NEW or ACTIVE customer, and with it its wallets, memberships and open challenges." })
  deactivateCustomer(@Arg("input", () => DeactivateCustomerInput, { description: "The customer and the reason." }) input: DeactivateCustomerInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.lifecycle.deactivate(ctx.actor, input) }));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Reactivates a DEACTIVATED customer: it gets back the status it had and everything deactivation switched off." })
  reactivateCustomer(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.lifecycle.reactivate(ctx.actor, input.id) }));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Archives a customer (soft delete): hidden from lists unless includeArchived, unchangeable until restored." })
  archiveCustomer(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.lifecycle.archive(ctx.actor, input.id) }));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerPayload, { description: "Restores an archived customer to the status it had." })
  restoreCustomer(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ customer: await ctx.services.lifecycle.restore(ctx.actor, input.id) }));
  }

  @Authorized("customers:write")

  @Mutation(() => EraseCustomerPayload, { description: "Erases a customer's personal data irreversibly (right to erasure). A tombstone with the id stays." })
  eraseCustomer(@Arg("input", () => CustomerIdInput, { description: "The customer." }) input: CustomerIdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => ({ erasedCustomerId: await ctx.services.lifecycle.erase(ctx.actor, input.id) }));
  }
}
