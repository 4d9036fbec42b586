"""A polling station of several devices: one check-in desk and the booths it releases ballots to.

The desk (companions: check-in, photo, releases) and the booths (the voter: ballot, confirmation,
slip) are separate devices of one station; each keeps its own ledger and watches the others'.
"""
