-- Actors stored before 0010 had no first-seen time: the time they were last fetched is the closest we know.
UPDATE `actors` SET `created_at` = `fetched_at` WHERE `created_at` = 0;
