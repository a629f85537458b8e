-- The class page (issue 10, item 9): the organisation adapts its classes.
--
-- Each save is still a new row of class_versions, never an edit. A version
-- now says how it was made (a class file, the built-in library, the class
-- page, an imported file) and which version the page started from, and a
-- class says which class it was copied from, so the page can show both.
ALTER TABLE classes ADD COLUMN copied_from text
    CHECK (copied_from ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$');
ALTER TABLE class_versions ADD COLUMN source text NOT NULL DEFAULT 'file'
    CHECK (source IN ('file', 'library', 'editor', 'import'));
ALTER TABLE class_versions ADD COLUMN based_on integer CHECK (based_on >= 1);
-- Which sessions still run an older version (the page says so beside it).
CREATE INDEX sessions_class_version ON sessions (org_id, class_id, class_version);
