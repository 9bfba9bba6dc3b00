-- Who cites a paper, read from the index alone: rendering a crawl reads every edge into
-- its members, and the narrow index on `cited` sent each row back to the table.
CREATE INDEX citations_cited_covering ON citations (cited, citing, is_influential);
DROP INDEX citations_cited;
