import { Field, ID, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";
import { Customer } from "./customer.type";

@ObjectType({ simpleResolvers: true, description: "A customer that changed, as of now: its current state, or a tombstone once erased." })
export class CustomerChange {
  @Field(() => ID, { description: "The customer." })
  customerId!: string;
  @Field(() => Customer, { nullable: true, description: "The customer's current state (archived ones included); null once erased." })
  customer?: Customer | null;
  @Field(() => Boolean, { description: "Whether the customer's personal data was erased (a tombstone)." })
  erased!: boolean;
  @Field(() => DateTime, { description: "When its latest change in this page happened." })
  changedAt!: string;
}

@ObjectType({ simpleResolvers: true, description: "A page of changes, oldest first." })
export class CustomerChangeSet {
  @Field(() => [CustomerChange], { description: "Customers changed since the cursor, each once per page, in the order of their last change." })
  items!: CustomerChange[];
  @Field(() => String, { description: "The cursor to pass as `since` next time (also when hasMore is false, to continue later)." })
  next!: string;
  @Field(() => Boolean, { description: "Whether more changes are waiting: fetch again with `next` until false." })
  hasMore!: boolean;
}
