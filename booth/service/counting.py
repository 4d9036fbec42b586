"""After closing: the count, the results report, the signed bundle for the district, packing, verify."""

from __future__ import annotations

import json
from pathlib import Path

from booth import polls
from booth.refusals import refuse
from booth.service.checks import is_text
from booth.service.custody import Custody


class Counting(Custody):
    """The count and what follows it (built on custody: the bundle carries the custody trail)."""

    def count(self, token: str) -> dict:
        """Count the ballot store, reconcile, log it, and return the results."""
        from booth.tally import reconcile, tally_from_store

        s = self._require("count", token, transition="count", needs=("package_loaded",))
        pkg = self._need_package()
        tally = tally_from_store(self.ledger.tally(), pkg)
        rec = reconcile({**self.counts(), "votes_counted": self._votes_counted(tally)})
        self._append("polls.counted", s.companion, {"tally": tally, "reconciliation": rec})
        self._append("custody.counting", s.companion, {"place": self._place(), "note": ""})
        return self.results()

    def results(self) -> dict:
        """The counted results with the signed statement (QR payload) for the results report."""
        from booth.results import results_statement
        from booth.tally import reconcile

        if self.day.tally is None:
            raise refuse("not_counted")
        base = self._report_base("results")
        base["tally"] = self.day.tally
        base["reconciliation"] = reconcile({**self.counts(), "votes_counted": self._votes_counted(self.day.tally)})
        base["statement"] = results_statement(
            self.ledger,
            self.package,
            self.day.tally,
            base["reconciliation"],
            checkpoint=self.ledger.checkpoint(self.day.counted_size),
        )
        base["copies_printed"] = self.day.results_printed
        return base

    def _votes_counted(self, tally: dict) -> int | None:
        """The votes the store counted; None at a desk, which has no store (its booths count)."""
        return None if self.day.role == "desk" else sum(tally.values())

    def results_printed(self, token: str) -> None:
        s = self._require("results_report", token, states=polls.ACTS["results_printed"])
        self._append("polls.results_printed", s.companion, {"copy": self.day.results_printed + 1})

    def export(self, token: str, out_path: str) -> str:
        """Write the signed results bundle for the district (log, ballots, results, custody)."""
        from booth.ledger.bundle import write_bundle

        s = self._require("export", token, states=polls.ACTS["export"], needs=("results_printed",))
        if not isinstance(out_path, str) or not out_path or len(out_path) > 4096 or not is_text(out_path):
            raise refuse("export_location")
        try:
            write_bundle(self.ledger, Path(out_path), self._bundle_extras())
        except OSError as exc:
            raise refuse("export_write_failed", words={"path": out_path[:100], "why": exc.strerror}) from None
        # logged only once the file is really there; the bundle holds the log up to the count
        self._append("polls.exported", s.companion, {"file": Path(out_path).name[:100]})
        return out_path

    def _bundle_extras(self) -> dict[str, bytes]:
        res = self.results()
        return {
            "results.txt": res["statement"].encode(),
            "custody.json": json.dumps(self.custody_trail(), ensure_ascii=False, indent=1).encode(),
            "berita-acara.json": json.dumps(
                {k: v for k, v in res.items() if k != "statement"}, ensure_ascii=False, indent=1, default=str
            ).encode(),
        }

    def pack(self, token: str) -> None:
        s = self._require("pack", token, transition="pack", needs=("exported",))
        self._append("custody.packed", s.companion, {"place": self._place(), "note": "perangkat dikemas"})
        self._append("polls.packed", s.companion, {})
        self._sessions.clear()
        self._enroll_secret = None

    def verify_ledger(self, token: str | None = None) -> dict:
        """Verify this device's own ledger in place; on a packed device anyone may (read only)."""
        from booth.ledger.verify import DatabaseSource, verify

        if not self.ledger.sealed:
            self._require("verify", token)
        report = verify(DatabaseSource(conn=self.ledger.connection))
        return report.to_json()
