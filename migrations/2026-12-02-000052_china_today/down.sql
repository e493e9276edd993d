DROP FUNCTION china_today();
