-- A count of the writes to what notes are made from. Every insert, update or delete in a
-- table a render reads (papers, their authors and edges, crawls and their members, summaries,
-- PDFs, OpenAlex fills, merges, refreshes) adds one to `n`; the tables a render writes itself
-- (notes, citekeys, metrics, analysis) do not. A render remembers the count it started from
-- and the files it left (`render_marks`): a later render of the same crawl that finds the same
-- count and every file as it was has nothing to do (`render::unchanged`). SQLite runs one
-- writer at a time, so a render never starts from a count whose writes it cannot see. On
-- PostgreSQL, writers of other machines commit out of order, so the count is not kept there.
CREATE TABLE input_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    n INTEGER NOT NULL
);
INSERT INTO input_generation (id, n) VALUES (1, 0);

-- The last complete render of each crawl with nothing skipped or failed: the count it started
-- from, the settings it used (a hash), and each file it left ("stamp<TAB>path" lines).
CREATE TABLE render_marks (
    crawl_id INTEGER PRIMARY KEY NOT NULL,
    generation INTEGER NOT NULL,
    settings TEXT NOT NULL,
    files TEXT NOT NULL
);

CREATE TRIGGER papers_insert_counted AFTER INSERT ON papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER papers_update_counted AFTER UPDATE ON papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER papers_delete_counted AFTER DELETE ON papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER authors_insert_counted AFTER INSERT ON authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER authors_update_counted AFTER UPDATE ON authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER authors_delete_counted AFTER DELETE ON authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_authors_insert_counted AFTER INSERT ON paper_authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_authors_update_counted AFTER UPDATE ON paper_authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_authors_delete_counted AFTER DELETE ON paper_authors BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER citations_insert_counted AFTER INSERT ON citations BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER citations_update_counted AFTER UPDATE ON citations BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER citations_delete_counted AFTER DELETE ON citations BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawls_insert_counted AFTER INSERT ON crawls BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawls_update_counted AFTER UPDATE ON crawls BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawls_delete_counted AFTER DELETE ON crawls BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_members_insert_counted AFTER INSERT ON crawl_members BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_members_update_counted AFTER UPDATE ON crawl_members BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_members_delete_counted AFTER DELETE ON crawl_members BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_left_out_insert_counted AFTER INSERT ON crawl_left_out BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_left_out_update_counted AFTER UPDATE ON crawl_left_out BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_left_out_delete_counted AFTER DELETE ON crawl_left_out BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_seeds_insert_counted AFTER INSERT ON crawl_seeds BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_seeds_update_counted AFTER UPDATE ON crawl_seeds BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER crawl_seeds_delete_counted AFTER DELETE ON crawl_seeds BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER library_papers_insert_counted AFTER INSERT ON library_papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER library_papers_update_counted AFTER UPDATE ON library_papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER library_papers_delete_counted AFTER DELETE ON library_papers BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER summaries_insert_counted AFTER INSERT ON summaries BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER summaries_update_counted AFTER UPDATE ON summaries BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER summaries_delete_counted AFTER DELETE ON summaries BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER pdfs_insert_counted AFTER INSERT ON pdfs BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER pdfs_update_counted AFTER UPDATE ON pdfs BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER pdfs_delete_counted AFTER DELETE ON pdfs BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER unresolved_references_insert_counted AFTER INSERT ON unresolved_references BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER unresolved_references_update_counted AFTER UPDATE ON unresolved_references BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER unresolved_references_delete_counted AFTER DELETE ON unresolved_references BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER openalex_works_insert_counted AFTER INSERT ON openalex_works BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER openalex_works_update_counted AFTER UPDATE ON openalex_works BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER openalex_works_delete_counted AFTER DELETE ON openalex_works BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_merges_insert_counted AFTER INSERT ON paper_merges BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_merges_update_counted AFTER UPDATE ON paper_merges BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER paper_merges_delete_counted AFTER DELETE ON paper_merges BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER merge_refusals_insert_counted AFTER INSERT ON merge_refusals BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER merge_refusals_update_counted AFTER UPDATE ON merge_refusals BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER merge_refusals_delete_counted AFTER DELETE ON merge_refusals BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refreshes_insert_counted AFTER INSERT ON refreshes BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refreshes_update_counted AFTER UPDATE ON refreshes BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refreshes_delete_counted AFTER DELETE ON refreshes BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refresh_before_insert_counted AFTER INSERT ON refresh_before BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refresh_before_update_counted AFTER UPDATE ON refresh_before BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER refresh_before_delete_counted AFTER DELETE ON refresh_before BEGIN UPDATE input_generation SET n = n + 1; END;
-- The notes' names are read by other crawls' notes (a link to a paper or an author note): a
-- new name, a forgotten one or a moved note counts too. What a render records of its own
-- notes (hashes, stamps) does not.
CREATE TRIGGER notes_insert_counted AFTER INSERT ON notes BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER notes_delete_counted AFTER DELETE ON notes BEGIN UPDATE input_generation SET n = n + 1; END;
CREATE TRIGGER notes_move_counted AFTER UPDATE OF path ON notes WHEN OLD.path IS NOT NEW.path
BEGIN UPDATE input_generation SET n = n + 1; END;
-- A deleted crawl's mark goes with it.
CREATE TRIGGER crawls_delete_mark AFTER DELETE ON crawls BEGIN DELETE FROM render_marks WHERE crawl_id = OLD.crawl_id; END;
