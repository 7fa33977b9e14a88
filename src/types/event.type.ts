import { Field, ID, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";
import { connectionTypes, Node } from "./common.types";
import { Channel, CustomerEventType } from "./enums";

@ObjectType({ implements: Node, simpleResolvers: true, description: "Something that happened to a customer. Events are never changed or deleted." })
export class CustomerEvent extends Node {
  @Field(() => CustomerEventType, { description: "What happened." })
  type!: CustomerEventType;

  @Field(() => ID, { description: "The customer it happened to." })
  customerId!: string;

  @Field(() => [String], { description: "Names of the fields that changed, e.g. [\"email\", \"person.lastName\"]. Secret fields appear by name only." })
  changedFields!: string[];

  @Field(() => String, { description: "Who made the change." })
  actor!: string;

  @Field(() => Channel, { description: "Through which channel the change was made." })
  via!: Channel;

  @Field(() => DateTime, { description: "When it happened." })
  occurredAt!: string;
}

export const { Connection: CustomerEventConnection, Edge: CustomerEventEdge } = connectionTypes(
  CustomerEvent,
  "CustomerEvent",
  "customer event",
);
