export * from "./amount.ts";
export * from "./iban.ts";
