import { Ctx, FieldResolver, Resolver, Root } from "type-graphql";
import type { PersonView } from "../loaders";
import { Person, SecretQuestion, TelephoneNumber } from "../types/customer.type";
import type { Context } from "./context";

@Resolver(() => Person)
export class PersonResolver {
  @FieldResolver(() => [TelephoneNumber], { description: "Telephone numbers, in the order given." })
  telephoneNumbers(@Root() person: PersonView, @Ctx() ctx: Context) {
    return ctx.loaders.telephoneNumbers.load(person.customerId);
  }

  @FieldResolver(() => [SecretQuestion], { description: "Security questions; answers are write-only." })
  secretQuestions(@Root() person: PersonView, @Ctx() ctx: Context) {
    return ctx.loaders.secretQuestions.load(person.customerId);
  }
}
