"""Every refusal the booth makes, by reason, with its words: one table (as ``polls.STATE_WORDS``).

The core never writes a refusal's words inline: it raises ``refuse(reason,
...)``, and the kiosk, the command line and ``docs/election-day.md`` (its
"Refusals" table, checked by ``tests/test_refusals.py``) all show the words
written here, Indonesian first::

    >>> err = refuse("too_soon", words={"seconds": 4}, wait_seconds=3.2)
    >>> type(err).__name__, err.message_id, err.message_en, err.details
    ('TooSoon', 'Mohon tunggu 4 detik', 'Please wait 4 seconds', {'wait_seconds': 3.2})

Words with ``{placeholders}`` are filled from ``words``; ``details`` travel
with the error unchanged (the kiosk reads them, e.g. ``wait_seconds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from booth.errors import (
    AlreadyVoted,
    BadInput,
    BoothError,
    LockedOut,
    NotAllowed,
    NotSignedIn,
    PackageRefused,
    PermissionDenied,
    TooSoon,
    UnknownVoter,
    WrongPin,
)


@dataclass(frozen=True)
class Refusal:
    """One reason the booth says no: the exception it raises and its words."""

    error: type[BoothError]
    id_text: str  # Bahasa Indonesia, shown first
    en_text: str


REFUSALS: dict[str, Refusal] = {
    # --- the guard: who, the device, the polls
    "not_signed_in": Refusal(NotSignedIn, "Silakan masuk dengan PIN petugas", "Please sign in with a companion PIN"),
    "session_idle": Refusal(
        NotSignedIn,
        "Sesi petugas berakhir karena tidak aktif. Masuk lagi dengan PIN",
        "Companion session ended after inactivity. Sign in again",
    ),
    "role_not_allowed": Refusal(
        PermissionDenied, "Peran {role} tidak boleh melakukan ini", "Role {role} may not do this"
    ),
    "sealed": Refusal(
        NotAllowed, "Perangkat sudah disegel; data hanya bisa dibaca", "The device is packed; its record is read-only"
    ),
    "wrong_polls_state": Refusal(NotAllowed, "Tidak bisa sekarang: {state_id}", "Not possible now: {state_en}"),
    "no_package": Refusal(NotAllowed, "Paket pemilihan belum dimuat", "No election package loaded"),
    # --- setup: the election package and the committee key
    "package_location": Refusal(
        PackageRefused,
        "Paket pemilihan tidak ditemukan: lokasinya tidak sah",
        "Election package not found: invalid location",
    ),
    "package_unreadable": Refusal(PackageRefused, "Paket pemilihan tidak terbaca", "Election package unreadable"),
    "package_refused": Refusal(
        PackageRefused, "Paket pemilihan ditolak: {problems}", "Election package refused: {why}"
    ),
    "package_after_handover": Refusal(
        NotAllowed,
        "Paket tidak bisa diganti setelah serah terima dan PIN dibuat",
        "The package cannot be replaced after handover",
    ),
    "bad_committee_key": Refusal(BadInput, "Kunci panitia tidak sah", "Not a committee public key"),
    "committee_key_pinned": Refusal(
        NotAllowed,
        "Kunci panitia hanya ditetapkan sekali, sebelum paket dimuat",
        "The committee key is pinned once, before any package is loaded",
    ),
    "unknown_candidate": Refusal(BadInput, "Nomor urut tidak ada", "No such candidate number"),
    # --- companions: PINs and sign-in
    "unknown_companion": Refusal(BadInput, "Petugas tidak dikenal", "Unknown companion"),
    "pin_already_set": Refusal(NotAllowed, "Petugas ini sudah punya PIN", "This companion already has a PIN"),
    "weak_new_pin": Refusal(BadInput, "{problem}", "PIN must be 6 to 12 digits and not trivial"),
    "enrol_needs_ketua": Refusal(
        NotAllowed,
        "Ketua harus masuk dengan PIN dulu untuk mendaftarkan petugas ini",
        "The coordinator must sign in first to enrol this companion",
    ),
    "no_pin_yet": Refusal(NotAllowed, "Petugas ini belum membuat PIN", "This companion has not made a PIN yet"),
    "pin_locked": Refusal(
        LockedOut, "PIN terkunci. Hubungi panitia untuk membuka", "PIN locked. Ask the committee to unlock"
    ),
    "pin_wait": Refusal(
        LockedOut, "Terlalu banyak PIN salah. Tunggu {seconds} detik", "Too many wrong PINs. Wait {seconds} seconds"
    ),
    "wrong_pin": Refusal(WrongPin, "PIN salah", "Wrong PIN"),
    "wrong_pin_tries_left": Refusal(
        WrongPin,
        "PIN salah. Sisa {left} percobaan sebelum harus menunggu",
        "Wrong PIN. {left} tries left before a wait",
    ),
    "reset_refused": Refusal(BadInput, "Berkas buka-kunci ditolak: {why_id}", "Reset file refused: {why_en}"),
    # --- custody
    "unknown_custody_stage": Refusal(BadInput, "Tahap serah terima tidak dikenal", "Unknown custody stage"),
    "custody_out_of_order": Refusal(NotAllowed, "Tahap berikutnya adalah {stage_id}", "The next step is {stage_en}"),
    "self_test_first": Refusal(BadInput, "Jalankan uji perangkat keras dulu", "Run the hardware self-test first"),
    "self_test_not_here": Refusal(
        BadInput, "Hasil uji hanya untuk tahap dipasang", "Self-test results belong to 'installed'"
    ),
    "bad_self_test": Refusal(BadInput, "Hasil uji perangkat tidak sah", "Invalid self-test results"),
    "clock_check_not_here": Refusal(
        BadInput, "Pemeriksaan jam hanya untuk tahap serah terima", "The clock check belongs to 'handed over'"
    ),
    "bad_clock_check": Refusal(BadInput, "Pemeriksaan jam tidak sah", "Invalid clock check"),
    "bad_clock_time": Refusal(
        BadInput,
        'Jam "{text}" tidak dapat dibaca; tulis seperti 06:35',
        'The time "{text}" cannot be read; write it like 06:35',
    ),
    # --- the polls
    "installed_first": Refusal(
        NotAllowed, "Catat pemasangan dan uji perangkat dulu", "Record installation and self-test first"
    ),
    "ballot_store_not_empty": Refusal(NotAllowed, "Kotak suara tidak kosong", "The ballot store is not empty"),
    "zero_report_first": Refusal(
        NotAllowed,
        "Cetak laporan nol dulu dan minta saksi menandatangani",
        "Print the zero report first and have the witnesses sign it",
    ),
    "voter_choosing": Refusal(
        NotAllowed,
        "Tunggu pemilih di bilik selesai memilih, atau batalkan surat suaranya",
        "Wait for the voter in the booth to finish, or cancel the release",
    ),
    "voter_still_voting": Refusal(
        NotAllowed, "Selesaikan dulu pemilih yang sedang memilih", "Finish the voter in the booth first"
    ),
    "early_close_needs_reason": Refusal(
        NotAllowed,
        "Belum waktunya tutup. Tutup lebih awal hanya dengan alasan",
        "It is not closing time yet. Closing early needs a reason",
    ),
    "unknown_power_state": Refusal(BadInput, "Keadaan daya tidak dikenal", "Unknown power state"),
    # --- the count, the results, the export
    "not_counted": Refusal(NotAllowed, "Suara belum dihitung", "Votes have not been counted"),
    "results_report_first": Refusal(
        NotAllowed, "Cetak laporan hasil dulu, baru ekspor", "Print the results report before exporting"
    ),
    "export_location": Refusal(BadInput, "Lokasi ekspor tidak sah", "Invalid export location"),
    "export_write_failed": Refusal(
        BadInput, "Tidak bisa menulis ke {path}: periksa flashdisk", "Cannot write {path}: check the USB stick ({why})"
    ),
    "export_first": Refusal(NotAllowed, "Ekspor hasil dulu sebelum mengemas", "Export the results before packing"),
    # --- check-in: finding, verifying and adding voters
    "search_query": Refusal(BadInput, "Ketik NIK atau nama pemilih", "Type the voter's NIK or name"),
    "search_limit": Refusal(BadInput, "Jumlah hasil harus 1 sampai 50", "The number of results must be 1 to 50"),
    "unknown_voter": Refusal(UnknownVoter, "Nama tidak terdaftar dalam DPT", "Not on the voter list"),
    "already_voted": Refusal(AlreadyVoted, "Pemilih ini sudah memilih", "This voter has already voted"),
    "nik_form": Refusal(BadInput, "NIK tidak sah: harus 16 angka", "Invalid NIK: it must be 16 digits"),
    "nik_invalid": Refusal(BadInput, "NIK tidak sah: {why_id}", "Invalid NIK: {why_en}"),
    "nik_mismatch": Refusal(BadInput, "NIK tidak cocok: {why_id}", "NIK does not match: {why_en}"),
    "nik_listed": Refusal(NotAllowed, "NIK ini sudah terdaftar ({voter})", "This NIK is already listed ({voter})"),
    "birth_date": Refusal(BadInput, "Tanggal lahir tidak sah (TTTT-BB-HH)", "Invalid birth date (YYYY-MM-DD)"),
    "sex": Refusal(BadInput, "Jenis kelamin harus L atau P", "Sex must be L or P"),
    "photo_locked": Refusal(
        NotAllowed, "Foto tidak bisa dibuka dengan PIN ini", "Photos cannot be opened with this PIN"
    ),
    "no_photo": Refusal(NotAllowed, "Foto tidak tersedia", "No photo: {why}"),
    "dptb_sealed": Refusal(
        NotAllowed,
        "Data pemilih DPTb terkunci: masuk dengan PIN petugas yang bisa membuka foto",
        "DPTb voter details are locked: sign in with a companion PIN that opens the photos",
    ),
    "dptb_no_vault": Refusal(
        NotAllowed,
        "DPTb tidak bisa ditambah: brankas data pemilih tidak ada. Panggil teknisi",
        "Cannot add to the DPTb: the voter data vault is missing. Call the technician",
    ),
    # --- the voter in the booth
    "voter_in_booth": Refusal(NotAllowed, "Masih ada pemilih di bilik suara", "A voter is still in the booth"),
    "verify_first": Refusal(NotAllowed, "Verifikasi pemilih dulu", "Verify the voter first"),
    "no_release": Refusal(NotAllowed, "Tidak ada surat suara yang dibuka untuk ini", "No ballot is released for this"),
    "out_of_order": Refusal(NotAllowed, "Langkah ini tidak sesuai urutan", "This step is out of order"),
    "voting_not_open": Refusal(NotAllowed, "Pemungutan suara tidak sedang dibuka", "Voting is not open"),
    "bad_choice": Refusal(BadInput, "Pilihan tidak sah", "Not a valid choice"),
    "too_soon": Refusal(TooSoon, "Mohon tunggu {seconds} detik", "Please wait {seconds} seconds"),
    "no_reprint": Refusal(NotAllowed, "Tidak ada struk yang perlu dicetak ulang", "No slip needs reprinting"),
    "no_pending_slip": Refusal(NotAllowed, "Struk tidak ditemukan", "No pending slip"),
    "spoil_limit": Refusal(
        NotAllowed,
        "Sudah {spoils} kali dibatalkan untuk pemilih ini: teruskan sanggahan ke panitia",
        "Already spoiled {spoils} times for this voter: escalate the dispute to the committee",
    ),
    "escalate_not_needed": Refusal(
        NotAllowed,
        "Sanggahan ini dapat diselesaikan dengan membatalkan surat suara",
        "This dispute can still be settled by spoiling the ballot",
    ),
    "vault_not_ready": Refusal(NotAllowed, "Brankas foto belum siap", "The photo vault is not ready"),
    "not_a_photo": Refusal(BadInput, "Foto tidak sah", "Not a photo"),
    "photo_not_stored": Refusal(BadInput, "Foto tidak bisa disimpan", "Photo not stored: {why}"),
    "not_timed_out": Refusal(NotAllowed, "Belum waktunya dibatalkan", "Not timed out yet"),
    # --- the polling station: what each role keeps (booth.station.roles)
    "role_booth_no_voters": Refusal(
        NotAllowed,
        "Bilik suara tidak menyimpan data pemilih: lakukan di meja pendaftaran",
        "A booth keeps no voters: do this at the check-in desk",
    ),
    "role_desk_no_ballots": Refusal(
        NotAllowed,
        "Meja pendaftaran tidak menyimpan surat suara: pemilih memilih di bilik suara",
        "The check-in desk keeps no ballots: the voter votes in a booth",
    ),
    "role_not_in_station": Refusal(
        NotAllowed,
        "Perangkat tunggal tidak dipasangkan dengan meja atau bilik lain",
        "A single device is not paired with a desk or other booths",
    ),
    "role_desk_only": Refusal(
        NotAllowed, "Hanya meja pendaftaran yang melakukan ini", "Only the check-in desk does this"
    ),
    "role_booth_only": Refusal(NotAllowed, "Hanya bilik suara yang melakukan ini", "Only a booth does this"),
    # --- the polling station: pairing and releases (booth.service.station, booth.station.release)
    "peer_key_unreadable": Refusal(
        BadInput, "Kunci perangkat pasangan tidak terbaca", "The other device's key cannot be read"
    ),
    "pairing_code_wrong": Refusal(
        BadInput,
        "Kode pemasangan tidak sama dengan layar perangkat lain: jangan pasangkan",
        "The pairing code differs from the other device's screen: do not pair",
    ),
    "booth_number": Refusal(BadInput, "Nomor bilik harus 1 sampai {max}", "The booth number must be 1 to {max}"),
    "pairing_key_in_use": Refusal(
        NotAllowed,
        "Kunci ini sudah dipakai perangkat lain di TPS ini",
        "This key already belongs to another device of this station",
    ),
    "desk_already_paired": Refusal(
        NotAllowed, "Bilik ini sudah dipasangkan dengan meja pendaftaran", "This booth is already paired with its desk"
    ),
    "peer_alarm": Refusal(
        NotAllowed,
        "Peringatan, perangkat {label} tidak cocok dengan yang terlihat sebelumnya: {why_id}",
        "Alarm: device {label} does not match what was seen of it before: {why_en}",
    ),
    "checkpoint_size": Refusal(
        BadInput,
        "Ukuran log yang terakhir dilihat harus bilangan 0 sampai {max}",
        "The size seen last must be a number 0 to {max}",
    ),
    "outbox_after": Refusal(
        BadInput,
        "Nomor urut log yang terakhir dikirim harus bilangan 0 sampai {max}",
        "The log index sent last must be a number 0 to {max}",
    ),
    "offer_unreadable": Refusal(
        BadInput, "Titik periksa {label} tidak terbaca: {why_id}", "{label}'s checkpoint cannot be read: {why_en}"
    ),
    "roster_unreadable": Refusal(
        BadInput, "Daftar bilik dari meja tidak terbaca", "The desk's roster of booths cannot be read"
    ),
    "roster_forged": Refusal(
        NotAllowed,
        "Daftar bilik tidak ditandatangani meja yang dipasangkan",
        "The roster of booths is not signed by the paired desk",
    ),
    "roster_not_me": Refusal(
        NotAllowed,
        "Daftar bilik dari meja tidak menyebut bilik ini dengan kuncinya",
        "The desk's roster does not name this booth with its key",
    ),
    "station_not_paired": Refusal(
        NotAllowed, "Bilik ini belum dipasangkan dengan meja pendaftaran", "This booth is not paired with a desk yet"
    ),
    "booth_not_paired": Refusal(NotAllowed, "Bilik {booth} belum dipasangkan", "Booth {booth} is not paired"),
    "booth_busy": Refusal(
        NotAllowed, "Bilik {booth} masih dipakai pemilih lain", "Booth {booth} is still in use by another voter"
    ),
    "voter_has_release": Refusal(
        NotAllowed, "Pemilih ini sudah diizinkan ke bilik suara", "This voter has already been released to a booth"
    ),
    "release_unreadable": Refusal(BadInput, "Izin memilih tidak terbaca", "The release cannot be read"),
    "release_forged": Refusal(
        NotAllowed,
        "Izin memilih bukan dari meja pendaftaran TPS ini: ditolak",
        "The release is not from this station's desk: refused",
    ),
    "release_other_booth": Refusal(
        NotAllowed, "Izin memilih ini untuk bilik lain", "This release is for another booth"
    ),
    "release_other_desk": Refusal(
        NotAllowed, "Pesan ini untuk meja pendaftaran lain", "This message is for another desk"
    ),
    "release_other_election": Refusal(
        NotAllowed, "Izin memilih ini untuk pemilihan lain", "This release is for another election"
    ),
    "release_used": Refusal(
        NotAllowed,
        "Izin memilih ini sudah dipakai: satu izin, satu suara",
        "This release was already used: one release, one ballot",
    ),
    "release_revoked": Refusal(
        NotAllowed, "Izin memilih ini sudah dibatalkan meja pendaftaran", "This release was cancelled by the desk"
    ),
    "release_expired": Refusal(
        NotAllowed,
        "Izin memilih sudah kedaluwarsa (pukul {expires} UTC): minta izin baru di meja",
        "The release expired (at {expires} UTC): ask the desk for a new one",
    ),
    "release_unknown": Refusal(
        NotAllowed, "Meja pendaftaran tidak pernah memberikan izin ini", "The desk never issued this release"
    ),
    "release_not_out": Refusal(
        NotAllowed, "Izin memilih ini sudah selesai atau dibatalkan", "This release is already finished or cancelled"
    ),
    "release_not_done": Refusal(
        NotAllowed, "Izin memilih ini belum selesai di bilik ini", "This release is not finished at this booth"
    ),
    "outcome_unreadable": Refusal(BadInput, "Laporan bilik tidak terbaca", "The booth's report cannot be read"),
    "outcome_forged": Refusal(
        NotAllowed,
        "Laporan bilik tidak ditandatangani bilik yang dipasangkan: ditolak",
        "The booth's report is not signed by the paired booth: refused",
    ),
    "cancel_unreadable": Refusal(
        BadInput, "Pembatalan dari meja tidak terbaca", "The desk's cancel notice cannot be read"
    ),
    "cancel_forged": Refusal(
        NotAllowed,
        "Pembatalan bukan dari meja pendaftaran TPS ini: ditolak",
        "The cancel notice is not from this station's desk: refused",
    ),
    "booth_closing_missing": Refusal(
        NotAllowed, "Hasil bilik {booth} belum diserahkan ke meja", "Booth {booth}'s results have not reached the desk"
    ),
    "station_export_folder": Refusal(
        BadInput, "Flashdisk untuk bundel TPS tidak ditemukan", "The USB stick for the station bundle is not there"
    ),
    "booth_bundle_missing": Refusal(
        NotAllowed,
        "Bundel hasil bilik {booth} tidak ada di flashdisk: di bilik itu, pilih “Ekspor hasil” ke flashdisk ini"
        "{also_id}",
        "Booth {booth}'s results bundle is not on the USB stick: at that booth, choose “Export the results” onto "
        "this stick{also_en}",
    ),
    "booth_bundle_damaged": Refusal(
        NotAllowed,
        "Bundel hasil bilik {booth} ({file}) rusak: ekspor lagi dari bilik itu",
        "Booth {booth}'s results bundle ({file}) is damaged: export it again at that booth",
    ),
    "station_export_failed": Refusal(
        BadInput,
        "Bundel TPS tidak bisa ditulis atau tidak sah: {why}",
        "The station bundle could not be written or does not verify: {why}",
    ),
    "booth_closing_forged": Refusal(
        NotAllowed,
        "Hasil bilik {booth} tidak ditandatangani bilik yang dipasangkan: ditolak",
        "Booth {booth}'s results are not signed by the paired booth: refused",
    ),
    "closing_unreadable": Refusal(
        BadInput, "Hasil bilik yang dikirim tidak terbaca", "The booth's results sent to the desk cannot be read"
    ),
    "closing_not_paired": Refusal(
        NotAllowed,
        "Hasil ini bukan dari bilik yang dipasangkan ke meja ini: ditolak",
        "These results are not from a booth paired with this desk: refused",
    ),
    "booth_closing_other_election": Refusal(
        NotAllowed, "Hasil bilik {booth} untuk pemilihan lain", "Booth {booth}'s results are for another election"
    ),
    # --- what a person typed
    "bad_field": Refusal(
        BadInput,
        "Isian {field_id} tidak sah (paling banyak {limit} huruf)",
        "Invalid {field_en} (at most {limit} characters)",
    ),
    "field_required": Refusal(BadInput, "Isian {field_id} wajib diisi", "The {field_en} is required"),
}


def refuse(reason: str, *, words: Mapping[str, object] | None = None, **details) -> BoothError:
    """The refusal for ``reason`` (a key of :data:`REFUSALS`), ready to raise.

    ``words`` fill the placeholders of its words; ``details`` go with the
    error as they are.  An unknown reason is a bug: KeyError.
    """
    refusal = REFUSALS[reason]
    fill = dict(words or {})
    return refusal.error(refusal.id_text.format(**fill), refusal.en_text.format(**fill), **details)


def markdown_table() -> str:
    """The refusals as the Markdown table of ``docs/election-day.md`` (reason, code, words)."""
    lines = ["| reason | code | Bahasa Indonesia | English |", "| --- | --- | --- | --- |"]
    for reason, r in REFUSALS.items():
        lines.append(f"| `{reason}` | `{r.error.code}` | {r.id_text} | {r.en_text} |")
    return "\n".join(lines)
