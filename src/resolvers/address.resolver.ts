import { Authorized, Arg, Ctx, Mutation, Resolver } from "type-graphql";
import { toCustomerAddress } from "../loaders";
import { AddCustomerAddressInput, IdInput, UpdateCustomerAddressInput } from "../types/customer.input";
import { CustomerAddressPayload } from "../types/payloads";
import type { CustomerAddressRow } from "../db/schema";
import type { Context } from "./context";
import { payload } from "./mutation";

async function withCustomer(ctx: Context, row: CustomerAddressRow) {
  return { customerAddress: toCustomerAddress(row), customer: await ctx.loaders.customer.load(row.customerId) };
}

@Resolver()
export class AddressResolver {
  @Authorized("customers:write")
  @Mutation(() => CustomerAddressPayload, { description: "Adds an address to a customer. The first address, or one with isPrimary, becomes primary." })
  addCustomerAddress(@Arg("input", () => AddCustomerAddressInput, { description: "The address." }) input: AddCustomerAddressInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => withCustomer(ctx, await ctx.services.customers.addAddress(ctx.actor, input)));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerAddressPayload, { description: "Changes a customer address." })
  updateCustomerAddress(@Arg("input", () => UpdateCustomerAddressInput, { description: "The changes." }) input: UpdateCustomerAddressInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => withCustomer(ctx, await ctx.services.customers.updateAddress(ctx.actor, input)));
  }

  @Authorized("customers:write")

  @Mutation(() => CustomerAddressPayload, { description: "Removes a customer address. If it was primary, the oldest remaining address becomes primary." })
  removeCustomerAddress(@Arg("input", () => IdInput, { description: "The address." }) input: IdInput, @Ctx() ctx: Context) {
    return payload(ctx, async () => withCustomer(ctx, await ctx.services.customers.removeAddress(ctx.actor, input.id)));
  }
}
