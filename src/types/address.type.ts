import { Field, Float, ObjectType } from "type-graphql";
import { GraphQLLatitude, GraphQLLongitude } from "graphql-scalars";
import { CountryCode } from "./scalars";
import { NamedValue, Node } from "./common.types";

@ObjectType({ simpleResolvers: true, description: "A point on Earth (WGS 84)." })
export class GeoPosition {
  @Field(() => GraphQLLatitude, { description: "Latitude in decimal degrees." })
  latitude!: number;

  @Field(() => GraphQLLongitude, { description: "Longitude in decimal degrees." })
  longitude!: number;

  @Field(() => Float, { nullable: true, description: "Altitude in metres above sea level." })
  altitude!: number | null;
}

@ObjectType({ simpleResolvers: true, description: "A three-word address (what3words style)." })
export class AlternativeAddress {
  @Field(() => String, { description: "First word." })
  word1!: string;

  @Field(() => String, { description: "Second word." })
  word2!: string;

  @Field(() => String, { description: "Third word." })
  word3!: string;
}

@ObjectType({ simpleResolvers: true, description: "Another address this one relates to." })
export class RelatedAddress {
  @Field(() => String, { description: "How the addresses relate, e.g. \"billing\" or \"previous\"." })
  relationType!: string;

  @Field(() => String, { description: "The related address, as text." })
  address!: string;
}

@ObjectType({ simpleResolvers: true, description: "A postal address, structured as the reference APIs model it." })
export class Address {
  @Field(() => CountryCode, { description: "Country (ISO 3166-1 alpha-2)." })
  country!: string;

  @Field(() => String, { nullable: true, description: "State, province, county or other region." })
  area!: string | null;

  @Field(() => String, { nullable: true, description: "Postal code." })
  zipCode!: string | null;

  @Field(() => String, { nullable: true, description: "City or town." })
  city!: string | null;

  @Field(() => String, { nullable: true, description: "Street name." })
  street!: string | null;

  @Field(() => [String], { description: "House numbers, in order (some addresses have several)." })
  streetNumber!: string[];

  @Field(() => String, { nullable: true, description: "Building name or number." })
  building!: string | null;

  @Field(() => String, { nullable: true, description: "Apartment." })
  apartment!: string | null;

  @Field(() => String, { nullable: true, description: "Entrance." })
  entrance!: string | null;

  @Field(() => String, { nullable: true, description: "Floor." })
  floor!: string | null;

  @Field(() => String, { nullable: true, description: "Door number." })
  doorNumber!: string | null;

  @Field(() => GeoPosition, { nullable: true, description: "Geographic position." })
  geoPosition!: GeoPosition | null;

  @Field(() => AlternativeAddress, { nullable: true, description: "Three-word alternative address." })
  alternative!: AlternativeAddress | null;

  @Field(() => [RelatedAddress], { description: "Related addresses." })
  relatedTo!: RelatedAddress[];

  @Field(() => [NamedValue], { description: "Any further typed data about the address." })
  additionalData!: NamedValue[];
}

@ObjectType({ implements: Node, simpleResolvers: true, description: "An address of a customer, with its purpose." })
export class CustomerAddress extends Node {
  @Field(() => String, { description: "What the address is for, e.g. \"home\", \"billing\", \"registered\"." })
  purpose!: string;

  @Field(() => Boolean, { description: "Whether this is the customer's primary address. A customer has at most one." })
  isPrimary!: boolean;

  @Field(() => Address, { description: "The address itself." })
  address!: Address;
}
