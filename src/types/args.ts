import { ArgsType, Field, ID, Int } from "type-graphql";
import { CustomerFilter, CustomerOrder } from "./customer.input";
import { CustomerEventType, DocumentStatus } from "./enums";

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { nullable: true, description: "Items after `after`, at most 100 (default 20)." })
  first?: number | null;
  @Field(() => String, { nullable: true, description: "Cursor to start after." })
  after?: string | null;
  @Field(() => Int, { nullable: true, description: "Items before `before`, at most 100." })
  last?: number | null;
  @Field(() => String, { nullable: true, description: "Cursor to end before." })
  before?: string | null;
}

@ArgsType()
export class OrganizationCustomersArgs extends ConnectionArgs {
  @Field(() => CustomerFilter, { nullable: true, description: "Which customers." })
  filter?: CustomerFilter | null;
  @Field(() => CustomerOrder, { nullable: true, description: "Sort order; default CREATED_AT ascending." })
  orderBy?: CustomerOrder | null;
}

@ArgsType()
export class CustomersArgs extends OrganizationCustomersArgs {
  @Field(() => String, { nullable: true, description: "Text to find in names, emails, phones, company names and external references; case-insensitive." })
  search?: string | null;
}

@ArgsType()
export class CustomerDocumentsArgs extends ConnectionArgs {
  @Field(() => DocumentStatus, { nullable: true, description: "Only documents in this status." })
  status?: DocumentStatus | null;
}

@ArgsType()
export class CustomerEventsArgs extends ConnectionArgs {
  @Field(() => [CustomerEventType], { nullable: true, description: "Only events of these types." })
  types?: CustomerEventType[] | null;
}

@ArgsType()
export class CustomerEventsSubscriptionArgs {
  @Field(() => ID, { nullable: true, description: "Only events of this customer." })
  customerId?: string | null;
  @Field(() => ID, { nullable: true, description: "Only events of customers of this organization." })
  organizationId?: string | null;
  @Field(() => [CustomerEventType], { nullable: true, description: "Only events of these types." })
  types?: CustomerEventType[] | null;
  @Field(() => ID, { nullable: true, description: "Replay events after this event id first, then continue live." })
  after?: string | null;
}
