"""Watching each other: every device of a station cosigns the others' checkpoints and remembers them.

A station's desk and booths each keep their own ledger.  As the day goes, each device asks each
other one for its latest checkpoint and cosigns it (c2sp.org/tlog-cosignature, with its own
Ed25519 device key: "as of this time, the largest tree I have seen of this log has this root").
The watcher records what it saw in its own ledger as a ``station.checkpoint_seen`` event, so the
record is itself signed, chained and checkpointed.  Then a device whose state directory is put
back to an earlier copy, or swapped for another device, is caught by the others:

* **a smaller tree** than a watcher already saw: the log was rolled back;
* **the same size with another root**: the log was rewritten;
* **a larger tree whose root is not consistent** with the one seen (the RFC 6962 consistency
  proof from the seen size does not verify): rolled back, then grown again on another history;
* **another key** than the one seen for that place in the station: the device was replaced.

The calls a transport will carry are plain functions of bytes (canonical JSON):

>>> import pathlib, tempfile
>>> from booth.ledger.clock import FakeClock
>>> from booth.ledger.ledger import Ledger
>>> desk = Ledger.create(pathlib.Path(tempfile.mkdtemp()), clock=FakeClock())
>>> booth = Ledger.create(pathlib.Path(tempfile.mkdtemp()), clock=FakeClock())
>>> since = last_seen_size(desk, "bilik-1")                      # the desk asks booth 1 ...
>>> line = watch(desk, "bilik-1", offer(booth, since))            # ... and cosigns what it got
>>> seen_by(desk)["bilik-1"].size == booth.size
True
>>> detect(booth.latest_checkpoint(), booth.key.verifier_key(), [seen_by(desk)["bilik-1"]], booth.consistency_proof)
[]

The watcher's record of a device is only ever replaced by a record of the same key and a tree
that is consistent with it; an alarm (``station.peer_alarm``) is logged with its reason and leaves
the record as it was, so the rolled-back device stays caught however often it is asked again.
A malformed or unsigned offer is refused with :class:`BadOffer` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from booth.ledger import keys, merkle, note
from booth.ledger.canonical import NotCanonical, canonical, parse_canonical
from booth.ledger.ledger import Ledger
from booth.witness.cosign import cosign, cosigner_verifier_key

SEEN_EVENT = "station.checkpoint_seen"
ALARM_EVENT = "station.peer_alarm"
REPLACED_EVENT = "station.peer_replaced"

#: What can be wrong with a device, by the name logged in ``station.peer_alarm``.
REASONS = ("replaced", "smaller", "rewritten", "inconsistent", "unsigned")


class BadOffer(ValueError):
    """An offer that cannot be read or is not signed by the key it names; ``.id``/``.en`` say why."""

    def __init__(self, message_id: str, message_en: str) -> None:
        super().__init__(f"{message_id} ({message_en})")
        self.id = message_id
        self.en = message_en


@dataclass(frozen=True)
class Seen:
    """A watcher's record of another device's checkpoint (one ``station.checkpoint_seen`` event)."""

    label: str  # the station's name for the watched device: "meja", "bilik-2"
    key: str  # its note verifier key (device.pub)
    size: int
    root: bytes
    checkpoint: str  # the signed checkpoint note, as received
    cosignature: str  # the watcher's cosignature line on it
    watcher: str  # the watcher's log origin
    time: str  # when it was seen (the watcher's clock)


@dataclass(frozen=True)
class Finding:
    """Something wrong with a device, seen against one watcher's record; ``id``/``en`` in words."""

    reason: str  # one of REASONS
    id: str
    en: str
    seen: Seen | None


class PeerAlarm(Exception):
    """A watched device does not match what this device saw of it before (the alarm is logged)."""

    def __init__(self, findings: list[Finding], seq: int) -> None:
        self.findings = findings
        self.seq = seq  # the station.peer_alarm event in the watcher's ledger
        first = findings[0]
        super().__init__(f"{first.id} ({first.en})")
        self.id = first.id
        self.en = first.en


# ------------------------------------------------------------------ what a device offers
def offer(ledger: Ledger, since: int = 0) -> bytes:
    """This device's latest checkpoint for a watcher who last saw it at size ``since``.

    Canonical JSON ``{"checkpoint": signed note, "key": verifier key, "proof": [hex, ...],
    "since": n}``: the proof shows the current tree extends the one of size ``since``.  A device
    whose log is now shorter than ``since`` cannot prove that and offers no proof.
    """
    size = ledger.size
    proof = ledger.consistency_proof(since) if 0 <= since <= size else []
    return canonical(
        {
            "checkpoint": ledger.latest_checkpoint(),
            "key": ledger.key.verifier_key(),
            "proof": [h.hex() for h in proof],
            "since": since,
        }
    )


@dataclass(frozen=True)
class Offer:
    checkpoint_note: str
    key: str
    checkpoint: note.Checkpoint
    proof: list[bytes]
    since: int


def read_offer(data: bytes) -> Offer:
    """Parse and check an offer: well formed, and its checkpoint signed by the key it names."""
    try:
        obj = parse_canonical(data)
    except (NotCanonical, UnicodeDecodeError, ValueError):
        raise BadOffer("Tawaran checkpoint bukan JSON kanonik", "The checkpoint offer is not canonical JSON") from None
    if not (
        isinstance(obj, dict)
        and set(obj) == {"checkpoint", "key", "proof", "since"}
        and isinstance(obj["checkpoint"], str)
        and isinstance(obj["key"], str)
        and isinstance(obj["proof"], list)
        and isinstance(obj["since"], int)
        and obj["since"] >= 0
    ):
        raise BadOffer(
            "Tawaran checkpoint harus berisi checkpoint, key, proof dan since",
            "A checkpoint offer holds checkpoint, key, proof and since",
        )
    proof = _hashes(obj["proof"])
    if proof is None:
        raise BadOffer("Bukti konsistensi rusak (hash 32 bita, hex)", "Malformed consistency proof (32-byte hex)")
    try:
        name, public_key = keys.load_verifier_key(obj["key"])
        checkpoint = note.open_checkpoint(obj["checkpoint"], name, public_key)
    except note.NoteError as exc:
        raise BadOffer(
            f"Checkpoint tidak ditandatangani kunci yang disebutnya: {exc}",
            f"The checkpoint is not signed by the key it names: {exc}",
        ) from None
    return Offer(obj["checkpoint"], obj["key"], checkpoint, proof, obj["since"])


def _hashes(values: Sequence[Any]) -> list[bytes] | None:
    out = []
    for value in values:
        if not isinstance(value, str) or len(value) != 64 or value != value.lower():
            return None
        try:
            out.append(bytes.fromhex(value))
        except ValueError:
            return None
    return out


# ------------------------------------------------------------------ the judgement
def detect(
    current: str,
    device_key: str,
    records: Iterable[Seen],
    prove: Callable[[int], Sequence[bytes]],
) -> list[Finding]:
    """What is wrong with a device whose latest checkpoint is ``current``, against the others' records.

    ``device_key`` is the key the device presents now; ``records`` are what the other devices
    saw of it (:func:`seen_by` on each); ``prove(old_size)`` asks the device for a consistency
    proof from ``old_size`` to ``current``.  Case by case, for each record:

    * the record names another key: the device was **replaced**;
    * the device's tree is **smaller** than the one seen: rolled back;
    * the same size with another root: **rewritten**;
    * a larger tree without a valid consistency proof from the seen one: **inconsistent**
      (rolled back, then grown on another history).

    A ``current`` that its key did not sign is **unsigned** and nothing else is judged.  No
    finding: every watcher's record is an earlier state of the device's log.
    """
    records = list(records)
    label = records[0].label if records else "?"
    try:
        name, public_key = keys.load_verifier_key(device_key)
        cp = note.open_checkpoint(current, name, public_key)
    except note.NoteError as exc:
        return [
            Finding(
                "unsigned",
                f"Checkpoint {label} tidak ditandatangani kuncinya: {exc}",
                f"The checkpoint of {label} is not signed by its key: {exc}",
                None,
            )
        ]
    findings = []
    for seen in records:
        findings += _against(cp, device_key, seen, prove)
    return findings


def _against(
    cp: note.Checkpoint, device_key: str, seen: Seen, prove: Callable[[int], Sequence[bytes]]
) -> list[Finding]:
    who, at = seen.watcher, seen.time
    if device_key != seen.key:
        return [
            Finding(
                "replaced",
                f"Perangkat {seen.label} diganti: kuncinya {_fp(device_key)}, padahal {who} melihat "
                f"{_fp(seen.key)} pada {at}",
                f"Device {seen.label} was replaced: its key is {_fp(device_key)}, "
                f"but {who} saw {_fp(seen.key)} at {at}",
                seen,
            )
        ]
    if cp.size < seen.size:
        return [
            Finding(
                "smaller",
                f"Buku besar {seen.label} mundur: {cp.size} peristiwa, padahal {who} sudah melihat {seen.size} "
                f"pada {at}",
                f"The ledger of {seen.label} went back: {cp.size} events, but {who} saw {seen.size} at {at}",
                seen,
            )
        ]
    if cp.size == seen.size:
        if cp.root_hash == seen.root:
            return []
        return [
            Finding(
                "rewritten",
                f"Buku besar {seen.label} ditulis ulang: {cp.size} peristiwa dengan akar lain dari yang dilihat "
                f"{who} pada {at}",
                f"The ledger of {seen.label} was rewritten: {cp.size} events with another root than {who} saw at {at}",
                seen,
            )
        ]
    try:
        proof = list(prove(seen.size))
    except (ValueError, IndexError):
        proof = []
    if merkle.verify_consistency(seen.size, cp.size, seen.root, cp.root_hash, proof):
        return []
    return [
        Finding(
            "inconsistent",
            f"Buku besar {seen.label} tidak melanjutkan yang dilihat {who} pada {at} ({seen.size} peristiwa): "
            "riwayatnya diganti",
            f"The ledger of {seen.label} does not extend what {who} saw at {at} ({seen.size} events): "
            "its history was replaced",
            seen,
        )
    ]


def _fp(verifier_key: str) -> str:
    try:
        _, public_key = keys.load_verifier_key(verifier_key)
    except note.NoteError:
        return "?"
    return keys.short_fingerprint(keys.fingerprint(public_key))


# ------------------------------------------------------------------ the watcher's side
def seen_by(ledger: Ledger) -> dict[str, Seen]:
    """The latest record this device keeps of each other device, by the station's label.

    A logged replacement (:func:`replace_device`) ends the record of the device it replaced.
    """
    latest: dict[str, Seen] = {}
    for entry in ledger.entries():
        if entry.type == REPLACED_EVENT:
            latest.pop(entry.payload["label"], None)
        elif entry.type == SEEN_EVENT:
            p = entry.payload
            latest[p["label"]] = Seen(
                label=p["label"],
                key=p["peer"],
                size=p["size"],
                root=bytes.fromhex(p["root"]),
                checkpoint=p["checkpoint"],
                cosignature=p["cosignature"],
                watcher=ledger.key.origin,
                time=entry.time,
            )
    return latest


def paired_keys(ledger: Ledger) -> dict[str, str]:
    """The key each place in the station must present now: from the last replacement logged here."""
    return {e.payload["label"]: e.payload["new"] for e in ledger.entries() if e.type == REPLACED_EVENT}


def replace_device(ledger: Ledger, label: str, new_key: str, *, actor: str, reason: str) -> int:
    """Log, on this device, that the device at ``label`` was replaced by the one with ``new_key``.

    For a booth that failed mid-day: watch its last state first if it still answers (so its
    final checkpoint is cosigned and recorded), close and export its ledger, pair the new booth,
    then every other device of the station logs the replacement here, with the companion's
    ``actor`` and ``reason`` ("layar rusak").  From then on the record of the old device is
    closed, the new key is the one expected at ``label``, and the old device offering itself
    again is an alarm.  Returns the event's seq; :class:`BadOffer` (nothing logged) for a key
    that is not a verifier key, the key already expected there, or no reason.
    """
    try:
        keys.load_verifier_key(new_key)
    except note.NoteError:
        raise BadOffer("Kunci perangkat baru tidak dikenali", "The new device's key is not a verifier key") from None
    seen = seen_by(ledger).get(label)
    current = paired_keys(ledger).get(label) or (seen.key if seen else None)
    if new_key == current:
        raise BadOffer(
            f"Perangkat {label} sudah memakai kunci {_fp(new_key)}", f"Device {label} already has key {_fp(new_key)}"
        )
    if not reason.strip():
        raise BadOffer("Tulis alasan penggantian perangkat", "Give the reason the device is replaced")
    entry = ledger.append(
        REPLACED_EVENT, actor, {"label": label, "old": current, "new": new_key, "reason": reason.strip()}
    )
    return entry.seq


def last_seen_size(ledger: Ledger, label: str) -> int:
    """The size this device last saw of ``label`` (0 if never): what to ask an offer ``since``."""
    seen = seen_by(ledger).get(label)
    return seen.size if seen else 0


def cosigner_key(ledger: Ledger) -> str:
    """This device's cosigner verifier key (type 0x04, named by its log origin), for check_cosignature."""
    return cosigner_verifier_key(ledger.key.origin, ledger.key.public_key)


def watch(ledger: Ledger, label: str, data: bytes, *, expected_key: str | None = None, actor: str = "system") -> str:
    """Judge another device's offer against what this device saw of it, then cosign and record it.

    ``label`` is the station's name for the device ("meja", "bilik-2"); ``expected_key`` its
    key from pairing, checked when this device has no record of it yet (after that the record's
    key is the one expected; a replacement logged here names the key expected instead).
    Returns the cosignature line for the device to keep.  Raises :class:`BadOffer` (nothing
    recorded) or :class:`PeerAlarm` (a ``station.peer_alarm`` event recorded, the old record
    kept).  An offer of the very checkpoint already recorded is not recorded again; its old
    cosignature is returned.
    """
    got = read_offer(data)
    previous = seen_by(ledger).get(label)
    expected_key = paired_keys(ledger).get(label, expected_key)
    if previous is None:
        since, prev_root = 0, merkle.EMPTY_ROOT
        findings = []
        if expected_key is not None and expected_key != got.key:
            findings = [
                Finding(
                    "replaced",
                    f"Perangkat {label} bukan yang dipasangkan: kuncinya {_fp(got.key)}, bukan {_fp(expected_key)}",
                    f"Device {label} is not the one paired: its key is {_fp(got.key)}, not {_fp(expected_key)}",
                    None,
                )
            ]
    else:
        since, prev_root = previous.size, previous.root
        if got.key == previous.key and got.checkpoint.size > previous.size and got.since != previous.size:
            raise BadOffer(
                f"Bukti dari ukuran {got.since}, padahal terakhir terlihat {previous.size}: minta ulang",
                f"The proof starts at size {got.since}, but {previous.size} was seen last: ask again",
            )
        findings = _against(got.checkpoint, got.key, previous, lambda _size: got.proof)
    if findings:
        entry = ledger.append(
            ALARM_EVENT,
            actor,
            {
                "label": label,
                "peer": got.key,
                "checkpoint": got.checkpoint_note,
                "reasons": [{"reason": f.reason, "id": f.id, "en": f.en} for f in findings],
                "seen_size": since,
                "seen_root": prev_root.hex(),
            },
        )
        raise PeerAlarm(findings, entry.seq)
    if previous is not None and got.checkpoint.size == previous.size:
        return previous.cosignature
    line = cosign(got.checkpoint_note, ledger.key.origin, ledger.key.private_key, int(ledger.clock.now().timestamp()))
    ledger.append(
        SEEN_EVENT,
        actor,
        {
            "label": label,
            "peer": got.key,
            "size": got.checkpoint.size,
            "root": got.checkpoint.root_hash.hex(),
            "checkpoint": got.checkpoint_note,
            "since": since,
            "proof": [h.hex() for h in (got.proof if since else [])],
            "cosignature": line,
        },
    )
    return line
