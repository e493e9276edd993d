DROP TABLE shortage_reports;
