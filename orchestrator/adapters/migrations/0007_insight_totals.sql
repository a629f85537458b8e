-- Totals for the leadership insights (issue 10, item 8, at the size of a year).
--
-- The insights page counted every leadership answer of the program on each
-- request. leadership_keys keeps, per person and leadership question, how
-- often they gave each value (a scale's value, a check-in's energy, a
-- follow-up's "tried", each chosen option of a poll): the page sums these
-- over the people of a slice, whose department, site and level are read at
-- that moment, as before. A trigger on archived_answers recomputes the rows
-- of the people whose answers changed or were removed (exact, under a
-- transaction-level advisory lock per person and program, see migration 0006);
-- inserted answers are added to the counts under the same lock. These rows are
-- about a person: erasure removes them (the trigger, the foreign key, and
-- erase_person lists the table).
--
-- The free texts are read newest first per question, at most a bound each,
-- from an index in answer-time order.

CREATE TABLE leadership_keys (
    org_id      text NOT NULL,
    program_id  text NOT NULL,
    class_id    text NOT NULL,
    step_id     text NOT NULL,
    step_kind   text NOT NULL,
    employee_id text NOT NULL,
    key         text NOT NULL,
    n           integer NOT NULL CHECK (n > 0),
    PRIMARY KEY (org_id, program_id, class_id, step_id, step_kind, employee_id, key),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE INDEX leadership_keys_person ON leadership_keys (org_id, employee_id);

CREATE INDEX archived_answers_leadership_texts
    ON archived_answers (org_id, step_id, answered_at DESC)
    WHERE visibility = 'leadership'
      AND step_kind IN ('reflection', 'commitment', 'follow-up', 'check-in', 'check-out',
                        'word-cloud');

CREATE FUNCTION onlive_answer_keys(kind text, value jsonb) RETURNS SETOF text
LANGUAGE sql IMMUTABLE AS $$
    SELECT k FROM (
        SELECT CASE kind WHEN 'scale' THEN value->>'value'
                         WHEN 'check-in' THEN value->>'energy'
                         ELSE value->>'tried' END AS k
        WHERE kind IN ('scale', 'check-in', 'follow-up')
        UNION ALL
        SELECT c FROM jsonb_array_elements_text(
            CASE WHEN kind = 'poll' THEN value->'choices' ELSE '[]'::jsonb END) c) x
    WHERE k IS NOT NULL;
$$;

CREATE FUNCTION onlive_refresh_keys(orgs text[], programs text[], employees text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_lock_keys(ARRAY(SELECT 'k:' || o || ':' || p || ':' || e
                                   FROM unnest(orgs, programs, employees) u(o, p, e)));
    DELETE FROM leadership_keys
    WHERE (org_id, program_id, employee_id) IN (SELECT * FROM unnest(orgs, programs, employees));
    INSERT INTO leadership_keys (org_id, program_id, class_id, step_id, step_kind, employee_id,
                                 key, n)
    SELECT a.org_id, s.program_id, s.class_id, a.step_id, a.step_kind, a.employee_id, k, count(*)
    FROM (SELECT DISTINCT o, p, e FROM unnest(orgs, programs, employees) u(o, p, e)) u
    JOIN archived_answers a ON a.org_id = u.o AND a.employee_id = u.e
    JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id AND s.program_id = u.p
    CROSS JOIN LATERAL onlive_answer_keys(a.step_kind, a.value) k
    WHERE a.visibility = 'leadership'
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
END $$;

CREATE FUNCTION onlive_leadership_answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- New answers only add (archiving inserts each answer once): count just them,
        -- under the same per-person lock as a recount.
        PERFORM onlive_lock_keys(ARRAY(
            SELECT DISTINCT 'k:' || s.org_id || ':' || s.program_id || ':' || a.employee_id
            FROM changed a JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
            WHERE a.visibility = 'leadership'));
        INSERT INTO leadership_keys (org_id, program_id, class_id, step_id, step_kind,
                                     employee_id, key, n)
        SELECT a.org_id, s.program_id, s.class_id, a.step_id, a.step_kind, a.employee_id, k,
               count(*)
        FROM changed a
        JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
        CROSS JOIN LATERAL onlive_answer_keys(a.step_kind, a.value) k
        WHERE a.visibility = 'leadership'
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ON CONFLICT (org_id, program_id, class_id, step_id, step_kind, employee_id, key)
        DO UPDATE SET n = leadership_keys.n + EXCLUDED.n;
        RETURN NULL;
    END IF;
    PERFORM onlive_refresh_keys(array_agg(k.org_id), array_agg(k.program_id),
                                array_agg(k.employee_id))
    FROM (SELECT DISTINCT s.org_id, s.program_id, u.employee_id
          FROM (SELECT DISTINCT org_id, pass_id, employee_id FROM changed
                WHERE visibility = 'leadership') u
          JOIN sessions s ON s.org_id = u.org_id AND s.pass_id = u.pass_id) k
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER archived_answers_keys_inserted AFTER INSERT ON archived_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_leadership_answers_changed();
CREATE TRIGGER archived_answers_keys_updated AFTER UPDATE ON archived_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_leadership_answers_changed();
CREATE TRIGGER archived_answers_keys_deleted AFTER DELETE ON archived_answers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT
    EXECUTE FUNCTION onlive_leadership_answers_changed();

-- Everything of one organisation, after a load that bypassed the triggers.
CREATE FUNCTION onlive_refresh_insight_totals(org text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    DELETE FROM leadership_keys WHERE org_id = org;
    INSERT INTO leadership_keys (org_id, program_id, class_id, step_id, step_kind, employee_id,
                                 key, n)
    SELECT a.org_id, s.program_id, s.class_id, a.step_id, a.step_kind, a.employee_id, k, count(*)
    FROM archived_answers a
    JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
    CROSS JOIN LATERAL onlive_answer_keys(a.step_kind, a.value) k
    WHERE a.org_id = org AND a.visibility = 'leadership'
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
END $$;

SELECT onlive_refresh_insight_totals(id) FROM organisations;
