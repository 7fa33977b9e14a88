import { Resolver } from "type-graphql";

@Resolver()
export class TwoFactorResolver {}
