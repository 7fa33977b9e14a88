// The operations the explorer opens with, one tab each: the main flows of the API, ready to run
// against the demo data. A test validates every document and its variables against schema.graphql.
export interface ExampleOperation {
  /** A GraphQL document; GraphiQL names the tab after its first operation. */
  query: string;
  variables: Record<string, unknown>;
}

const CUSTOMER_DETAILS = /* GraphQL */ `
fragment CustomerDetails on Customer {
  id
  type
  status
  displayName
  email
  phone
  tags
  externalReference
  riskLevel
  version
  person { fullName dateOfBirth nationality }
  company { legalName registrationNumber countryCode }
  addresses { id purpose isPrimary address { country city street streetNumber } }
  documents(first: 5) { totalCount nodes { id documentType status } }
  verification { status level url }
  memberships { organization { name } managementMode active }
  events(last: 5) { nodes { type changedFields actor occurredAt } }
}`;

export const EXAMPLE_OPERATIONS: ExampleOperation[] = [
  {
    query: /* GraphQL */ `# Customers, filtered, sorted and paginated: pass
# pageInfo.endCursor as $after for the next page.
# Run with the play button (or Ctrl-Enter); the other
# tabs hold more examples.
query ListCustomers($first: Int = 10, $after: String, $filter: CustomerFilter) {
  customers(
    first: $first
    after: $after
    filter: $filter
    orderBy: { field: DISPLAY_NAME, direction: ASC }
  ) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      displayName
      type
      status
      email
      tags
      verification { status level }
    }
  }
}
`,
    variables: { first: 10, filter: { statuses: ["NEW", "ACTIVE"] } },
  },
  {
    query: /* GraphQL */ `# Search names, emails, phones, company names and
# external references (case-insensitive).
query SearchCustomers($text: String!) {
  customers(search: $text, first: 10) {
    totalCount
    nodes {
      id
      displayName
      email
      phone
      company { legalName }
      person { fullName }
    }
  }
}
`,
    variables: { text: "acme" },
  },
  {
    query: /* GraphQL */ `# One customer, by your own reference for it or by its
# id (cus_…): pick the operation to run.
query CustomerByReference($externalReference: String!) {
  customerByExternalReference(externalReference: $externalReference) { ...CustomerDetails }
}

query CustomerById($id: ID!) {
  customer(id: $id) { ...CustomerDetails }
}
${CUSTOMER_DETAILS}
`,
    variables: { externalReference: "CRM-1001", id: "cus_…" },
  },
  {
    query: /* GraphQL */ `# A person with an address and a document, in one
# transaction. Invalid input comes back as userErrors
# (code and field path), and then nothing is written.
mutation CreateCustomer($input: CreateCustomerInput!) {
  createCustomer(input: $input) {
    customer { id displayName phone version status }
    verification { status url }
    userErrors { code field message }
  }
}
`,
    variables: {
      input: {
        type: "PERSON",
        email: "jane.doe@example.com",
        phone: "+44 20 7946 0000",
        tags: ["newsletter"],
        externalReference: "CRM-42",
        person: { firstName: { name: "Jane" }, lastName: { name: "Doe" }, dateOfBirth: "1990-04-01", nationality: "GB" },
        addresses: [{ purpose: "home", address: { country: "GB", city: "London", street: "Baker Street", streetNumber: ["221B"] } }],
        documents: [{ purpose: "KYC", documentType: "PASSPORT", name: "passport.pdf" }],
      },
    },
  },
  {
    query: /* GraphQL */ `# Changes only what is given. With expectedVersion, the
# update is refused (VERSION_CONFLICT) if someone changed
# the customer since you read it; an update that changes
# nothing is NO_CHANGES.
mutation UpdateCustomer($input: UpdateCustomerInput!) {
  updateCustomer(input: $input) {
    customer {
      id
      nickname
      riskLevel
      version
      events(last: 1) { nodes { type changedFields } }
    }
    userErrors { code field message }
  }
}
`,
    variables: { input: { id: "cus_…", expectedVersion: 1, nickname: "Countess", riskLevel: "MEDIUM" } },
  },
  {
    query: /* GraphQL */ `# The lifecycle: onboard a customer to your organization,
# then deactivate, reactivate, archive or restore it by id.
# A transition that is not allowed answers INVALID_STATE.
mutation OnboardCustomer($onboard: OnboardCustomerInput!) {
  onboardCustomer(input: $onboard) {
    status
    customer { id displayName status memberships { organization { name } } }
    userErrors { code field message }
  }
}

mutation DeactivateCustomer($id: ID!, $reason: String!) {
  deactivateCustomer(input: { id: $id, reason: $reason }) {
    customer { id status deactivationReason }
    userErrors { code message }
  }
}

mutation ReactivateCustomer($id: ID!) {
  reactivateCustomer(input: { id: $id }) {
    customer { id status }
    userErrors { code message }
  }
}

mutation ArchiveCustomer($id: ID!) {
  archiveCustomer(input: { id: $id }) {
    customer { id status archivedAt }
    userErrors { code message }
  }
}

mutation RestoreCustomer($id: ID!) {
  restoreCustomer(input: { id: $id }) {
    customer { id status }
    userErrors { code message }
  }
}
`,
    variables: {
      onboard: { firstName: "Katherine", lastName: "Johnson", registrationAccount: "katherine.johnson@example.com", countryCode: "US", telephoneNumber: "+1 202 555 0147" },
      id: "cus_…",
      reason: "customer asked to pause the account",
    },
  },
  {
    query: /* GraphQL */ `# Live changes over WebSocket (graphql-ws, same URL).
# Keep it running, then change a customer from another
# tab. With $after (an event id) it first replays what
# happened since that event.
subscription CustomerEvents($types: [CustomerEventType!], $after: ID) {
  customerEvents(types: $types, after: $after) {
    id
    type
    customerId
    changedFields
    actor
    via
    occurredAt
    customer { displayName status version }
  }
}
`,
    variables: {},
  },
];
