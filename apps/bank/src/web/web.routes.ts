import { Hono } from "hono";
import type { BankDeps } from "../deps.ts";

export function webRoutes(_deps: BankDeps) {
  return new Hono();
}
