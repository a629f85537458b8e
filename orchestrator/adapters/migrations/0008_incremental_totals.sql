-- Totals kept by adding each change, and the insights' totals per cell (issue 10,
-- items 7 and 8, at the size of a year).
--
-- Migrations 0006 and 0007 recomputed the totals of every key a change touched
-- from the base rows: archiving a 1000-person pass recounted the places of
-- every session the planner met and the year of each person in it (seconds).
-- Here each change adds its own contribution instead: the rows a statement
-- removed count -1 and the rows it added +1 (an update is both), so a total
-- moves by exactly what changed. Counts of distinct people (who attended a
-- class, who answered a pulse question) ask, for the people in the change
-- only, whether they counted before and after; those keys are taken under the
-- transaction-level advisory locks of 0006, so two passes of one class
-- archived at once see each other's rows. Sums are added with
-- INSERT ... ON CONFLICT DO UPDATE (row locks, in key order).
--
-- The leadership insights read totals per *cell* (department, site, level)
-- instead of every person's rows: who answered each question
-- (insight_cells), how often each value was given (insight_cell_keys) and how
-- often each word was written (insight_cell_words). The rows about a person
-- (leadership_respondents, leadership_keys and the new leadership_texts, one
-- row per leadership answer that carries words) carry that person's cell; a
-- trigger on people moves them when a roster change moves the person, and
-- triggers on those tables move the cell totals with them (a row copies its
-- author's cell under the roster import's advisory lock, shared, so an import
-- and an archive never interleave). Erasure removes
-- the rows about the person (their cell totals drop by their part) and
-- leadership_texts is in erase_person's list. A cell total is about the
-- people of a cell together; the page shows it only for k-safe slices.
--
-- Words are found as exercises.gym.insights.themes finds them: runs of letters
-- with inner apostrophes or hyphens, lower-cased. Stop words and short words are
-- left out when the page reads the totals (the list lives in the code).

DROP TRIGGER enrolments_inserted ON enrolments;
DROP TRIGGER enrolments_updated ON enrolments;
DROP TRIGGER enrolments_deleted ON enrolments;
DROP TRIGGER attendance_inserted ON attendance;
DROP TRIGGER attendance_updated ON attendance;
DROP TRIGGER attendance_deleted ON attendance;
DROP TRIGGER archived_answers_inserted ON archived_answers;
DROP TRIGGER archived_answers_updated ON archived_answers;
DROP TRIGGER archived_answers_deleted ON archived_answers;
DROP TRIGGER archived_answers_keys_inserted ON archived_answers;
DROP TRIGGER archived_answers_keys_updated ON archived_answers;
DROP TRIGGER archived_answers_keys_deleted ON archived_answers;
DROP FUNCTION onlive_places_changed();
DROP FUNCTION onlive_answers_changed();
DROP FUNCTION onlive_leadership_answers_changed();

-- Each row about a person carries the person's cell (kept current by a trigger on
-- people, below).
ALTER TABLE leadership_respondents ADD COLUMN department text, ADD COLUMN site text,
    ADD COLUMN level text;
UPDATE leadership_respondents r SET department = p.department, site = p.site, level = p.level
FROM people p WHERE p.org_id = r.org_id AND p.employee_id = r.employee_id;
ALTER TABLE leadership_respondents ALTER COLUMN department SET NOT NULL,
    ALTER COLUMN site SET NOT NULL, ALTER COLUMN level SET NOT NULL;

ALTER TABLE leadership_keys ADD COLUMN department text, ADD COLUMN site text,
    ADD COLUMN level text;
UPDATE leadership_keys k SET department = p.department, site = p.site, level = p.level
FROM people p WHERE p.org_id = k.org_id AND p.employee_id = k.employee_id;
ALTER TABLE leadership_keys ALTER COLUMN department SET NOT NULL,
    ALTER COLUMN site SET NOT NULL, ALTER COLUMN level SET NOT NULL;
-- A change adds its count (below 0 when answers go) with INSERT ... ON CONFLICT, whose
-- proposed row is checked before it meets the stored one; rows at 0 are removed.
ALTER TABLE leadership_keys DROP CONSTRAINT leadership_keys_n_check;

-- One row per leadership answer that carries words or texts: its words and texts
-- (as exercises.gym.insights reads them from the answer) and its author's cell.
CREATE TABLE leadership_texts (
    org_id      text NOT NULL,
    pass_id     text NOT NULL,
    step_id     text NOT NULL,
    employee_id text NOT NULL,
    program_id  text NOT NULL,
    class_id    text NOT NULL,
    step_kind   text NOT NULL,
    department  text NOT NULL,
    site        text NOT NULL,
    level       text NOT NULL,
    answered_at timestamptz NOT NULL,
    texts       text[] NOT NULL,
    -- By person first: erasure and roster moves find a person's rows by it.
    PRIMARY KEY (org_id, employee_id, pass_id, step_id),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
-- The newest free texts (the page shows some) of a question and of a cell.
CREATE INDEX leadership_texts_newest
    ON leadership_texts (org_id, program_id, class_id, step_id, answered_at DESC)
    WHERE step_kind IN ('reflection', 'commitment', 'follow-up');
CREATE INDEX leadership_texts_cell_newest
    ON leadership_texts (org_id, program_id, class_id, step_id, department, site, level,
                         answered_at DESC)
    WHERE step_kind IN ('reflection', 'commitment', 'follow-up');

CREATE TABLE insight_cells (
    org_id     text NOT NULL,
    program_id text NOT NULL,
    class_id   text NOT NULL,
    step_id    text NOT NULL,
    department text NOT NULL,
    site       text NOT NULL,
    level      text NOT NULL,
    people     integer NOT NULL,
    PRIMARY KEY (org_id, program_id, class_id, step_id, department, site, level),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE
);

CREATE TABLE insight_cell_keys (
    org_id     text NOT NULL,
    program_id text NOT NULL,
    class_id   text NOT NULL,
    step_id    text NOT NULL,
    step_kind  text NOT NULL,
    department text NOT NULL,
    site       text NOT NULL,
    level      text NOT NULL,
    key        text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (org_id, program_id, class_id, step_id, step_kind, department, site, level,
                 key),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE
);

CREATE TABLE insight_cell_words (
    org_id     text NOT NULL,
    program_id text NOT NULL,
    class_id   text NOT NULL,
    step_id    text NOT NULL,
    step_kind  text NOT NULL,
    department text NOT NULL,
    site       text NOT NULL,
    level      text NOT NULL,
    word       text NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (org_id, program_id, class_id, step_id, step_kind, department, site, level,
                 word),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE
);

-- The words and texts of an answer, as exercises.gym.insights.texts_of reads them (one
-- expression, so the planner inlines it).
CREATE FUNCTION onlive_answer_texts(value jsonb) RETURNS text[] LANGUAGE sql IMMUTABLE AS $$
    SELECT array_remove(ARRAY[
               CASE WHEN jsonb_typeof(value->'text') = 'string'
                         AND value->>'text' ~ '[^[:space:]]' THEN value->>'text' END,
               CASE WHEN jsonb_typeof(value->'word') = 'string'
                         AND value->>'word' ~ '[^[:space:]]' THEN value->>'word' END],
               NULL)
           || CASE WHEN jsonb_typeof(value->'words') = 'array' THEN ARRAY(
                  SELECT w #>> '{}' FROM jsonb_array_elements(value->'words') w
                  WHERE jsonb_typeof(w) = 'string' AND w #>> '{}' ~ '[^[:space:]]')
              ELSE '{}'::text[] END;
$$;

-- The words of a text (exercises.gym.insights._WORD on the lower-cased text). Letters are
-- Unicode letters whatever the database's locale: with ICU's root collation where there
-- is one, else C.UTF-8's.
DO $do$
DECLARE
    coll text;
BEGIN
    SELECT quote_ident(collname) INTO coll FROM pg_collation
    WHERE collname IN ('und-x-icu', 'C.utf8', 'C.UTF-8')
      AND collencoding IN (-1, pg_char_to_encoding('UTF8'))
    ORDER BY array_position(ARRAY['und-x-icu', 'C.utf8', 'C.UTF-8'], collname::text)
    LIMIT 1;
    EXECUTE format($f$
        CREATE FUNCTION onlive_words(texts text[]) RETURNS SETOF text
        LANGUAGE sql IMMUTABLE AS $$
            SELECT m[1] FROM unnest(texts) t,
                 regexp_matches(lower(t COLLATE %s), '[[:alpha:]]+(?:[''’-][[:alpha:]]+)*',
                                'g') m;
        $$;$f$, coalesce(coll, '"default"'));
END $do$;

-- Everything of one organisation's insights, after a load that bypassed the triggers
-- (replaces 0007's): the rows about people from the answers and the roster, the cell
-- totals from those rows.
CREATE OR REPLACE FUNCTION onlive_refresh_insight_totals(org text) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    UPDATE leadership_respondents r SET department = p.department, site = p.site,
                                        level = p.level
    FROM people p
    WHERE r.org_id = org AND p.org_id = r.org_id AND p.employee_id = r.employee_id
      AND (r.department, r.site, r.level) IS DISTINCT FROM (p.department, p.site, p.level);
    DELETE FROM leadership_keys WHERE org_id = org;
    INSERT INTO leadership_keys (org_id, program_id, class_id, step_id, step_kind, employee_id,
                                 key, n, department, site, level)
    SELECT a.org_id, s.program_id, s.class_id, a.step_id, a.step_kind, a.employee_id, k,
           count(*), p.department, p.site, p.level
    FROM archived_answers a
    JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
    JOIN people p ON p.org_id = a.org_id AND p.employee_id = a.employee_id
    CROSS JOIN LATERAL onlive_answer_keys(a.step_kind, a.value) k
    WHERE a.org_id = org AND a.visibility = 'leadership'
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 9, 10, 11;
    DELETE FROM leadership_texts WHERE org_id = org;
    INSERT INTO leadership_texts (org_id, pass_id, step_id, employee_id, program_id, class_id,
                                  step_kind, department, site, level, answered_at, texts)
    SELECT a.org_id, a.pass_id, a.step_id, a.employee_id, s.program_id, s.class_id,
           a.step_kind, p.department, p.site, p.level, a.answered_at, x.texts
    FROM archived_answers a
    JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
    JOIN people p ON p.org_id = a.org_id AND p.employee_id = a.employee_id
    CROSS JOIN LATERAL (SELECT onlive_answer_texts(a.value) AS texts OFFSET 0) x
    WHERE a.org_id = org AND a.visibility = 'leadership'
      AND a.step_kind IN ('reflection', 'commitment', 'follow-up', 'check-in', 'check-out',
                          'word-cloud')
      AND cardinality(x.texts) > 0;
    DELETE FROM insight_cells WHERE org_id = org;
    INSERT INTO insight_cells (org_id, program_id, class_id, step_id, department, site, level,
                               people)
    SELECT org_id, program_id, class_id, step_id, department, site, level, count(*)
    FROM leadership_respondents WHERE org_id = org GROUP BY 1, 2, 3, 4, 5, 6, 7;
    DELETE FROM insight_cell_keys WHERE org_id = org;
    INSERT INTO insight_cell_keys (org_id, program_id, class_id, step_id, step_kind,
                                   department, site, level, key, n)
    SELECT org_id, program_id, class_id, step_id, step_kind, department, site, level, key,
           sum(n)
    FROM leadership_keys WHERE org_id = org GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
    DELETE FROM insight_cell_words WHERE org_id = org;
    INSERT INTO insight_cell_words (org_id, program_id, class_id, step_id, step_kind,
                                    department, site, level, word, n)
    SELECT org_id, program_id, class_id, step_id, step_kind, department, site, level, w,
           count(*)
    FROM leadership_texts CROSS JOIN LATERAL onlive_words(texts) w
    WHERE org_id = org GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
END $$;

-- The rows and totals of what is stored now, before any trigger below adds to them.
SELECT onlive_refresh_insight_totals(id) FROM organisations;

-- == the dashboard's totals (0006) and the keys (0007), by adding =================

-- The rows of one change, each with the sign it counts with and its session's program
-- and class (plpgsql keeps them in arrays of these types between statements).
CREATE TYPE onlive_place_row AS (
    sign int, org_id text, pass_id text, program_id text, program_class_id bigint,
    employee_id text, status text, joined boolean
);
CREATE TYPE onlive_answer_row AS (
    sign int, org_id text, pass_id text, program_id text, program_class_id bigint,
    class_id text, step_id text, employee_id text, step_kind text, visibility text,
    value jsonb, answered_at timestamptz
);

-- Enrolments and attendance: places and who came per session, distinct people per
-- class (attendance), places and attendance per person in a program.
CREATE FUNCTION onlive_places_delta(source text, delta onlive_place_row[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF source = 'enrolments' THEN
        INSERT INTO session_totals AS t (org_id, pass_id, enrolled, waiting)
        SELECT org_id, pass_id, sum(sign * (status = 'enrolled')::int),
               sum(sign * (status = 'waiting')::int)
        FROM unnest(delta) GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, pass_id) DO UPDATE
        SET enrolled = t.enrolled + EXCLUDED.enrolled, waiting = t.waiting + EXCLUDED.waiting;
    ELSE
        INSERT INTO session_totals AS t (org_id, pass_id, attended, missing)
        SELECT org_id, pass_id, sum(sign * joined::int), sum(sign * (NOT joined)::int)
        FROM unnest(delta) GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (org_id, pass_id) DO UPDATE
        SET attended = t.attended + EXCLUDED.attended, missing = t.missing + EXCLUDED.missing;
    END IF;

    -- Places held (not cancelled) or sessions attended, per person and program.
    INSERT INTO program_people AS t (org_id, program_id, employee_id, enrolments, attended)
    SELECT org_id, program_id, employee_id, CASE WHEN source = 'enrolments' THEN n ELSE 0 END,
           CASE WHEN source = 'enrolments' THEN 0 ELSE n END
    FROM (SELECT org_id, program_id, employee_id,
                 sum(sign * CASE WHEN source = 'enrolments' THEN (status <> 'cancelled')::int
                                 ELSE joined::int END) AS n
          FROM unnest(delta) GROUP BY 1, 2, 3) d
    WHERE n <> 0 ORDER BY 1, 2, 3
    ON CONFLICT (org_id, program_id, employee_id) DO UPDATE
    SET enrolments = t.enrolments + EXCLUDED.enrolments,
        attended = t.attended + EXCLUDED.attended;
    DELETE FROM program_people t USING (SELECT DISTINCT org_id, program_id, employee_id
                                        FROM unnest(delta)) d
    WHERE t.org_id = d.org_id AND t.program_id = d.program_id
      AND t.employee_id = d.employee_id AND t.enrolments = 0 AND t.attended = 0;

    IF source = 'enrolments' THEN
        RETURN;
    END IF;
    -- Distinct people per class: a person counts while they have a joined row in a
    -- session of it. For each person whose joined rows in a class changed by ``net``,
    -- ``now`` is their number of such rows after the change, ``now - net`` before it.
    PERFORM onlive_lock_keys(ARRAY(SELECT DISTINCT 'c:' || org_id || ':' || program_class_id
                                   FROM unnest(delta)));
    WITH classes AS MATERIALIZED (
        SELECT s.org_id, s.program_class_id, array_agg(s.pass_id) AS passes
        FROM sessions s
        WHERE (s.org_id, s.program_class_id) IN (SELECT org_id, program_class_id
                                                 FROM unnest(delta))
        GROUP BY 1, 2)
    INSERT INTO class_totals AS t (org_id, program_class_id, attendees)
    SELECT d.org_id, d.program_class_id,
           coalesce(sum((n.now > 0)::int - (n.now - d.net > 0)::int), 0)
    FROM (SELECT org_id, program_class_id, employee_id, sum(sign * joined::int) AS net
          FROM unnest(delta) GROUP BY 1, 2, 3) d
    JOIN classes c ON c.org_id = d.org_id AND c.program_class_id = d.program_class_id
    LEFT JOIN LATERAL (
        SELECT count(*) AS now FROM attendance a
        WHERE a.org_id = d.org_id AND a.pass_id = ANY(c.passes)
          AND a.employee_id = d.employee_id AND a.first_joined_at IS NOT NULL) n
      ON d.net <> 0
    GROUP BY 1, 2 ORDER BY 1, 2
    ON CONFLICT (org_id, program_class_id) DO UPDATE
    SET attendees = t.attendees + EXCLUDED.attendees;
END $$;


-- Removed rows count -1, added rows +1 (an update is both).
CREATE FUNCTION onlive_enrolments_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta onlive_place_row[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := ARRAY(SELECT (1, c.org_id, c.pass_id, s.program_id, s.program_class_id,
                              c.employee_id, c.status, false)::onlive_place_row
                      FROM came c JOIN sessions s
                        ON s.org_id = c.org_id AND s.pass_id = c.pass_id);
    ELSIF TG_OP = 'UPDATE' THEN
        delta := ARRAY(SELECT (x.sign, x.org_id, x.pass_id, s.program_id, s.program_class_id,
                              x.employee_id, x.status, false)::onlive_place_row
                      FROM (SELECT -1 AS sign, g.org_id, g.pass_id, g.employee_id, g.status
                            FROM gone g
                            UNION ALL
                            SELECT 1, c.org_id, c.pass_id, c.employee_id, c.status
                            FROM came c) x
                      JOIN sessions s ON s.org_id = x.org_id AND s.pass_id = x.pass_id);
    ELSE
        delta := ARRAY(SELECT (-1, g.org_id, g.pass_id, s.program_id, s.program_class_id,
                              g.employee_id, g.status, false)::onlive_place_row
                      FROM gone g JOIN sessions s
                        ON s.org_id = g.org_id AND s.pass_id = g.pass_id);
    END IF;
    IF cardinality(delta) > 0 THEN
        PERFORM onlive_places_delta('enrolments', delta);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION onlive_attendance_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta onlive_place_row[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := ARRAY(SELECT (1, c.org_id, c.pass_id, s.program_id, s.program_class_id,
                              c.employee_id, NULL, c.first_joined_at IS NOT NULL
                              )::onlive_place_row
                      FROM came c JOIN sessions s
                        ON s.org_id = c.org_id AND s.pass_id = c.pass_id);
    ELSIF TG_OP = 'UPDATE' THEN
        delta := ARRAY(SELECT (x.sign, x.org_id, x.pass_id, s.program_id, s.program_class_id,
                              x.employee_id, NULL, x.joined)::onlive_place_row
                      FROM (SELECT -1 AS sign, g.org_id, g.pass_id, g.employee_id,
                                   g.first_joined_at IS NOT NULL AS joined
                            FROM gone g
                            UNION ALL
                            SELECT 1, c.org_id, c.pass_id, c.employee_id,
                                   c.first_joined_at IS NOT NULL
                            FROM came c) x
                      JOIN sessions s ON s.org_id = x.org_id AND s.pass_id = x.pass_id);
    ELSE
        delta := ARRAY(SELECT (-1, g.org_id, g.pass_id, s.program_id, s.program_class_id,
                              g.employee_id, NULL, g.first_joined_at IS NOT NULL
                              )::onlive_place_row
                      FROM gone g JOIN sessions s
                        ON s.org_id = g.org_id AND s.pass_id = g.pass_id);
    END IF;
    IF cardinality(delta) > 0 THEN
        PERFORM onlive_places_delta('attendance', delta);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER enrolments_inserted AFTER INSERT ON enrolments
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_enrolments_changed();
CREATE TRIGGER enrolments_updated AFTER UPDATE ON enrolments
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_enrolments_changed();
CREATE TRIGGER enrolments_deleted AFTER DELETE ON enrolments
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_enrolments_changed();
CREATE TRIGGER attendance_inserted AFTER INSERT ON attendance
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_attendance_changed();
CREATE TRIGGER attendance_updated AFTER UPDATE ON attendance
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_attendance_changed();
CREATE TRIGGER attendance_deleted AFTER DELETE ON attendance
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_attendance_changed();

-- Archived answers: the pulse of their classes (per class and repeated question:
-- answers, the sum and number of values add up; distinct people as for
-- class_totals), the leadership keys per person and the leadership texts.
CREATE FUNCTION onlive_answers_delta(delta onlive_answer_row[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    keys leadership_keys[];
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(delta) WHERE step_kind IN ('check-in', 'scale')) THEN
        PERFORM onlive_lock_keys(ARRAY(
            SELECT DISTINCT 'p:' || org_id || ':' || program_class_id FROM unnest(delta)
            WHERE step_kind IN ('check-in', 'scale')));
        -- ``now``: everyone's answers now in the sessions of these classes, read session
        -- by session (the primary key), not person by person through their years.
        WITH now AS MATERIALIZED (
            SELECT s.org_id, s.program_class_id,
                   CASE WHEN a.step_kind = 'check-in' THEN 'energy' ELSE a.step_id END
                       AS question,
                   a.employee_id, count(*) AS n
            FROM (SELECT DISTINCT org_id, program_class_id FROM unnest(delta)
                  WHERE step_kind IN ('check-in', 'scale')) c
            JOIN sessions s ON s.org_id = c.org_id AND s.program_class_id = c.program_class_id
            CROSS JOIN LATERAL (
                SELECT x.step_kind, x.step_id, x.employee_id FROM archived_answers x
                WHERE x.org_id = s.org_id AND x.pass_id = s.pass_id
                  AND x.step_kind IN ('check-in', 'scale')
                OFFSET 0) a
            GROUP BY 1, 2, 3, 4)
        INSERT INTO class_pulse AS t (org_id, program_class_id, question, people, answers,
                                      total, valued)
        SELECT d.org_id, d.program_class_id, d.question,
               sum((coalesce(n.n, 0) > 0)::int - (coalesce(n.n, 0) - d.net > 0)::int),
               sum(d.net), sum(d.total), sum(d.valued)
        FROM (SELECT org_id, program_class_id, question, employee_id, sum(sign) AS net,
                     coalesce(sum(sign * value), 0) AS total,
                     sum(sign * (value IS NOT NULL)::int) AS valued
              FROM (SELECT sign, org_id, program_class_id, employee_id,
                           CASE WHEN step_kind = 'check-in' THEN 'energy' ELSE step_id END
                               AS question,
                           CASE WHEN step_kind = 'check-in' THEN (value->>'energy')::numeric
                                ELSE (value->>'value')::numeric END AS value
                    FROM unnest(delta) WHERE step_kind IN ('check-in', 'scale')) r
              GROUP BY 1, 2, 3, 4) d
        LEFT JOIN now n
          ON n.org_id = d.org_id AND n.program_class_id = d.program_class_id
         AND n.question = d.question AND n.employee_id = d.employee_id
        GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
        ON CONFLICT (org_id, program_class_id, question) DO UPDATE
        SET people = t.people + EXCLUDED.people, answers = t.answers + EXCLUDED.answers,
            total = t.total + EXCLUDED.total, valued = t.valued + EXCLUDED.valued;
        DELETE FROM class_pulse t USING (SELECT DISTINCT org_id, program_class_id
                                         FROM unnest(delta)) d
        WHERE t.org_id = d.org_id AND t.program_class_id = d.program_class_id
          AND t.answers = 0;
    END IF;

    -- The rows below copy their author's cell from people: a roster import, which moves
    -- people (under its advisory lock, exclusive per organisation; schema.ROSTER_LOCK),
    -- waits until this transaction ends, or this waits for it, so no row keeps a cell
    -- the import has just moved its author out of.
    PERFORM pg_advisory_xact_lock_shared(7302766, hashtext(o))
    FROM (SELECT DISTINCT org_id AS o FROM unnest(delta) WHERE visibility = 'leadership'
          ORDER BY 1) x;

    -- The leadership keys per person (0007): each answer's keys add or take away.
    keys := ARRAY(
        SELECT (r.org_id, r.program_id, r.class_id, r.step_id, r.step_kind, r.employee_id, k,
                sum(r.sign)::int, p.department, p.site, p.level)::leadership_keys
        FROM unnest(delta) r
        JOIN people p ON p.org_id = r.org_id AND p.employee_id = r.employee_id
        CROSS JOIN LATERAL onlive_answer_keys(r.step_kind, r.value) k
        WHERE r.visibility = 'leadership'
        GROUP BY r.org_id, r.program_id, r.class_id, r.step_id, r.step_kind, r.employee_id, k,
                 p.department, p.site, p.level
        HAVING sum(r.sign) <> 0
        ORDER BY 1);
    IF cardinality(keys) > 0 THEN
        INSERT INTO leadership_keys AS t
        SELECT * FROM unnest(keys)
        ON CONFLICT (org_id, program_id, class_id, step_id, step_kind, employee_id, key)
        DO UPDATE SET n = t.n + EXCLUDED.n;
        DELETE FROM leadership_keys t USING unnest(keys) d
        WHERE t.org_id = d.org_id AND t.program_id = d.program_id AND t.class_id = d.class_id
          AND t.step_id = d.step_id AND t.step_kind = d.step_kind
          AND t.employee_id = d.employee_id AND t.key = d.key AND t.n = 0;
    END IF;

    -- The texts: an answer's row goes with the answer and comes with a new one.
    DELETE FROM leadership_texts t USING unnest(delta) r
    WHERE r.sign = -1 AND t.org_id = r.org_id AND t.pass_id = r.pass_id
      AND t.step_id = r.step_id AND t.employee_id = r.employee_id;
    INSERT INTO leadership_texts (org_id, pass_id, step_id, employee_id, program_id, class_id,
                                  step_kind, department, site, level, answered_at, texts)
    SELECT r.org_id, r.pass_id, r.step_id, r.employee_id, r.program_id, r.class_id,
           r.step_kind, p.department, p.site, p.level, r.answered_at, x.texts
    FROM unnest(delta) r
    JOIN people p ON p.org_id = r.org_id AND p.employee_id = r.employee_id
    CROSS JOIN LATERAL (SELECT onlive_answer_texts(r.value) AS texts OFFSET 0) x
    WHERE r.sign = 1 AND r.visibility = 'leadership'
      AND r.step_kind IN ('reflection', 'commitment', 'follow-up', 'check-in', 'check-out',
                          'word-cloud')
      AND cardinality(x.texts) > 0
    ORDER BY 1, 4, 2, 3;
END $$;

CREATE FUNCTION onlive_answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    delta onlive_answer_row[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        delta := ARRAY(SELECT (1, c.org_id, c.pass_id, s.program_id, s.program_class_id,
                              s.class_id, c.step_id, c.employee_id, c.step_kind, c.visibility,
                              c.value, c.answered_at)::onlive_answer_row
                      FROM came c JOIN sessions s
                        ON s.org_id = c.org_id AND s.pass_id = c.pass_id);
    ELSIF TG_OP = 'UPDATE' THEN
        delta := ARRAY(SELECT (x.sign, x.org_id, x.pass_id, s.program_id, s.program_class_id,
                              s.class_id, x.step_id, x.employee_id, x.step_kind, x.visibility,
                              x.value, x.answered_at)::onlive_answer_row
                      FROM (SELECT -1 AS sign, g.* FROM gone g
                            UNION ALL SELECT 1, c.* FROM came c) x
                      JOIN sessions s ON s.org_id = x.org_id AND s.pass_id = x.pass_id);
    ELSE
        delta := ARRAY(SELECT (-1, g.org_id, g.pass_id, s.program_id, s.program_class_id,
                              s.class_id, g.step_id, g.employee_id, g.step_kind, g.visibility,
                              g.value, g.answered_at)::onlive_answer_row
                      FROM gone g JOIN sessions s
                        ON s.org_id = g.org_id AND s.pass_id = g.pass_id);
    END IF;
    IF cardinality(delta) > 0 THEN
        PERFORM onlive_answers_delta(delta);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER archived_answers_inserted AFTER INSERT ON archived_answers
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();
CREATE TRIGGER archived_answers_updated AFTER UPDATE ON archived_answers
    REFERENCING OLD TABLE AS gone NEW TABLE AS came
    FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();
CREATE TRIGGER archived_answers_deleted AFTER DELETE ON archived_answers
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();

-- == the insights' cell totals ====================================================

-- Per-person rows -> cell totals. Each trigger adds the rows a statement added and
-- takes away the rows it removed (an update, e.g. a move to another cell, is both);
-- a total that reaches 0 goes.
CREATE FUNCTION onlive_respondents_delta(gone leadership_respondents[],
                                         came leadership_respondents[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d insight_cells[];
BEGIN
    d := ARRAY(SELECT (org_id, program_id, class_id, step_id, department, site, level,
                       sum(sign)::int)::insight_cells
               FROM (SELECT -1 AS sign, g.* FROM unnest(gone) g
                     UNION ALL SELECT 1, c.* FROM unnest(came) c) r
               GROUP BY org_id, program_id, class_id, step_id, department, site, level
               HAVING sum(sign) <> 0 ORDER BY 1);
    INSERT INTO insight_cells AS t SELECT * FROM unnest(d)
    ON CONFLICT (org_id, program_id, class_id, step_id, department, site, level)
    DO UPDATE SET people = t.people + EXCLUDED.people;
    DELETE FROM insight_cells t USING unnest(d) x
    WHERE t.org_id = x.org_id AND t.program_id = x.program_id AND t.class_id = x.class_id
      AND t.step_id = x.step_id AND t.department = x.department AND t.site = x.site
      AND t.level = x.level AND t.people = 0;
END $$;

CREATE FUNCTION onlive_cell_keys_delta(gone leadership_keys[], came leadership_keys[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d insight_cell_keys[];
BEGIN
    d := ARRAY(SELECT (org_id, program_id, class_id, step_id, step_kind, department, site,
                       level, key, sum(n))::insight_cell_keys
               FROM (SELECT g.org_id, g.program_id, g.class_id, g.step_id, g.step_kind,
                            g.department, g.site, g.level, g.key, -g.n AS n
                     FROM unnest(gone) g
                     UNION ALL
                     SELECT c.org_id, c.program_id, c.class_id, c.step_id, c.step_kind,
                            c.department, c.site, c.level, c.key, c.n
                     FROM unnest(came) c) r
               GROUP BY org_id, program_id, class_id, step_id, step_kind, department, site,
                        level, key
               HAVING sum(n) <> 0 ORDER BY 1);
    INSERT INTO insight_cell_keys AS t SELECT * FROM unnest(d)
    ON CONFLICT (org_id, program_id, class_id, step_id, step_kind, department, site, level,
                 key)
    DO UPDATE SET n = t.n + EXCLUDED.n;
    DELETE FROM insight_cell_keys t USING unnest(d) x
    WHERE t.org_id = x.org_id AND t.program_id = x.program_id AND t.class_id = x.class_id
      AND t.step_id = x.step_id AND t.step_kind = x.step_kind
      AND t.department = x.department AND t.site = x.site AND t.level = x.level
      AND t.key = x.key AND t.n = 0;
END $$;

CREATE FUNCTION onlive_cell_words_delta(gone leadership_texts[], came leadership_texts[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    d insight_cell_words[];
BEGIN
    d := ARRAY(SELECT (org_id, program_id, class_id, step_id, step_kind, department, site,
                       level, w, sum(sign))::insight_cell_words
               FROM (SELECT -1 AS sign, g.* FROM unnest(gone) g
                     UNION ALL SELECT 1, c.* FROM unnest(came) c) r
               CROSS JOIN LATERAL onlive_words(r.texts) w
               GROUP BY org_id, program_id, class_id, step_id, step_kind, department, site,
                        level, w
               HAVING sum(sign) <> 0 ORDER BY 1);
    INSERT INTO insight_cell_words AS t SELECT * FROM unnest(d)
    ON CONFLICT (org_id, program_id, class_id, step_id, step_kind, department, site, level,
                 word)
    DO UPDATE SET n = t.n + EXCLUDED.n;
    DELETE FROM insight_cell_words t USING unnest(d) x
    WHERE t.org_id = x.org_id AND t.program_id = x.program_id AND t.class_id = x.class_id
      AND t.step_id = x.step_id AND t.step_kind = x.step_kind
      AND t.department = x.department AND t.site = x.site AND t.level = x.level
      AND t.word = x.word AND t.n = 0;
END $$;

CREATE FUNCTION onlive_respondents_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone_rows leadership_respondents[] := '{}';
    came_rows leadership_respondents[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone_rows := ARRAY(SELECT g::leadership_respondents FROM gone g);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came_rows := ARRAY(SELECT c::leadership_respondents FROM came c);
    END IF;
    PERFORM onlive_respondents_delta(gone_rows, came_rows);
    RETURN NULL;
END $$;

CREATE FUNCTION onlive_keys_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone_rows leadership_keys[] := '{}';
    came_rows leadership_keys[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone_rows := ARRAY(SELECT g::leadership_keys FROM gone g);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came_rows := ARRAY(SELECT c::leadership_keys FROM came c);
    END IF;
    PERFORM onlive_cell_keys_delta(gone_rows, came_rows);
    RETURN NULL;
END $$;

CREATE FUNCTION onlive_texts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    gone_rows leadership_texts[] := '{}';
    came_rows leadership_texts[] := '{}';
BEGIN
    IF TG_OP <> 'INSERT' THEN
        gone_rows := ARRAY(SELECT g::leadership_texts FROM gone g);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        came_rows := ARRAY(SELECT c::leadership_texts FROM came c);
    END IF;
    PERFORM onlive_cell_words_delta(gone_rows, came_rows);
    RETURN NULL;
END $$;

CREATE TRIGGER leadership_respondents_inserted AFTER INSERT ON leadership_respondents
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_respondents_changed();
CREATE TRIGGER leadership_respondents_updated AFTER UPDATE ON leadership_respondents
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_respondents_changed();
CREATE TRIGGER leadership_respondents_deleted AFTER DELETE ON leadership_respondents
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_respondents_changed();
CREATE TRIGGER leadership_keys_inserted AFTER INSERT ON leadership_keys
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION onlive_keys_changed();
CREATE TRIGGER leadership_keys_updated AFTER UPDATE ON leadership_keys
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_keys_changed();
CREATE TRIGGER leadership_keys_deleted AFTER DELETE ON leadership_keys
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION onlive_keys_changed();
CREATE TRIGGER leadership_texts_inserted AFTER INSERT ON leadership_texts
    REFERENCING NEW TABLE AS came FOR EACH STATEMENT EXECUTE FUNCTION onlive_texts_changed();
CREATE TRIGGER leadership_texts_updated AFTER UPDATE ON leadership_texts
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_texts_changed();
CREATE TRIGGER leadership_texts_deleted AFTER DELETE ON leadership_texts
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION onlive_texts_changed();

-- A roster change that moves people to another department, site or level moves their
-- rows, and with them their part of the cell totals.
CREATE FUNCTION onlive_people_moved() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved people[];
BEGIN
    moved := ARRAY(SELECT c::people FROM came c JOIN gone g
                     ON g.org_id = c.org_id AND g.employee_id = c.employee_id
                   WHERE (g.department, g.site, g.level)
                         IS DISTINCT FROM (c.department, c.site, c.level)
                   ORDER BY c.org_id, c.employee_id);
    IF cardinality(moved) = 0 THEN
        RETURN NULL;
    END IF;
    UPDATE leadership_respondents t
    SET department = m.department, site = m.site, level = m.level
    FROM unnest(moved) m WHERE t.org_id = m.org_id AND t.employee_id = m.employee_id;
    UPDATE leadership_keys t
    SET department = m.department, site = m.site, level = m.level
    FROM unnest(moved) m WHERE t.org_id = m.org_id AND t.employee_id = m.employee_id;
    UPDATE leadership_texts t
    SET department = m.department, site = m.site, level = m.level
    FROM unnest(moved) m WHERE t.org_id = m.org_id AND t.employee_id = m.employee_id;
    RETURN NULL;
END $$;

CREATE TRIGGER people_moved AFTER UPDATE ON people
    REFERENCING OLD TABLE AS gone NEW TABLE AS came FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_people_moved();
