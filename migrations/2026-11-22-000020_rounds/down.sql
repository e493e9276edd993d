DROP TABLE opening_shares;
DROP TABLE bid_register;
DROP TABLE bids;
DROP TABLE demands;
DROP TABLE lots;
DROP TABLE round_custodians;
DROP TABLE rounds;
