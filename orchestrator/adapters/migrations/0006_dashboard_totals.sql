-- Totals for the program dashboard (issue 10, item 7, at the size of a year).
--
-- The dashboard read every enrolment, attendance row and pulse answer of the
-- program on each request. These tables keep the figures it shows, per
-- session, per class and per person in a program, and triggers on the base
-- tables keep them true: each change recomputes the totals of the keys it
-- touched from the base rows (exact, never incremental), under a
-- transaction-level advisory lock per key, so two transactions changing the
-- same session or class (two sessions of a class archived at once) wait for
-- each other and the second one counts the first one's rows. Bulk loads that
-- bypass triggers (session_replication_role = replica) call
-- onlive_refresh_totals(org) afterwards.
--
-- Erasure: session_totals, class_totals and class_pulse are not about any
-- person; program_people is, and its rows go when the person's enrolments and
-- attendance go (the triggers recompute them to nothing), and with the person
-- (foreign key), and erase_person lists it.

CREATE TABLE session_totals (
    org_id   text NOT NULL,
    pass_id  text NOT NULL,
    enrolled integer NOT NULL DEFAULT 0,
    waiting  integer NOT NULL DEFAULT 0,
    attended integer NOT NULL DEFAULT 0,  -- attendance rows with a first join
    missing  integer NOT NULL DEFAULT 0,  -- attendance rows without one (invited, never came)
    PRIMARY KEY (org_id, pass_id),
    FOREIGN KEY (org_id, pass_id) REFERENCES sessions ON DELETE CASCADE
);

-- Distinct people who attended any session of a program's class.
CREATE TABLE class_totals (
    org_id           text NOT NULL,
    program_class_id bigint NOT NULL,
    attendees        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, program_class_id),
    FOREIGN KEY (org_id, program_class_id) REFERENCES program_classes (org_id, id)
        ON DELETE CASCADE
);

-- The pulse: per class and repeated question ('energy' for check-ins, else the
-- scale step's id), distinct people, answers, and the sum and number of values.
CREATE TABLE class_pulse (
    org_id           text NOT NULL,
    program_class_id bigint NOT NULL,
    question         text NOT NULL,
    people           integer NOT NULL,
    answers          integer NOT NULL,
    total            numeric NOT NULL,
    valued           integer NOT NULL,
    PRIMARY KEY (org_id, program_class_id, question),
    FOREIGN KEY (org_id, program_class_id) REFERENCES program_classes (org_id, id)
        ON DELETE CASCADE
);

-- Per person and program: places held (not cancelled) and sessions attended.
CREATE TABLE program_people (
    org_id      text NOT NULL,
    program_id  text NOT NULL,
    employee_id text NOT NULL,
    enrolments  integer NOT NULL,
    attended    integer NOT NULL,
    PRIMARY KEY (org_id, program_id, employee_id),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE INDEX program_people_person ON program_people (org_id, employee_id);

CREATE FUNCTION onlive_lock_keys(keys text[]) RETURNS void LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(7310, hashtext(k))
    FROM (SELECT DISTINCT k FROM unnest(keys) k ORDER BY k) x;
$$;

CREATE FUNCTION onlive_refresh_sessions(orgs text[], passes text[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_lock_keys(ARRAY(SELECT 's:' || o || ':' || p FROM unnest(orgs, passes) u(o, p)));
    INSERT INTO session_totals (org_id, pass_id, enrolled, waiting, attended, missing)
    SELECT s.org_id, s.pass_id,
           (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id
              AND e.pass_id = s.pass_id AND e.status = 'enrolled'),
           (SELECT count(*) FROM enrolments e WHERE e.org_id = s.org_id
              AND e.pass_id = s.pass_id AND e.status = 'waiting'),
           (SELECT count(*) FROM attendance a WHERE a.org_id = s.org_id
              AND a.pass_id = s.pass_id AND a.first_joined_at IS NOT NULL),
           (SELECT count(*) FROM attendance a WHERE a.org_id = s.org_id
              AND a.pass_id = s.pass_id AND a.first_joined_at IS NULL)
    FROM sessions s
    WHERE (s.org_id, s.pass_id) IN (SELECT * FROM unnest(orgs, passes))
    ORDER BY s.org_id, s.pass_id
    ON CONFLICT (org_id, pass_id) DO UPDATE
    SET enrolled = EXCLUDED.enrolled, waiting = EXCLUDED.waiting,
        attended = EXCLUDED.attended, missing = EXCLUDED.missing;
END $$;

CREATE FUNCTION onlive_refresh_classes(orgs text[], ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_lock_keys(ARRAY(SELECT 'c:' || o || ':' || i FROM unnest(orgs, ids) u(o, i)));
    INSERT INTO class_totals (org_id, program_class_id, attendees)
    SELECT pc.org_id, pc.id,
           (SELECT count(DISTINCT a.employee_id) FROM sessions s
            JOIN attendance a ON a.org_id = s.org_id AND a.pass_id = s.pass_id
            WHERE s.org_id = pc.org_id AND s.program_class_id = pc.id
              AND a.first_joined_at IS NOT NULL)
    FROM program_classes pc
    WHERE (pc.org_id, pc.id) IN (SELECT * FROM unnest(orgs, ids))
    ORDER BY pc.org_id, pc.id
    ON CONFLICT (org_id, program_class_id) DO UPDATE SET attendees = EXCLUDED.attendees;
END $$;

CREATE FUNCTION onlive_refresh_pulse(orgs text[], ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_lock_keys(ARRAY(SELECT 'p:' || o || ':' || i FROM unnest(orgs, ids) u(o, i)));
    DELETE FROM class_pulse WHERE (org_id, program_class_id) IN (SELECT * FROM unnest(orgs, ids));
    INSERT INTO class_pulse (org_id, program_class_id, question, people, answers, total, valued)
    SELECT s.org_id, s.program_class_id,
           CASE WHEN a.step_kind = 'check-in' THEN 'energy' ELSE a.step_id END,
           count(DISTINCT a.employee_id), count(*),
           coalesce(sum(v.value), 0), count(v.value)
    FROM sessions s
    JOIN archived_answers a ON a.org_id = s.org_id AND a.pass_id = s.pass_id
    CROSS JOIN LATERAL (SELECT CASE WHEN a.step_kind = 'check-in'
                                    THEN (a.value->>'energy')::numeric
                                    ELSE (a.value->>'value')::numeric END AS value) v
    WHERE (s.org_id, s.program_class_id) IN (SELECT * FROM unnest(orgs, ids))
      AND a.step_kind IN ('check-in', 'scale')
    GROUP BY 1, 2, 3;
END $$;

CREATE FUNCTION onlive_refresh_people(orgs text[], programs text[], employees text[])
RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_lock_keys(ARRAY(SELECT 'm:' || o || ':' || p || ':' || e
                                   FROM unnest(orgs, programs, employees) u(o, p, e)));
    INSERT INTO program_people (org_id, program_id, employee_id, enrolments, attended)
    SELECT k.o, k.p, k.e,
           (SELECT count(*) FROM enrolments x JOIN sessions s
              ON s.org_id = x.org_id AND s.pass_id = x.pass_id
            WHERE x.org_id = k.o AND x.employee_id = k.e AND s.program_id = k.p
              AND x.status <> 'cancelled'),
           (SELECT count(*) FROM attendance x JOIN sessions s
              ON s.org_id = x.org_id AND s.pass_id = x.pass_id
            WHERE x.org_id = k.o AND x.employee_id = k.e AND s.program_id = k.p
              AND x.first_joined_at IS NOT NULL)
    FROM (SELECT DISTINCT o, p, e FROM unnest(orgs, programs, employees) u(o, p, e)) k
    WHERE EXISTS (SELECT 1 FROM people WHERE org_id = k.o AND employee_id = k.e)
      AND EXISTS (SELECT 1 FROM programs WHERE org_id = k.o AND id = k.p)
    ORDER BY k.o, k.p, k.e
    ON CONFLICT (org_id, program_id, employee_id) DO UPDATE
    SET enrolments = EXCLUDED.enrolments, attended = EXCLUDED.attended;
    DELETE FROM program_people
    WHERE (org_id, program_id, employee_id) IN (SELECT * FROM unnest(orgs, programs, employees))
      AND enrolments = 0 AND attended = 0;
END $$;

-- Enrolments and attendance: sessions, classes (attendance) and people in programs.
CREATE FUNCTION onlive_places_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    o text[]; p text[]; e text[];
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT array_agg(x.org_id), array_agg(x.pass_id), array_agg(x.employee_id)
        INTO o, p, e FROM (SELECT org_id, pass_id, employee_id FROM changed
                           UNION SELECT org_id, pass_id, employee_id FROM gone) x;
    ELSE
        SELECT array_agg(x.org_id), array_agg(x.pass_id), array_agg(x.employee_id)
        INTO o, p, e FROM (SELECT DISTINCT org_id, pass_id, employee_id FROM changed) x;
    END IF;
    IF o IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM onlive_refresh_sessions(o, p);
    IF TG_TABLE_NAME = 'attendance' THEN
        PERFORM onlive_refresh_classes(array_agg(k.org_id), array_agg(k.program_class_id))
        FROM (SELECT DISTINCT s.org_id, s.program_class_id FROM unnest(o, p) u(o, p)
              JOIN sessions s ON s.org_id = u.o AND s.pass_id = u.p) k
        HAVING count(*) > 0;
    END IF;
    PERFORM onlive_refresh_people(array_agg(k.org_id), array_agg(k.program_id),
                                  array_agg(k.employee_id))
    FROM (SELECT DISTINCT s.org_id, s.program_id, u.e AS employee_id
          FROM unnest(o, p, e) u(o, p, e)
          JOIN sessions s ON s.org_id = u.o AND s.pass_id = u.p) k
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER enrolments_inserted AFTER INSERT ON enrolments
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();
CREATE TRIGGER enrolments_updated AFTER UPDATE ON enrolments
    REFERENCING OLD TABLE AS gone NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();
CREATE TRIGGER enrolments_deleted AFTER DELETE ON enrolments
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();
CREATE TRIGGER attendance_inserted AFTER INSERT ON attendance
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();
CREATE TRIGGER attendance_updated AFTER UPDATE ON attendance
    REFERENCING OLD TABLE AS gone NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();
CREATE TRIGGER attendance_deleted AFTER DELETE ON attendance
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_places_changed();

-- Archived answers: the pulse of the classes whose sessions they belong to.
CREATE FUNCTION onlive_answers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM onlive_refresh_pulse(array_agg(k.org_id), array_agg(k.program_class_id))
    FROM (SELECT DISTINCT s.org_id, s.program_class_id
          FROM (SELECT DISTINCT org_id, pass_id FROM changed
                WHERE step_kind IN ('check-in', 'scale')) u
          JOIN sessions s ON s.org_id = u.org_id AND s.pass_id = u.pass_id) k
    HAVING count(*) > 0;
    RETURN NULL;
END $$;

CREATE TRIGGER archived_answers_inserted AFTER INSERT ON archived_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();
CREATE TRIGGER archived_answers_updated AFTER UPDATE ON archived_answers
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();
CREATE TRIGGER archived_answers_deleted AFTER DELETE ON archived_answers
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION onlive_answers_changed();

-- Everything of one organisation, after a load that bypassed the triggers.
CREATE FUNCTION onlive_refresh_totals(org text) RETURNS void LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM onlive_refresh_sessions(array_agg(org_id), array_agg(pass_id))
    FROM sessions WHERE org_id = org;
    PERFORM onlive_refresh_classes(array_agg(org_id), array_agg(id))
    FROM program_classes WHERE org_id = org;
    PERFORM onlive_refresh_pulse(array_agg(org_id), array_agg(id))
    FROM program_classes WHERE org_id = org;
    DELETE FROM program_people WHERE org_id = org;
    INSERT INTO program_people (org_id, program_id, employee_id, enrolments, attended)
    SELECT org, program_id, employee_id, sum(enrolments), sum(attended)
    FROM (SELECT s.program_id, x.employee_id, count(*) AS enrolments, 0 AS attended
          FROM enrolments x JOIN sessions s ON s.org_id = x.org_id AND s.pass_id = x.pass_id
          WHERE x.org_id = org AND x.status <> 'cancelled' GROUP BY 1, 2
          UNION ALL
          SELECT s.program_id, x.employee_id, 0, count(*)
          FROM attendance x JOIN sessions s ON s.org_id = x.org_id AND s.pass_id = x.pass_id
          WHERE x.org_id = org AND x.first_joined_at IS NOT NULL GROUP BY 1, 2) t
    GROUP BY program_id, employee_id;
END $$;

SELECT onlive_refresh_totals(id) FROM organisations;
