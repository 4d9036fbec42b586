"""The risk-limiting audit of the paper slips (``booth audit``), for the committee after the count.

A ballot-level comparison audit: slips are drawn from the audit boxes by a
public random seed, each slip's ballot ID and the choice read off it are
compared with the cast vote record (CVR) of that ID from the signed bundle,
and the Kaplan-Markov risk measure says when the paper has confirmed the
outcome (or that the committee must count more, up to every slip).

* :mod:`booth.audit.risk`     -- the statistics: Kaplan-Markov risk and sample sizes, BRAVO for polling
* :mod:`booth.audit.sampling` -- the seed ceremony and the SHA-256 counter-mode sampler
* :mod:`booth.audit.record`   -- the audit record: every input, hash-chained and signed; ``check``
* :mod:`booth.audit.contest`  -- the contest from the verified bundles: boxes, CVRs, the reported tally
* :mod:`booth.audit.cli`      -- ``booth audit ...``

Nothing else in booth imports this package; it reads ``booth.ledger``,
``booth.paper`` and ``booth.recap`` and never writes to them.
"""
