-- The read benchmark's data set (bench/run_bench.sh measurement 4, bench/run_reads.sh): :rows
-- finished messages created over the last 30 days, three message types, statuses
-- sent/delivered/read/failed, inserted in one transaction through the real schema. Since migration
-- 0008 the store, not a trigger, adds a new message to the statistics counters, so the counters
-- are added here from the inserted rows (the bench messages are the only ones with these ids).
-- The scripts replace :rows with the count and feed this to the sqlite3 shell.
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :rows),
now(ms) AS (SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000)
INSERT INTO notifications_log (id, phone, message_type, provider_template_name, language, parameters,
    context, status, provider_message_id, attempts, created_at, updated_at, sent_at, delivered_at,
    read_at, failed_at)
SELECT printf('b0000000-0000-4000-8000-%012x', i), printf('+9198%08d', i % 50000000),
    CASE i % 3 WHEN 0 THEN 'delivery_reminder' WHEN 1 THEN 'payment_reminder' ELSE 'order_confirmation' END,
    'delivery_reminder', 'en', '["Bench","Jan 28","Area"]',
    '{"customer_name":"Bench","delivery_date":"Jan 28","area":"Area"}',
    CASE WHEN i % 20 = 0 THEN 'failed' WHEN i % 3 = 0 THEN 'read' WHEN i % 3 = 1 THEN 'delivered' ELSE 'sent' END,
    CASE WHEN i % 20 = 0 THEN NULL ELSE printf('wamid.bench%d', i) END, 1,
    ms - (:rows - i) * 2592, ms - (:rows - i) * 2592,
    CASE WHEN i % 20 = 0 THEN NULL ELSE ms - (:rows - i) * 2592 END,
    CASE WHEN i % 20 <> 0 AND i % 3 <> 2 THEN ms - (:rows - i) * 2592 END,
    CASE WHEN i % 20 <> 0 AND i % 3 = 0 THEN ms - (:rows - i) * 2592 END,
    CASE WHEN i % 20 = 0 THEN ms - (:rows - i) * 2592 END
FROM n, now;
INSERT INTO stats_hourly (hour, message_type, status, count)
SELECT created_at / 3600000, message_type, status, COUNT(*) FROM notifications_log
WHERE id LIKE 'b0000000-0000-4000-8000-%' GROUP BY 1, 2, 3
ON CONFLICT (hour, message_type, status) DO UPDATE SET count = count + excluded.count;
INSERT INTO stats_daily (day, message_type, status, count)
SELECT created_at / 86400000, message_type, status, COUNT(*) FROM notifications_log
WHERE id LIKE 'b0000000-0000-4000-8000-%' GROUP BY 1, 2, 3
ON CONFLICT (day, message_type, status) DO UPDATE SET count = count + excluded.count;
INSERT INTO stats_total (message_type, status, count)
SELECT message_type, status, COUNT(*) FROM notifications_log
WHERE id LIKE 'b0000000-0000-4000-8000-%' GROUP BY 1, 2
ON CONFLICT (message_type, status) DO UPDATE SET count = count + excluded.count;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
