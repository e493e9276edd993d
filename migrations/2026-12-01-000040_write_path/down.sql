ALTER TABLE bids ADD CONSTRAINT bids_round_id_fkey FOREIGN KEY (round_id) REFERENCES rounds (id);
ALTER TABLE audit_seal ADD CONSTRAINT audit_seal_entry_id_fkey FOREIGN KEY (entry_id) REFERENCES audit_log (id);
