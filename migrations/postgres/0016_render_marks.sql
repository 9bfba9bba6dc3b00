-- The last complete render of each crawl (see the SQLite migration of the same number). On
-- PostgreSQL no count of input writes is kept: writers on other machines commit out of order,
-- so a count read at a render's start could include a write the render cannot yet see. Renders
-- there always run whole, and this table stays empty; it exists so both schemas agree.
CREATE TABLE render_marks (
    crawl_id BIGINT PRIMARY KEY NOT NULL,
    generation BIGINT NOT NULL,
    settings TEXT NOT NULL,
    files TEXT NOT NULL
);
