/**
 * Contract validator for tests: checks a concrete HTTP response (method, URL, status, headers, body)
 * against the vendored Berlin Group NextGenPSD2 1.3.12 OpenAPI document.
 *
 * For tests only — it pulls in ajv and reads a 0.5 MB JSON file, so it is not exported from the
 * package index; import it as `@kontor/xs2a/contract`.
 *
 * How the OpenAPI 3.0 dialect is mapped onto ajv (JSON Schema draft-07):
 * - The whole document is added to ajv as one schema with $id `spec`, so the document's own
 *   `#/components/...` $refs resolve in place; a body is validated with `{ $ref: "spec#<pointer>" }`.
 * - Boolean `exclusiveMinimum`/`exclusiveMaximum` (draft-04 style, present in this spec) are rewritten
 *   to their draft-07 meaning. `nullable` is understood by ajv itself; `example`, `discriminator`,
 *   `xml` and friends are annotations, ignored under `strict: false` (oneOf still does the checking).
 * - Formats come from ajv-formats; the spec's non-standard `url` is treated like `uri-reference`.
 * - Patterns are anchored (`^(?:…)$`). JSON Schema reads `pattern` as unanchored, under which
 *   `[A-Z]{3}` accepts "EURO"; the spec's patterns come from ISO 20022 XSD facets, which always match
 *   the whole value, so anchoring is what the spec means.
 */
import { readFileSync } from "node:fs";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

export type HeadersInput = Headers | Record<string, string | string[] | undefined>;

export interface ResponseToValidate {
  method: string;
  /** Absolute or path-only URL of the request; anything before `/v1/` is treated as the base path. */
  url: string;
  status: number;
  headers?: HeadersInput;
  /** Parsed JSON, a JSON string, or undefined/"" for an empty body. */
  body?: unknown;
  /** The X-Request-ID the request carried; when given, the response must echo it. */
  requestId?: string;
}

export type ContractResult = { ok: true } | { ok: false; errors: string[] };

export interface ContractValidatorOptions {
  /**
   * The spec marks only X-Request-ID as a required response header, but the Implementation
   * Guidelines make `Location` mandatory on every 201 that creates a resource. Default true:
   * a 201 whose spec response lists a Location header must carry one.
   */
  requireLocationOn201?: boolean;
}

export interface ContractValidator {
  validateResponse(response: ResponseToValidate): ContractResult;
  /** Throws an Error listing every violation when the response breaks the contract. */
  assertValidResponse(response: ResponseToValidate): void;
  /** The spec path template a URL maps to, e.g. `/v1/accounts/{account-id}/transactions`. */
  matchPath(url: string): string | undefined;
  /** Validates a value against a named schema of `components/schemas` (e.g. "consents", "accountList"). */
  validateComponent(name: string, value: unknown): ContractResult;
}

export class ContractViolationError extends Error {
  override name = "ContractViolationError";
  readonly errors: string[];
  constructor(summary: string, errors: string[]) {
    super(`${summary}\n${errors.map((e) => `  - ${e}`).join("\n")}`);
    this.errors = errors;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SPEC_ID = "spec";
const SPEC_URL = new URL("../spec/ngpsd2-1-3-12.json", import.meta.url);
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"] as const;

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON Pointer (RFC 6901) token escaping. */
function escapeToken(token: string): string {
  return token.replaceAll("~", "~0").replaceAll("/", "~1");
}

function unescapeToken(token: string): string {
  return token.replaceAll("~1", "/").replaceAll("~0", "~");
}

/**
 * Rewrites, in place, what draft-07 reads differently from OpenAPI 3.0: draft-04 boolean exclusive
 * bounds, and unanchored XSD-style patterns. Examples are data, not schemas, and are left alone.
 */
function normaliseSchemas(node: Json): void {
  if (Array.isArray(node)) {
    for (const item of node) normaliseSchemas(item);
    return;
  }
  if (!isObject(node)) return;
  const pattern = node.pattern;
  if (typeof pattern === "string" && typeof node.type === "string") {
    node.pattern = `^(?:${pattern.replace(/^\^/, "").replace(/\$$/, "")})$`;
  }
  for (const [bound, exclusive] of [
    ["minimum", "exclusiveMinimum"],
    ["maximum", "exclusiveMaximum"],
  ] as const) {
    const flag = node[exclusive];
    if (typeof flag === "boolean" || flag === null) {
      const limit = node[bound];
      if (flag === true && typeof limit === "number") {
        node[exclusive] = limit;
        delete node[bound];
      } else {
        delete node[exclusive];
      }
    }
  }
  for (const [key, value] of Object.entries(node)) {
    if (key !== "example" && key !== "examples") normaliseSchemas(value);
  }
}

interface PathTemplate {
  template: string;
  segments: Array<{ literal: string } | { param: string }>;
  literalCount: number;
}

function compileTemplates(paths: JsonObject): PathTemplate[] {
  return Object.keys(paths).map((template) => {
    const segments = template
      .split("/")
      .slice(1)
      .map((segment) => {
        const param = /^\{(.+)\}$/.exec(segment)?.[1];
        return param === undefined ? { literal: segment } : { param };
      });
    return { template, segments, literalCount: segments.filter((s) => "literal" in s).length };
  });
}

function headerValue(headers: HeadersInput | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(", ") : value;
  }
  return undefined;
}

function formatAjvError(where: string, error: ErrorObject): string {
  const at = `${where}${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "enum" && Array.isArray(params.allowedValues)) {
    return `${at} must be one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (error.keyword === "additionalProperties" && typeof params.additionalProperty === "string") {
    return `${at} has unexpected property "${params.additionalProperty}"`;
  }
  return `${at} ${error.message ?? error.keyword}`;
}

export function createContractValidator(options: ContractValidatorOptions = {}): ContractValidator {
  const requireLocationOn201 = options.requireLocationOn201 ?? true;
  const spec = JSON.parse(readFileSync(SPEC_URL, "utf8")) as JsonObject;
  normaliseSchemas(spec);
  const paths = spec.paths;
  if (!isObject(paths)) throw new Error("spec has no paths");
  const templates = compileTemplates(paths);

  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false, validateSchema: false });
  addFormats.default(ajv);
  ajv.addFormat("url", /^\S+$/);
  ajv.addSchema(spec, SPEC_ID);
  const compiled = new Map<string, ValidateFunction>();

  function validatorAt(pointer: string): ValidateFunction {
    let validate = compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${SPEC_ID}#${pointer}` });
      compiled.set(pointer, validate);
    }
    return validate;
  }

  function at(pointer: string): Json | undefined {
    let node: Json | undefined = spec;
    for (const token of pointer.split("/").slice(1)) {
      if (Array.isArray(node)) node = node[Number(token)];
      else if (isObject(node)) node = node[unescapeToken(token)];
      else return undefined;
    }
    return node;
  }

  /** Follows `$ref`s (local ones only, as in this spec) and returns the final pointer and node. */
  function deref(pointer: string): { pointer: string; node: JsonObject } | undefined {
    let current = pointer;
    for (let hops = 0; hops < 20; hops++) {
      const node = at(current);
      if (!isObject(node)) return undefined;
      const ref = node.$ref;
      if (typeof ref !== "string") return { pointer: current, node };
      if (!ref.startsWith("#")) throw new Error(`external $ref not supported: ${ref}`);
      current = ref.slice(1);
    }
    throw new Error(`$ref chain too long at ${pointer}`);
  }

  function matchPath(url: string): string | undefined {
    const pathname = new URL(url, "http://contract.invalid").pathname;
    const start = pathname.indexOf("/v1/");
    if (start < 0) return undefined;
    const parts = pathname
      .slice(start + 1)
      .replace(/\/$/, "")
      .split("/");
    let best: PathTemplate | undefined;
    for (const candidate of templates) {
      if (candidate.segments.length !== parts.length) continue;
      const fits = candidate.segments.every((segment, i) =>
        "literal" in segment ? segment.literal === parts[i] : (parts[i] ?? "") !== "",
      );
      if (fits && (best === undefined || candidate.literalCount > best.literalCount)) best = candidate;
    }
    return best?.template;
  }

  function parseBody(body: unknown): { empty: true } | { empty: false; value: unknown } | { error: string } {
    if (body === undefined || body === null || body === "") return { empty: true };
    if (typeof body === "string" || body instanceof Uint8Array) {
      const text = typeof body === "string" ? body : new TextDecoder().decode(body);
      try {
        return { empty: false, value: JSON.parse(text) };
      } catch {
        return { error: `body is not valid JSON: ${JSON.stringify(text.slice(0, 80))}` };
      }
    }
    return { empty: false, value: body };
  }

  function validateHeaders(
    responsePointer: string,
    responseNode: JsonObject,
    input: ResponseToValidate,
    errors: string[],
  ): void {
    const declared = responseNode.headers;
    if (!isObject(declared)) return;
    for (const name of Object.keys(declared)) {
      const header = deref(`${responsePointer}/headers/${escapeToken(name)}`);
      if (!header) continue;
      const value = headerValue(input.headers, name);
      const required =
        header.node.required === true ||
        (name === "Location" && input.status === 201 && requireLocationOn201);
      if (value === undefined) {
        if (required) errors.push(`header ${name} is required`);
        continue;
      }
      if (isObject(header.node.schema)) {
        const validate = validatorAt(`${header.pointer}/schema`);
        if (!validate(value)) {
          for (const error of validate.errors ?? []) errors.push(formatAjvError(`header ${name}`, error));
        }
      }
    }
    if (input.requestId !== undefined) {
      const echoed = headerValue(input.headers, "X-Request-ID");
      if (echoed !== undefined && echoed !== input.requestId) {
        errors.push(`header X-Request-ID is ${echoed}, expected the request's ${input.requestId}`);
      }
    }
  }

  function validateResponse(input: ResponseToValidate): ContractResult {
    const method = input.method.toLowerCase();
    const template = matchPath(input.url);
    if (template === undefined) return { ok: false, errors: ["no path in the spec matches the URL"] };
    if (!METHODS.some((m) => m === method)) return { ok: false, errors: [`unknown method ${input.method}`] };
    const operationPointer = `/paths/${escapeToken(template)}/${method}`;
    const operation = deref(operationPointer);
    if (!operation) return { ok: false, errors: [`the spec has no ${method.toUpperCase()} ${template}`] };
    const responses = operation.node.responses;
    if (!isObject(responses)) return { ok: false, errors: ["operation has no responses"] };
    const statusKey = String(input.status);
    const key = statusKey in responses ? statusKey : "default" in responses ? "default" : undefined;
    if (key === undefined) {
      return {
        ok: false,
        errors: [
          `status ${input.status} is not a documented response of ${method.toUpperCase()} ${template} (documented: ${Object.keys(responses).join(", ")})`,
        ],
      };
    }
    const response = deref(`${operation.pointer}/responses/${escapeToken(key)}`);
    if (!response) return { ok: false, errors: [`response ${key} could not be resolved`] };

    const errors: string[] = [];
    validateHeaders(response.pointer, response.node, input, errors);

    const body = parseBody(input.body);
    const content = response.node.content;
    const mediaTypes = isObject(content) ? Object.keys(content) : [];
    if ("error" in body) {
      errors.push(body.error);
    } else if (mediaTypes.length === 0) {
      if (!body.empty) errors.push(`body must be empty for ${input.status}`);
    } else if (body.empty) {
      errors.push(`body is missing; expected ${mediaTypes.join(" or ")}`);
    } else {
      const contentType = headerValue(input.headers, "content-type")?.split(";")[0]?.trim().toLowerCase();
      const mediaType = contentType ?? "application/json";
      if (contentType !== undefined && !contentType.endsWith("json")) {
        errors.push(`content-type ${contentType} is not JSON; this validator checks JSON bodies only`);
      } else if (!mediaTypes.includes(mediaType)) {
        errors.push(`content-type ${mediaType} is not documented (documented: ${mediaTypes.join(", ")})`);
      } else {
        const validate = validatorAt(`${response.pointer}/content/${escapeToken(mediaType)}/schema`);
        if (!validate(body.value)) {
          for (const error of validate.errors ?? []) errors.push(formatAjvError("body", error));
        }
      }
    }
    return errors.length === 0 ? { ok: true } : { ok: false, errors };
  }

  function validateComponent(name: string, value: unknown): ContractResult {
    const pointer = `/components/schemas/${escapeToken(name)}`;
    if (at(pointer) === undefined) return { ok: false, errors: [`the spec has no schema ${name}`] };
    const validate = validatorAt(pointer);
    if (validate(value)) return { ok: true };
    return { ok: false, errors: (validate.errors ?? []).map((error) => formatAjvError(name, error)) };
  }

  return {
    validateResponse,
    matchPath,
    validateComponent,
    assertValidResponse(input) {
      const result = validateResponse(input);
      if (!result.ok) {
        throw new ContractViolationError(
          `${input.method.toUpperCase()} ${input.url} → ${input.status} breaks the XS2A 1.3.12 contract`,
          result.errors,
        );
      }
    },
  };
}
