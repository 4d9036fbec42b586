"""Setup, at the warehouse: the committee's signed package, the committee key, the photo vault."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

from booth import polls
from booth.refusals import refuse
from booth.service.checks import is_text
from booth.service.device import ELECTION_DIR, Device
from booth.station import roles


class Setup(Device):
    """The committee's acts at the warehouse: the package, the committee key."""

    def load_election(self, package_path: str, *, trusted_committee_key: bytes | None = None) -> dict:
        """Load and check the committee's signed package; keep a copy in the state directory.

        Allowed before any companion has set a PIN (it is the committee's act at
        the warehouse); a corrected package may replace it until then.
        """
        from booth.election_package import DPT_FILE, PackageError, load_package

        if (
            not isinstance(package_path, str)
            or not package_path
            or len(package_path) > 4096
            or not is_text(package_path)
        ):
            raise refuse("package_location")
        if trusted_committee_key is not None and (
            not isinstance(trusted_committee_key, (bytes, bytearray)) or len(trusted_committee_key) != 32
        ):
            raise refuse("bad_committee_key")
        self._check_device(transition="load_election", needs=("before_handover",))
        trusted = trusted_committee_key or self._pinned_committee_key()
        try:
            pkg = load_package(package_path, trusted_committee_key=trusted)
        except PackageError as exc:
            problems = [
                f"{p.file[:80]}{':' + str(p.line) if p.line else ''}: {p.message_id[:160]}" for p in exc.problems
            ][:20]
            raise refuse(
                "package_refused", words={"problems": "; ".join(problems[:3]), "why": str(exc)[:300]}, problems=problems
            ) from None
        target = self.state_dir / ELECTION_DIR
        staging = self.state_dir / (ELECTION_DIR + ".new")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name, data in _package_files(Path(package_path)).items():
            if name == DPT_FILE and self.day.role == roles.BOOTH:
                continue  # a booth keeps no voter roll: checked above with the rest, then left behind
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_bytes(data)
        shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
        self._append(
            "election.loaded",
            "panitia",
            {
                "election_id": pkg.election_id,
                "short_id": pkg.short_id,
                "candidates": len(pkg.candidates),
                "allow_blank": pkg.election.allow_blank,
                "dpt": len(pkg.voters),
                "committee": pkg.committee.fingerprint,
            },
        )
        self.package = None
        self._load_stored_package()
        if self.day.role != roles.BOOTH:  # a booth keeps no photo: the desk takes it as the voter leaves
            self._new_vault()
        return self.election_info()

    def _pinned_committee_key(self):
        value = self.ledger.get_state("committee_key")
        return base64.b64decode(value) if value else None

    def pin_committee_key(self, raw_public_key: bytes) -> None:
        """At provisioning: only packages signed by this committee key will load (logged, once)."""
        if not isinstance(raw_public_key, (bytes, bytearray)) or len(raw_public_key) != 32:
            raise refuse("bad_committee_key")
        if self.day.polls != polls.UNCONFIGURED or self.ledger.get_state("committee_key"):
            raise refuse("committee_key_pinned")
        value = base64.b64encode(bytes(raw_public_key)).decode()
        self._append("device.committee_key", "panitia", {"committee_key": value}, state={"committee_key": value})

    def candidate_photo(self, number: int) -> bytes:
        pkg = self._need_package()
        for c in pkg.candidates:
            if c.number == number:
                return pkg.photo_of(c)
        raise refuse("unknown_candidate")


def _package_files(path: Path) -> dict[str, bytes]:
    from booth.election_package import read_package_files

    files, problems = read_package_files(path)
    if problems:
        raise refuse("package_unreadable")
    return files
