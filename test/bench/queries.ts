// The GraphQL documents the benchmark sends. The raw baselines answer the same documents, so
// their selections are spelled out here once, and raw/read-model.ts shapes rows in this order.

/** A customer with person (names, phones), addresses, documents, preferences and memberships. */
export const CUSTOMER_SELECTION = `id type status displayName email phone tags riskLevel version createdAt updatedAt
person { fullName gender dateOfBirth nationality firstName { name native } middleName { name } lastName { name native } telephoneNumbers { phoneType number purpose } }
addresses { id purpose isPrimary address { country city zipCode street streetNumber geoPosition { latitude longitude } } }
documents(first: 10) { totalCount nodes { id purpose documentType name status expiresAt } }
notificationPreferences { notificationType channel isEnabled }
memberships { managementMode active onboardedAt organization { id name } }`;

export const LIST = `query BenchList($first: Int!, $after: String) {
customers(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { ${CUSTOMER_SELECTION} } }
}`;

export const GET = `query BenchGet($id: ID!) {
customer(id: $id) { ${CUSTOMER_SELECTION} }
}`;

export const CREATE = `mutation BenchCreate($input: CreateCustomerInput!) {
createCustomer(input: $input) { customer { id displayName version createdAt addresses { id isPrimary } } userErrors { code field message } }
}`;

export const UPDATE = `mutation BenchUpdate($input: UpdateCustomerInput!) {
updateCustomer(input: $input) { customer { version } userErrors { code field message } }
}`;

export const SUBSCRIBE = `subscription BenchEvents($customerId: ID!) {
customerEvents(customerId: $customerId) { id type customerId changedFields occurredAt customer { id displayName nickname version } }
}`;

export type Operation = "list" | "get" | "create";

export const OPERATIONS: Record<Operation, string> = { list: LIST, get: GET, create: CREATE };

export function body(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables });
}
