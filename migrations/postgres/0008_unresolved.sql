-- References S2 could not resolve to a paper (paperId null): kept with what S2 gives, so
-- a note lists every reference, not only the resolved ones.
CREATE TABLE unresolved_references (
    citing TEXT NOT NULL,
    ord BIGINT NOT NULL,                            -- order in S2's list of the unresolved
    title TEXT NOT NULL,
    year BIGINT,
    PRIMARY KEY (citing, ord)
);
