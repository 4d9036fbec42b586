// Ed25519 verification: the browser's own WebCrypto when it has Ed25519 (Chromium 137+,
// Firefox 129+, Safari 17+, Node 20), the audited @noble/ed25519 otherwise (older phones, and
// pages served over plain HTTP, where crypto.subtle does not exist).
import * as ed from "@noble/ed25519";
import { sha512 } from "@noble/hashes/sha2.js";

ed.hashes.sha512 = sha512;

let backend = null; // "webcrypto" | "noble", decided on first use

async function webCryptoWorks() {
  const subtle = globalThis.crypto && globalThis.crypto.subtle;
  if (!subtle) return false;
  try {
    // RFC 8032 TEST 1: the empty message.
    const pub = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    const sig = hex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    const key = await subtle.importKey("raw", pub, { name: "Ed25519" }, false, ["verify"]);
    return await subtle.verify({ name: "Ed25519" }, key, sig, new Uint8Array(0));
  } catch {
    return false;
  }
}

function hex(s) {
  return Uint8Array.from(s.match(/../g), (b) => parseInt(b, 16));
}

/** Force one backend ("webcrypto" or "noble"), for the tests that run both. */
export function useBackend(name) {
  backend = name;
}

export async function whichBackend() {
  if (backend === null) backend = (await webCryptoWorks()) ? "webcrypto" : "noble";
  return backend;
}

/** Whether ``signature`` (64 bytes) is a valid Ed25519 signature of ``message`` by ``publicKey`` (32 bytes). */
export async function verify(signature, message, publicKey) {
  if (signature.length !== 64) return false;
  if ((await whichBackend()) === "webcrypto") {
    try {
      const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
    } catch {
      return false; // not a point on the curve: no signature verifies with it
    }
  }
  try {
    return ed.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** A new 32-byte Ed25519 secret key (seed). */
export function newSecretKey() {
  return ed.utils.randomSecretKey();
}

export function publicKeyOf(secretKey) {
  return ed.getPublicKey(secretKey);
}

export function sign(message, secretKey) {
  return ed.sign(message, secretKey);
}
