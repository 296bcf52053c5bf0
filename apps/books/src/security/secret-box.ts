import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * Encryption at rest for tokens and consent ids: AES-256-GCM with a random 96-bit nonce. The `context`
 * (e.g. "consent:<organisation id>") is authenticated but not stored, so a ciphertext copied into another
 * row or organisation does not open. Format: "v1.<nonce>.<ciphertext>.<tag>" in base64url.
 */
export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

export class SecretBoxError extends Error {
  override name = "SecretBoxError";
}

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new SecretBoxError("an AES-256 key is 32 bytes");
  return {
    seal(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, nonce);
      cipher.setAAD(Buffer.from(context, "utf8"));
      const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
      return ["v1", nonce, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === "string" ? part : part.toString("base64url")))
        .join(".");
    },
    open(sealed, context) {
      const [version, nonce, ciphertext, tag, ...rest] = sealed.split(".");
      if (version !== "v1" || nonce === undefined || ciphertext === undefined || !tag || rest.length > 0) {
        throw new SecretBoxError("not a sealed value");
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"));
        decipher.setAAD(Buffer.from(context, "utf8"));
        decipher.setAuthTag(Buffer.from(tag, "base64url"));
        return Buffer.concat([
          decipher.update(Buffer.from(ciphertext, "base64url")),
          decipher.final(),
        ]).toString("utf8");
      } catch (cause) {
        throw new SecretBoxError("the sealed value does not open with this key and context", { cause });
      }
    },
  };
}
