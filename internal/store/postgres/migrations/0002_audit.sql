-- Audit trail. The chain writer assigns ids (the chain numbers them), so id is a
-- plain bigint. The table is partitioned by chained_at, which never decreases
-- along the chain: retention drops whole old partitions and what is left is
-- still an unbroken run of ids.
--
-- Native declarative partitioning (RANGE, one partition per UTC day, created
-- ahead by the store's EnsureAuditPartitions, with a DEFAULT partition catching
-- anything outside them) is the normal layout. When the timescaledb extension is
-- installed or can be created, the table is a hypertable instead: one-day chunks,
-- compressed after seven days; PruneAudit then cuts with drop_chunks, so the
-- retention period stays one setting (AUDIT_RETENTION_DAYS) rather than a second
-- copy in a database job.

DO $audit$
DECLARE
    columns constant text := $cols$
        id          bigint      NOT NULL,
        chained_at  timestamptz NOT NULL,
        time        timestamptz NOT NULL,
        request_id  text        NOT NULL,
        user_id     bigint      NOT NULL,
        api_key_id  text        NOT NULL,
        role        text        NOT NULL,
        client_ip   text        NOT NULL,
        method      text        NOT NULL,
        route       text        NOT NULL,
        path        text        NOT NULL,
        status      integer     NOT NULL,
        latency_us  bigint      NOT NULL,
        user_agent  text        NOT NULL,
        summary     text        NOT NULL,
        prev_hash   bytea       NOT NULL,
        hash        bytea       NOT NULL,
        PRIMARY KEY (id, chained_at)
    $cols$;
    hyper boolean := false;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
        BEGIN
            CREATE EXTENSION IF NOT EXISTS timescaledb;
            hyper := true;
        EXCEPTION WHEN OTHERS THEN
            -- Available but not loadable (not in shared_preload_libraries) or
            -- not permitted: native partitioning does the same job.
            RAISE NOTICE 'timescaledb not usable (%), using native partitioning', SQLERRM;
        END;
    END IF;

    IF hyper THEN
        EXECUTE 'CREATE TABLE audit_records (' || columns || ')';
        PERFORM create_hypertable('audit_records', 'chained_at',
            chunk_time_interval => interval '1 day');
        ALTER TABLE audit_records SET (timescaledb.compress,
            timescaledb.compress_orderby = 'id');
        PERFORM add_compression_policy('audit_records', interval '7 days');
    ELSE
        EXECUTE 'CREATE TABLE audit_records (' || columns || ') PARTITION BY RANGE (chained_at)';
        CREATE TABLE audit_records_default PARTITION OF audit_records DEFAULT;
    END IF;
END
$audit$;

CREATE INDEX audit_records_user ON audit_records (user_id, id);
CREATE INDEX audit_records_ip ON audit_records (client_ip, id);

-- audit_head is the one row the writer attaches the next record to. Its row lock
-- serializes appends from several processes, and it survives retention, so ids
-- keep increasing after every record is pruned.
CREATE TABLE audit_head (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    id         bigint      NOT NULL,
    hash       bytea       NOT NULL,
    chained_at timestamptz
);

INSERT INTO audit_head (id, hash) VALUES (0, decode(repeat('00', 32), 'hex'));
