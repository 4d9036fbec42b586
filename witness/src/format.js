// The formats a witness checks, ported from their specifications (docs/results-statement.md,
// docs/ledger-format.md §2, c2sp.org/signed-note, c2sp.org/tlog-cosignature) and held to the same
// vectors and verdicts as booth's Python (booth/ledger/note.py, booth/results.py, booth/qr_parts.py).
import { sha256 } from "@noble/hashes/sha2.js";
import { verify } from "./ed25519.js";
import { allDecimal, partition, pyB64decode, pyInt, rstripNewlines, splitWhite, strip } from "./pyrules.js";

export const RESULTS_HEADER = "booth results v1";
export const OPENING_HEADER = "booth opening v1";
const SIGNATURE_PREFIX = "\u2014 ";
const MAX_SIGNATURES = 100;
const ED25519 = 0x01;
// Go's unicode.IsSpace (the Unicode White_Space property), as booth/ledger/note.py.
const NAME_SPACES = /[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const CONTROL = /[\x00-\x09\x0b-\x1f]/u;
const LONE_SURROGATE = /[\ud800-\udfff]/u;
const utf8 = new TextEncoder();

/** A refusal: ``reason`` for programs and vectors, ``kind`` for the witness's words. */
export class FormatError extends Error {
  constructor(message, reason, kind = reason, extra = {}) {
    super(message);
    this.reason = reason;
    this.kind = kind;
    Object.assign(this, extra);
  }
}

export function b64encode(bytes) {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Standard padded base64 in its one canonical spelling, else null. */
export function canonicalB64(s) {
  let raw;
  try {
    raw = pyB64decode(s, true);
  } catch {
    return null;
  }
  return b64encode(raw) === s ? raw : null;
}

export function hexOf(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equalBytes(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// --- keys -----------------------------------------------------------------

export function isValidName(name) {
  return typeof name === "string" && name.length > 0 && !name.includes("+") &&
    !NAME_SPACES.test(name) && !CONTROL.test(name) && !LONE_SURROGATE.test(name);
}

/** The 4-byte key ID: SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]. */
export function keyId(name, publicKey, type = ED25519) {
  return sha256(concat(utf8.encode(name), Uint8Array.of(0x0a, type), publicKey)).slice(0, 4);
}

/** The booth origin (= key name) of a device key: booth/ + first 16 hex of SHA-256(public key). */
export function originFor(publicKey) {
  return "booth/" + hexOf(sha256(publicKey)).slice(0, 16);
}

/** ``<name>+<hex key ID>+<base64(type ‖ key)>`` -> {name, publicKey, keyId}; throws FormatError "bad-key". */
export function parseVerifierKey(s, type = ED25519) {
  if (typeof s !== "string") throw new FormatError("verifier key must be text", "format", "bad-key");
  const [name, sep1, rest] = partition(s, "+");
  const [hexId, sep2, encoded] = partition(rest, "+");
  if (!sep1 || !sep2) throw new FormatError("verifier key must look like <name>+<key id>+<key>", "format", "bad-key");
  if (!isValidName(name)) throw new FormatError(`invalid key name ${JSON.stringify(name)}`, "format", "bad-key");
  if (!/^[0-9a-f]{8}$/.test(hexId)) throw new FormatError(`verifier key ID ${JSON.stringify(hexId)} is not 8 lower-case hex digits`, "format", "bad-key");
  const raw = canonicalB64(encoded);
  if (raw === null) throw new FormatError("verifier key is not canonical base64", "format", "bad-key");
  if (raw.length !== 33 || raw[0] !== type) throw new FormatError("verifier key is not an Ed25519 key", "format", "bad-key");
  const publicKey = raw.slice(1);
  const kid = keyId(name, publicKey, type);
  if (hexOf(kid) !== hexId) throw new FormatError(`verifier key ID ${hexId} does not match the name and key`, "format", "bad-key");
  return { name, publicKey, keyId: kid };
}

export function verifierKey(name, publicKey, type = ED25519) {
  return `${name}+${hexOf(keyId(name, publicKey, type))}+${b64encode(concat(Uint8Array.of(type), publicKey))}`;
}

// --- notes ----------------------------------------------------------------

function checkCharacters(s, what) {
  if (LONE_SURROGATE.test(s)) throw new FormatError(`${what} is not valid UTF-8 text`, "format", "malformed-note");
  const bad = CONTROL.exec(s);
  if (bad) throw new FormatError(`${what} contains a control character at offset ${bad.index}`, "format", "malformed-note");
}

/** The note's text and signature lines, syntax checked (booth.ledger.note.open_note rules 1-2). */
export function splitNote(note) {
  if (typeof note !== "string") throw new FormatError("note must be text", "format", "malformed-note");
  checkCharacters(note, "note");
  const at = note.lastIndexOf("\n\n");
  if (at < 0) throw new FormatError("note has no blank line before its signatures", "format", "malformed-note");
  const text = note.slice(0, at + 1);
  const block = note.slice(at + 2);
  if (!block || !block.endsWith("\n")) throw new FormatError("note must end with signature lines", "format", "malformed-note");
  const lines = block.slice(0, -1).split("\n");
  if (lines.length > MAX_SIGNATURES) throw new FormatError(`note has ${lines.length} signature lines`, "format", "malformed-note");
  const signatures = lines.map((line, i) => {
    if (!line.startsWith(SIGNATURE_PREFIX)) throw new FormatError(`signature line ${i + 1} does not start with an em dash and a space`, "format", "malformed-note");
    const [name, space, encoded] = partition(line.slice(SIGNATURE_PREFIX.length), " ");
    if (!space || !isValidName(name)) throw new FormatError(`signature line ${i + 1} has no valid key name`, "format", "malformed-note");
    const raw = canonicalB64(encoded);
    if (raw === null || raw.length <= 4) throw new FormatError(`signature line ${i + 1} does not hold a base64 key ID and signature`, "format", "malformed-note");
    return { name, keyId: raw.slice(0, 4), signature: raw.slice(4), line };
  });
  return { text, signatures };
}

/**
 * Check a signed note against known keys ({name: {publicKey}}); resolve to {text, verified}.
 * Throws FormatError with kind "malformed-note", "invalid-signature" (a known key's line does not
 * verify: the text was changed) or "unverified" (no line from a known key; ``signers`` lists them).
 */
export async function openNote(note, known) {
  const { text, signatures } = splitNote(note);
  const message = utf8.encode(text);
  const verified = [];
  const others = [];
  for (const sig of signatures) {
    const key = Object.prototype.hasOwnProperty.call(known, sig.name) ? known[sig.name] : null;
    if (!key || !equalBytes(keyId(sig.name, key.publicKey), sig.keyId)) {
      others.push(`${sig.name}+${hexOf(sig.keyId)}`);
      continue;
    }
    if (verified.includes(sig.name)) continue;
    if (!(await verify(sig.signature, message, key.publicKey))) {
      throw new FormatError(`signature by known key ${sig.name}+${hexOf(sig.keyId)} does not verify: the note was changed`,
        "signature", "invalid-signature", { signer: sig.name });
    }
    verified.push(sig.name);
  }
  if (verified.length === 0) {
    throw new FormatError(`note has no signature from a known key (signature lines from: ${others.join(", ") || "none"})`,
      "signature", "unverified", { signers: others, text });
  }
  return { text, verified };
}

// --- statements (booth/results.py) ------------------------------------------

/** A results statement checked with the device's verifier key (booth.results.open_statement). */
export async function openStatement(text, verifierKeyText) {
  let key;
  try {
    key = parseVerifierKey(strip(verifierKeyText));
  } catch (e) {
    throw new FormatError(`bad verifier key: ${e.message}`, "format", "bad-key");
  }
  let body;
  try {
    ({ text: body } = await openNote(text, { [key.name]: key }));
  } catch (e) {
    const error = new FormatError(`signature does not verify: ${e.message}`, "signature", e.kind);
    error.noteText = e.text;
    throw error;
  }
  const lines = rstripNewlines(body).split("\n");
  if (lines[0] !== RESULTS_HEADER) throw new FormatError("not a booth results statement", "format", "not-results");
  const fields = new Map();
  const tally = new Map();
  try {
    for (const line of lines.slice(1)) {
      const [k, , rest] = partition(line, " ");
      if (k === "candidate") {
        const items = splitWhite(rest);
        if (items.length !== 2) throw new Error(`bad candidate line`);
        tally.set(items[0], pyInt(items[1]));
      } else if (k === "blank") {
        tally.set("blank", pyInt(rest));
      } else {
        fields.set(k, rest);
      }
    }
    for (const name of ["log", "election", "tps", "total", "balanced"]) {
      if (!fields.has(name)) throw new Error(`missing ${name}`);
    }
    const log = splitWhite(fields.get("log"));
    if (log.length !== 2) throw new Error("bad log line");
    const size = pyInt(log[0]);
    const root = pyB64decode(log[1], false);
    return {
      electionId: fields.get("election"), tps: fields.get("tps"), logSize: size, logRoot: root,
      tally, total: pyInt(fields.get("total")), balanced: fields.get("balanced") === "yes", signer: key.name,
    };
  } catch (e) {
    throw new FormatError(`malformed statement: ${e.message}`, "format", "malformed");
  }
}

/** An opening statement checked with the key it carries (booth.results.open_opening). */
export async function openOpening(text) {
  if (typeof text !== "string") throw new FormatError("not a booth opening statement: not text", "format", "not-opening");
  if (text.split("\n", 1)[0] !== OPENING_HEADER) throw new FormatError("not a booth opening statement", "format", "not-opening");
  const at = text.lastIndexOf("\n\n");
  const keyLines = text.slice(0, at >= 0 ? at + 1 : text.length).split("\n")
    .filter((line) => line.startsWith("key ")).map((line) => line.slice(4));
  if (keyLines.length !== 1) throw new FormatError("malformed statement: expected exactly one key line", "format", "malformed");
  let key;
  try {
    key = parseVerifierKey(keyLines[0]);
  } catch (e) {
    throw new FormatError(`malformed statement: bad key line: ${e.message}`, "format", "malformed");
  }
  if (key.name !== originFor(key.publicKey)) {
    throw new FormatError(`key name ${key.name} is not the booth origin of that key (${originFor(key.publicKey)})`, "origin", "origin");
  }
  let body;
  try {
    ({ text: body } = await openNote(text, { [key.name]: key }));
  } catch (e) {
    throw new FormatError(`signature does not verify: ${e.message}`, "signature", e.kind);
  }
  const fields = new Map();
  const candidates = [];
  try {
    for (const line of rstripNewlines(body).split("\n").slice(1)) {
      const [k, , rest] = partition(line, " ");
      if (k === "candidate") {
        const [number, , name] = partition(rest, " ");
        if (!allDecimal(number) || !name) throw new Error(`bad candidate line ${JSON.stringify(line)}`);
        candidates.push([pyInt(number), name]);
      } else if (["election", "tps", "key", "log"].includes(k) && !fields.has(k)) {
        fields.set(k, rest);
      } else {
        throw new Error(`unexpected line ${JSON.stringify(line)}`);
      }
    }
    if (!fields.has("log")) throw new Error("missing log");
    const log = splitWhite(fields.get("log"));
    if (log.length !== 2) throw new Error("bad log line");
    const size = pyInt(log[0]);
    if (candidates.length === 0) throw new Error("no candidate line");
    if (!fields.has("election") || !fields.has("tps")) throw new Error("missing election or tps");
    const root = pyB64decode(log[1], true);
    return {
      electionId: fields.get("election"), tps: fields.get("tps"), verifierKey: keyLines[0],
      logSize: size, logRoot: root, candidates, signer: key.name,
    };
  } catch (e) {
    throw new FormatError(`malformed statement: ${e.message}`, "format", "malformed");
  }
}

// --- QR parts (booth/qr_parts.py) --------------------------------------------

const PART_HEADER = /^B1 ([1-9][0-9]{0,6})\/([1-9][0-9]{0,6}) ([0-9a-f]{8})\n/;

export function textHash(text) {
  return hexOf(sha256(utf8.encode(text))).slice(0, 8);
}

/** {i, n, h} of a part payload, or null for a whole text; throws "bad-header". */
export function partHeader(payload) {
  if (!payload.startsWith("B1 ")) return null;
  const m = PART_HEADER.exec(payload);
  if (!m) throw new FormatError("bad QR part header", "bad-header");
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (i > n) throw new FormatError(`QR part ${i} of ${n} cannot exist`, "bad-header");
  return { i, n, h: m[3], chunk: payload.slice(m[0].length) };
}

/** The whole text from payloads in any order (booth.qr_parts.join); FormatError reasons as there. */
export function joinParts(payloads) {
  payloads = Array.from(payloads);
  if (payloads.length === 0) throw new FormatError("no QR code has been scanned", "empty");
  const bare = new Set(payloads.filter((p) => !p.startsWith("B1 ")));
  const parts = new Map();
  const texts = new Set();
  let only = null;
  for (const payload of payloads) {
    if (bare.has(payload)) continue;
    const { i, n, h, chunk } = partHeader(payload);
    texts.add(`${n} ${h}`);
    only = { n, h };
    if (parts.has(i) && parts.get(i) !== chunk) throw new FormatError(`two different QR parts ${i}`, "conflict");
    parts.set(i, chunk);
  }
  if (bare.size + texts.size > 1) throw new FormatError("these QR codes come from two different texts", "mixed");
  if (bare.size) return [...bare][0];
  const missing = [];
  for (let i = 1; i <= only.n; i++) if (!parts.has(i)) missing.push(i);
  if (missing.length) throw new FormatError(`QR part ${missing.join(", ")} of ${only.n} has not been scanned`, "missing", "missing", { missing, n: only.n });
  let text = "";
  for (let i = 1; i <= only.n; i++) text += parts.get(i);
  if (textHash(text) !== only.h) throw new FormatError("the QR parts do not make the text they were cut from", "hash");
  return text;
}

// --- cosignatures (c2sp.org/tlog-cosignature, docs COSIGNATURE) --------------

export const COSIGNATURE_TYPE = 0x04;

/** The checkpoint note body a results statement names: origin (its signer), size, root. */
export function checkpointBody(statement) {
  return `${statement.signer}\n${statement.logSize}\n${b64encode(statement.logRoot)}\n`;
}

export function cosignedMessage(checkpointText, time) {
  return utf8.encode(`cosignature/v1\ntime ${time}\n${checkpointText}`);
}

/** The signature line "— <name> base64(key ID ‖ u64 time ‖ signature)" of a cosignature. */
export function cosignatureLine(name, publicKey, time, signature) {
  const t = new Uint8Array(8);
  new DataView(t.buffer).setBigUint64(0, BigInt(time));
  return `${SIGNATURE_PREFIX}${name} ${b64encode(concat(keyId(name, publicKey, COSIGNATURE_TYPE), t, signature))}`;
}
