// `npm run schema`: writes schema.graphql from the code.
import fs from "node:fs";
import path from "node:path";
import { printCustomerSchema } from ".";

const target = path.resolve(__dirname, "../../../schema.graphql");
fs.writeFileSync(target, printCustomerSchema());
console.log(`wrote ${path.relative(process.cwd(), target)}`);
