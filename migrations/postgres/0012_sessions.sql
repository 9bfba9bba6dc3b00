-- Dashboard sessions (see src/serve/session.rs): a browser that logged in with the API
-- token holds a random session id in a cookie; only its SHA-256 is stored, so a copy of
-- the database cannot be replayed as a cookie. Logout deletes the row; a row past
-- `expires_at`, or made under another token (`token_tag`), no longer lets anyone in.

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY NOT NULL,            -- hex SHA-256 of the cookie's value
    token_tag TEXT NOT NULL,                      -- which API token it was made under
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE INDEX sessions_expiry ON sessions (expires_at);
