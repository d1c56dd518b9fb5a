-- 0003 added `outbox.fanned_out_at` and left it empty on the rows already there, which the
-- code before it had delivered: the cron (`sweepUnsentFanouts`) reads empty as "never
-- queued" and would send each of them again. Marks those rows fanned out at their own
-- `published`; rows stored since 0003 was applied keep an empty value when it is truly
-- empty (stored, not yet queued), so the cron still sends them. On a database created at
-- 0003 or later no row is older than 0003's application, and nothing changes.
UPDATE `outbox` SET `fanned_out_at` = `published`
WHERE `fanned_out_at` IS NULL
  AND `published` < (
    SELECT CAST(strftime('%s', `applied_at`) AS INTEGER) * 1000
    FROM `d1_migrations` WHERE `name` = '0003_delivery_tracking.sql'
  );
