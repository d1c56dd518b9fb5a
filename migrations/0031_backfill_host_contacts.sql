-- Each host's last success from the delivery records kept before host_contacts existed: the
-- latest done batch that named it and left no failure row for it (a failure row says the
-- activity did not reach it, or not yet). Only the newest 50,000 batches are read (a rowid
-- range: the table is never pruned, and this must stay well within D1's time and the free
-- plan's rows read); a host reached only before them gets its row at its next delivery.
INSERT OR IGNORE INTO `host_contacts` (`host`, `last_success_at`)
SELECT `hosts`.`value`, max(`b`.`done_at`)
FROM `delivery_batches` AS `b`, json_each(`b`.`hosts`) AS `hosts`
WHERE `b`.`rowid` > (SELECT coalesce(max(`rowid`), 0) - 50000 FROM `delivery_batches`)
  AND `b`.`state` = 'done'
  AND `b`.`done_at` IS NOT NULL
  AND NOT EXISTS (
    SELECT 1 FROM `delivery_failures` AS `f`
    WHERE `f`.`activity_id` = `b`.`activity_id` AND `f`.`host` = `hosts`.`value`
  )
GROUP BY `hosts`.`value`;
