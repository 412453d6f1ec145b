-- 0001: the kv table behind the `kv` import (see store/postgres.rs).
-- Keys and values are bytea so that any string a cog writes (NUL included) round-trips
-- and keys sort by their UTF-8 bytes, exactly as in the SQLite store. To read them:
--   SELECT cog, guild, convert_from(key, 'UTF8'), convert_from(value, 'UTF8') FROM astra_kv;
CREATE TABLE astra_kv (
    cog   text  NOT NULL,
    guild text  NOT NULL,
    key   bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (cog, guild, key)
);
