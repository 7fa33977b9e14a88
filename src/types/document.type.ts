import { Field, ObjectType } from "type-graphql";
import { GraphQLURL } from "graphql-scalars";
import { DateTime, LocalDate } from "./scalars";
import { connectionTypes, NamedValue, Node } from "./common.types";
import { DocumentPurpose, DocumentStatus, DocumentType, NotificationChannel, NotificationType } from "./enums";

@ObjectType({ implements: Node, simpleResolvers: true, description: "A document a customer provided, such as a passport for KYC." })
export class Document extends Node {
  @Field(() => DocumentPurpose, { description: "What the document is for." })
  purpose!: DocumentPurpose;

  @Field(() => DocumentType, { description: "Kind of document." })
  documentType!: DocumentType;

  @Field(() => String, { description: "File name or title." })
  name!: string;

  @Field(() => GraphQLURL, { nullable: true, description: "Where the file is stored." })
  location!: string | null;

  @Field(() => DocumentStatus, { description: "Review state." })
  status!: DocumentStatus;

  @Field(() => String, { nullable: true, description: "The reviewer's or provider's answer, e.g. why it was rejected." })
  verificationResponse!: string | null;

  @Field(() => [NamedValue], { description: "Typed metadata, e.g. document number or issuing country." })
  metadata!: NamedValue[];

  @Field(() => LocalDate, { nullable: true, description: "Date the document expires." })
  expiresAt!: string | null;

  @Field(() => DateTime, { description: "When the document was added." })
  createdAt!: string;

  @Field(() => DateTime, { nullable: true, description: "When the document was last reviewed." })
  reviewedAt!: string | null;
}

export const { Connection: DocumentConnection, Edge: DocumentEdge } = connectionTypes(Document, "Document", "document");

@ObjectType({ simpleResolvers: true, description: "Whether a customer receives one kind of notification on one channel." })
export class NotificationPreference {
  @Field(() => NotificationType, { description: "Kind of notification." })
  notificationType!: NotificationType;

  @Field(() => NotificationChannel, { description: "Delivery channel." })
  channel!: NotificationChannel;

  @Field(() => Boolean, { description: "Whether the customer receives it." })
  isEnabled!: boolean;

  @Field(() => DateTime, { description: "When the preference was last set." })
  updatedAt!: string;
}
