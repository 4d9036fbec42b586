"""Every event the ledger can record, defined once, with what it means.

The event log stores only the ``name``; ``booth verify`` and the reports use
this table to say in Indonesian and English what happened.  An event type
that is not in this table cannot be appended, and ``verify`` reports an
unknown type as a problem.

Secrecy: no event type carries a ballot identifier or a selection.  A cast is
recorded as ``ballot.cast`` with the running count only, a spoil as
``ballot.spoiled`` with the running count of spoiled ballots only.  At a
polling station of a desk and booths, the desk's ``station.*`` events name
the voter and the release, the booth's name the release only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventType:
    name: str
    id_text: str  # Bahasa Indonesia, shown first
    en_text: str


_TYPES = [
    # device and ledger
    EventType("ledger.created", "Buku besar perangkat dibuat", "Device ledger created"),
    EventType("device.started", "Perangkat dinyalakan", "Device started"),
    EventType("device.recovered", "Perangkat pulih setelah mati mendadak", "Device recovered after an unclean stop"),
    EventType("device.committee_key", "Kunci panitia ditetapkan", "Committee key pinned"),
    EventType("device.power", "Perubahan daya listrik", "Power state changed"),
    # election package
    EventType("election.loaded", "Paket pemilihan dimuat dan diperiksa", "Election package loaded and checked"),
    # custody (tracking e-voting)
    EventType("custody.received", "Perangkat diterima", "Device received"),
    EventType("custody.distributed", "Perangkat didistribusikan", "Device distributed"),
    EventType("custody.handed_over", "Serah terima di desa/pekon", "Handed over at the village"),
    EventType("custody.installed", "Perangkat dipasang dan diuji", "Device installed and self-tested"),
    EventType("custody.activated", "Perangkat diaktifkan", "Device activated"),
    EventType("custody.voting_opened", "Pemungutan suara dibuka", "Voting opened"),
    EventType("custody.counting", "Penghitungan suara", "Counting"),
    EventType("custody.packed", "Perangkat dikemas dan disegel", "Device packed and sealed"),
    # companions
    EventType("companion.pin_set", "PIN petugas ditetapkan", "Companion PIN set"),
    EventType("companion.login", "Petugas masuk", "Companion signed in"),
    EventType("companion.login_failed", "PIN petugas salah", "Wrong companion PIN"),
    EventType("companion.locked", "Petugas terkunci", "Companion locked out"),
    EventType("companion.reset", "Kunci petugas dibuka panitia", "Companion lockout reset by the committee"),
    EventType("companion.logout", "Petugas keluar", "Companion signed out"),
    # polls
    EventType("polls.zero_report", "Laporan nol dicetak", "Zero report printed"),
    EventType("polls.opened", "TPS dibuka", "Polls opened"),
    EventType("polls.paused", "Pemungutan dijeda", "Voting paused"),
    EventType("polls.resumed", "Pemungutan dilanjutkan", "Voting resumed"),
    EventType("polls.closed", "TPS ditutup", "Polls closed"),
    EventType("polls.counted", "Suara dihitung", "Votes counted"),
    EventType("polls.results_printed", "Laporan hasil dicetak", "Results report printed"),
    EventType("polls.exported", "Hasil diekspor", "Results exported"),
    EventType("polls.packed", "Data disegel (hanya-baca)", "State sealed read-only"),
    # voters and ballots
    EventType("ballot.slots_added", "Slot surat suara disiapkan", "Ballot slots prepared"),
    EventType("voter.dptb_added", "Pemilih ditambahkan ke DPTb", "Voter added to the DPTb"),
    EventType("voter.checked_in", "Pemilih didaftar dan diverifikasi", "Voter registered and verified"),
    EventType("voter.refused", "Pemilih ditolak (sudah memilih)", "Voter refused (already voted)"),
    EventType("ballot.released", "Surat suara dibuka untuk satu pemilih", "Ballot released for one voter"),
    EventType("ballot.release_cancelled", "Pembukaan surat suara dibatalkan", "Ballot release cancelled"),
    EventType("ballot.cast", "Satu suara tercatat", "One ballot recorded"),
    EventType("slip.printed", "Struk audit dicetak", "Audit slip printed"),
    EventType("slip.print_failed", "Struk audit gagal dicetak", "Audit slip failed to print"),
    EventType("slip.reprinted", "Struk audit dicetak ulang", "Audit slip reprinted"),
    EventType("slip.confirmed", "Pemilih menyatakan struk sesuai", "Voter confirmed the slip matches"),
    EventType("slip.disputed", "Pemilih menyatakan struk tidak sesuai", "Voter disputed the slip"),
    EventType("ballot.spoiled", "Surat suara dibatalkan (struk disanggah)", "Ballot spoiled (slip disputed)"),
    EventType(
        "slip.dispute_escalated",
        "Sanggahan struk diteruskan ke panitia",
        "Slip dispute escalated to the committee",
    ),
    EventType("voter.photo_taken", "Foto pemilih disimpan", "Voter photo stored"),
    EventType("voter.photo_failed", "Foto pemilih gagal diambil", "Voter photo failed"),
    EventType("voter.photo_skipped", "Foto pemilih dilewati (dengan alasan)", "Voter photo skipped (with a reason)"),
    EventType("voter.photo_viewed", "Foto pemilih dilihat petugas", "Voter photo viewed by a companion"),
    EventType("photos.purged", "Foto pemilih dimusnahkan", "Voter photos destroyed"),
    # the polling station: a desk and its booths (docs/station.md); never a voter on a booth
    EventType("station.booth_paired", "Bilik suara dipasangkan ke meja", "Booth paired with this desk"),
    EventType("station.desk_paired", "Meja pendaftaran dipasangkan", "Check-in desk paired with this booth"),
    EventType(
        "station.roster", "Daftar bilik TPS dari meja diterima", "The station's roster of booths received from the desk"
    ),
    EventType("station.release_issued", "Izin memilih diberikan ke satu bilik", "Release issued to one booth"),
    EventType("station.release_accepted", "Izin memilih dari meja diterima", "Release from the desk accepted"),
    EventType(
        "station.release_returned", "Bilik melaporkan izin memilih selesai", "Booth returned the release's outcome"
    ),
    EventType(
        "station.release_cancelled",
        "Izin memilih dibatalkan di meja (waktu habis)",
        "Release cancelled at the desk (timed out)",
    ),
    EventType("station.release_revoked", "Izin memilih dicabut oleh meja", "Release revoked by the desk before use"),
    EventType(
        "station.closing_received", "Hasil satu bilik diterima di meja", "One booth's results received at the desk"
    ),
    EventType("station.results", "Hasil TPS dari semua bilik dihimpun", "Station results collected from every booth"),
    EventType("station.exported", "Bundel TPS diekspor", "Station bundle exported"),
    # hardware and reports
    EventType("hardware.self_test", "Uji perangkat keras", "Hardware self-test"),
    EventType("hardware.fault", "Gangguan perangkat keras", "Hardware fault"),
    EventType("report.printed", "Laporan dicetak", "Report printed"),
    # station: the devices watch each other (booth.station.watch)
    EventType(
        "station.checkpoint_seen",
        "Checkpoint perangkat lain dilihat dan ditandatangani bersama",
        "Another device's checkpoint seen and cosigned",
    ),
    EventType(
        "station.peer_alarm",
        "Perangkat lain tidak cocok dengan yang dilihat sebelumnya",
        "Another device does not match what was seen of it before",
    ),
    EventType(
        "station.peer_replaced",
        "Perangkat lain di TPS diganti (dicatat petugas)",
        "Another device of the station replaced (logged by a companion)",
    ),
]

EVENT_TYPES: dict[str, EventType] = {t.name: t for t in _TYPES}


def describe(name: str, lang: str = "id") -> str:
    """Return the human description of an event type (``lang`` "id" or "en")."""
    t = EVENT_TYPES.get(name)
    if t is None:
        return name
    return t.id_text if lang == "id" else t.en_text
