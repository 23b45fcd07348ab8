-- placewatch schema 12 (SQLite): search understands English word forms.
--
-- The five full-text indexes (one per item status, see 0001) are rebuilt
-- with FTS5's porter stemmer in front of unicode61, so "pothole" finds
-- "potholes" and "reported" finds "reporting". A query's words go through
-- the same tokenizer; so does the desk's highlighting
-- (store::plan::TOKENIZER), so what is marked is what matched.
--
-- The filter markers (private-use character + hex) go through the stemmer
-- too, consistently in documents and queries. The only Porter rule a string
-- of hex digits can meet is step 5a, dropping a final "e" (the "ed" rules
-- need a final byte 0xED, which UTF-8 never ends with; every other suffix
-- has a letter beyond a-f). A stemmed marker is therefore an odd number of
-- hex digits, which no unstemmed marker is, and two values never share a
-- marker (tests/it/store/search.rs: filter_markers_survive_the_stemmer).
--
-- The indexes are filled again from item_documents: some seconds, once, on
-- a store of 200,000 items.

DROP TABLE items_fts_new;
CREATE VIRTUAL TABLE items_fts_new USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO items_fts_new (items_fts_new, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_new (rowid, document)
    SELECT id, document FROM item_documents WHERE status = 'new' ORDER BY id;

DROP TABLE items_fts_in_progress;
CREATE VIRTUAL TABLE items_fts_in_progress USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO items_fts_in_progress (items_fts_in_progress, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_in_progress (rowid, document)
    SELECT id, document FROM item_documents WHERE status = 'in_progress' ORDER BY id;

DROP TABLE items_fts_replied;
CREATE VIRTUAL TABLE items_fts_replied USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO items_fts_replied (items_fts_replied, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_replied (rowid, document)
    SELECT id, document FROM item_documents WHERE status = 'replied' ORDER BY id;

DROP TABLE items_fts_referred;
CREATE VIRTUAL TABLE items_fts_referred USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO items_fts_referred (items_fts_referred, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_referred (rowid, document)
    SELECT id, document FROM item_documents WHERE status = 'referred' ORDER BY id;

DROP TABLE items_fts_dismissed;
CREATE VIRTUAL TABLE items_fts_dismissed USING fts5 (
    document, content = '', contentless_delete = 1,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
INSERT INTO items_fts_dismissed (items_fts_dismissed, rank) VALUES ('automerge', 16);
INSERT INTO items_fts_dismissed (rowid, document)
    SELECT id, document FROM item_documents WHERE status = 'dismissed' ORDER BY id;
