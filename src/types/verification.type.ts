// KYC verification: the review decision on a document, and startVerification's result.
import { Field, ID, InputType, ObjectType } from "type-graphql";
import { UserError } from "./common.types";
import { Customer, Verification } from "./customer.type";
import { DocumentStatus } from "./enums";

@InputType({ description: "A reviewer's decision on a document." })
export class ReviewDocumentInput {
  @Field(() => ID, { description: "The document (doc_...)." })
  documentId!: string;
  @Field(() => DocumentStatus, {
    description: "The decision: VERIFIED, REJECTED or UNDER_VERIFICATION. PENDING and EXPIRED are not decisions (INVALID).",
  })
  status!: DocumentStatus;
  @Field(() => String, {
    nullable: true,
    description: "The answer shown to the customer (up to 1000 characters); required to reject. Replaces the previous one; left out clears it.",
  })
  verificationResponse?: string | null;
}

@ObjectType({ simpleResolvers: true, description: "Result of startVerification." })
export class VerificationPayload {
  @Field(() => Verification, { nullable: true, description: "The customer's verification, with the new session's URL." })
  verification?: Verification | null;
  @Field(() => Customer, { nullable: true, description: "The customer after the change." })
  customer?: Customer | null;
  @Field(() => [UserError], { description: "Expected failures; when not empty, the mutation changed nothing." })
  userErrors!: UserError[];
}
