import { Field, ID, InputType, ObjectType } from "type-graphql";
import { DateTime } from "./scalars";
import { UserError } from "./common.types";

@ObjectType({ simpleResolvers: true, description: "An API key: a bearer credential of one organization. Its secret is shown once, at creation." })
export class ApiKey {
  @Field(() => ID, { description: "Id (key_...); not the secret." })
  id!: string;
  @Field(() => String, { description: "What the key is for." })
  name!: string;
  @Field(() => [String], { description: "What the key may do: customers:read, customers:write, organizations:admin, webhooks:manage." })
  scopes!: string[];
  @Field(() => [String], { description: "When not empty, the key sees only customers with one of these tags." })
  tags!: string[];
  @Field(() => String, { description: "The first characters of the secret, to recognise the key." })
  prefix!: string;
  @Field(() => DateTime, { description: "When the key was created." })
  createdAt!: string;
  @Field(() => DateTime, { nullable: true, description: "When the key stops working." })
  expiresAt!: string | null;
  @Field(() => DateTime, { nullable: true, description: "When the key was revoked." })
  revokedAt!: string | null;
  @Field(() => DateTime, { nullable: true, description: "When the key was last used (to the minute)." })
  lastUsedAt!: string | null;

  // Resolved to `organization` by ApiKeyResolver.
  organizationId!: string;
}

@InputType({ description: "A new API key." })
export class CreateApiKeyInput {
  @Field(() => ID, { description: "The organization the key acts for." })
  organizationId!: string;
  @Field(() => String, { description: "What the key is for." })
  name!: string;
  @Field(() => [String], { description: "Scopes: customers:read, customers:write, organizations:admin, webhooks:manage (no more than the caller's own)." })
  scopes!: string[];
  @Field(() => [String], { nullable: true, description: "Restrict the key to customers with one of these tags." })
  tags?: string[] | null;
  @Field(() => DateTime, { nullable: true, description: "When the key stops working." })
  expiresAt?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "Result of createApiKey." })
export class CreateApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: "The new key." })
  apiKey?: ApiKey | null;
  @Field(() => String, { nullable: true, description: "The secret (ck_...): shown this once, stored only as a hash. Send it as `Authorization: Bearer <secret>`." })
  secret?: string | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, no key was created." })
  userErrors!: UserError[];
}

@ObjectType({ simpleResolvers: true, description: "Result of revokeApiKey." })
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: "The revoked key." })
  apiKey?: ApiKey | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, nothing changed." })
  userErrors!: UserError[];
}

