-- Today's date in China Standard Time (UTC+8, no daylight saving): the calendar of every
-- business date (ceilings, bars, cycles). One definition for the queries that need it in
-- SQL; the Rust side has `db::rounds::china_date`.
CREATE FUNCTION china_today() RETURNS date LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT (now() AT TIME ZONE 'UTC' + interval '8 hours')::date $$;
