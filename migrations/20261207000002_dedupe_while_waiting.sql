-- A dedupe key holds only while a job waits (pending, or failed and waiting to retry): a notice
-- that arrives while the same read is running must make a new job, or the newer state it
-- announces is never read. A running job that would go back to waiting while a newer identical
-- job waits is cancelled instead (the newer one does the same work).
drop index job_dedupe_key;
create unique index job_dedupe_key on job (queue, dedupe_key)
    where dedupe_key is not null and state in ('pending', 'failed');
