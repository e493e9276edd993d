-- Foreign keys that cost the deadline rush and protect nothing the schema does not
-- protect already (docs/benchmarks.md, "Bids at the deadline"):
--
-- * audit_seal.entry_id -> audit_log: every seal's check took a FOR KEY SHARE lock on its
--   audit entry (one more write of every entry), and PostgreSQL keeps the check's plan for
--   the life of a connection: planned while audit_log was a page or two, it stayed a
--   sequential scan as the log grew (2.5 ms a seal at 20,000 entries). Entries cannot be
--   deleted (refuse_change), the sealer seals only entries it has just read, and
--   `vbp audit verify` reports a seal whose entry is missing.
-- * bids.round_id -> rounds: implied by bids (round_id, lot_id) -> lots (round_id, id),
--   whose lot row references the round; the second check locked the round's one row in
--   every bid transaction (a MultiXact shared by every concurrent submitter).
ALTER TABLE audit_seal DROP CONSTRAINT audit_seal_entry_id_fkey;
ALTER TABLE bids DROP CONSTRAINT bids_round_id_fkey;
