import type { MessageKey } from "../web/i18n.ts";

/**
 * The bank's account products. An account stores the product's name as XS2A reports it (`product`, English,
 * as TPPs read it); the bank's own pages show it in the PSU's language.
 */
export const PRODUCTS = {
  business: { name: "Business Account", label: "product.business" },
  businessSub: { name: "Business Sub-Account", label: "product.businessSub" },
} as const satisfies Record<string, { name: string; label: MessageKey }>;

const LABELS = new Map<string, MessageKey>(Object.values(PRODUCTS).map((p) => [p.name, p.label]));

/** The label of a stored product name; a product the bank does not know is shown as stored. */
export function productLabel(product: string, t: (key: MessageKey) => string): string {
  const key = LABELS.get(product);
  return key ? t(key) : product;
}
