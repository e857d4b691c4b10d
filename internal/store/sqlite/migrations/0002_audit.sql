-- Audit trail. Records are written by one chain writer with ids it assigns (the
-- chain numbers them), so id is a plain INTEGER PRIMARY KEY, never reused.
-- audit_head is the single row the writer attaches the next record to; it
-- survives retention, so ids keep increasing after every record is pruned.

CREATE TABLE audit_records (
    id          INTEGER PRIMARY KEY,
    chained_at  INTEGER NOT NULL,
    time        INTEGER NOT NULL,
    request_id  TEXT    NOT NULL,
    user_id     INTEGER NOT NULL,
    api_key_id  TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    client_ip   TEXT    NOT NULL,
    method      TEXT    NOT NULL,
    route       TEXT    NOT NULL,
    path        TEXT    NOT NULL,
    status      INTEGER NOT NULL,
    latency_us  INTEGER NOT NULL,
    user_agent  TEXT    NOT NULL,
    summary     TEXT    NOT NULL,
    prev_hash   BLOB    NOT NULL,
    hash        BLOB    NOT NULL
) STRICT;

CREATE INDEX audit_records_chained ON audit_records (chained_at);
CREATE INDEX audit_records_user ON audit_records (user_id, id);
CREATE INDEX audit_records_ip ON audit_records (client_ip, id);

CREATE TABLE audit_head (
    singleton  INTEGER PRIMARY KEY CHECK (singleton = 1),
    id         INTEGER NOT NULL,
    hash       BLOB    NOT NULL,
    chained_at INTEGER NOT NULL
) STRICT;

INSERT INTO audit_head (singleton, id, hash, chained_at) VALUES (1, 0, zeroblob(32), 0);
