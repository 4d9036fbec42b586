// What the witness's screen says about a scanned results statement, given what was pinned at
// opening: the first reason it is not SAH, or SAH.  The same rules, in the same order, as
// booth/witness/check.py (the tests hold the two to identical verdicts).
import { FormatError, openOpening, openStatement } from "./format.js";

/** The pin a verified opening statement gives: the device key, election, TPS, log size, candidates. */
export async function pinFromOpening(text) {
  const o = await openOpening(text);
  return {
    verifierKey: o.verifierKey, electionId: o.electionId, tps: o.tps, logSize: o.logSize.toString(),
    candidates: o.candidates.map(([n, name]) => [n.toString(), name]), signer: o.signer, source: "opening",
  };
}

function untrustedElection(text) {
  const at = text.lastIndexOf("\n\n");
  const line = text.slice(0, at >= 0 ? at : text.length).split("\n").find((l) => l.startsWith("election "));
  return line === undefined ? null : line.slice(9);
}

/**
 * The verdict on a results statement: {ok, reason, statement?}.  Reasons, in the order checked:
 * not-pinned, bad-key, other-election / other-device (not signed by the pinned key), tampered (signed
 * by it, then changed), not-results, malformed, other-tps, log-older, candidates, total, unbalanced.
 */
export async function checkResults(text, pin) {
  if (!pin || !pin.verifierKey) return { ok: false, reason: "not-pinned" };
  let s;
  try {
    s = await openStatement(text, pin.verifierKey);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    if (e.kind === "unverified") {
      const election = untrustedElection(text);
      const other = pin.electionId && election !== null && election !== pin.electionId;
      return { ok: false, reason: other ? "other-election" : "other-device" };
    }
    if (e.kind === "invalid-signature") return { ok: false, reason: "tampered" };
    if (e.kind === "bad-key") return { ok: false, reason: "bad-key" };
    if (e.kind === "not-results") return { ok: false, reason: "not-results" };
    return { ok: false, reason: "malformed" };
  }
  const verdict = (reason) => ({ ok: reason === "ok", reason, statement: s });
  if (pin.electionId && s.electionId !== pin.electionId) return verdict("other-election");
  if (pin.tps && s.tps !== pin.tps) return verdict("other-tps");
  if (pin.logSize !== undefined && pin.logSize !== null && s.logSize < BigInt(pin.logSize)) return verdict("log-older");
  if (pin.candidates) {
    const numbers = [...s.tally.keys()].filter((k) => k !== "blank");
    const pinned = pin.candidates.map(([n]) => n);
    if (numbers.length !== pinned.length || numbers.some((n, i) => n !== pinned[i])) return verdict("candidates");
  }
  let sum = 0n;
  for (const v of s.tally.values()) sum += v;
  if (s.total !== sum) return verdict("total");
  if (!s.balanced) return verdict("unbalanced");
  return verdict("ok");
}
