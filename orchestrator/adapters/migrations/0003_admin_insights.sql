-- The admin and leadership pages (issue 10, items 7, 8 and 10).
--
-- Staff credentials: the links `onlive admin-link` and `onlive leadership-link`
-- print. A credential is a signed token naming its row; the row says whose
-- organisation it opens and whether it was revoked, so revoking takes effect
-- at the next request.
CREATE TABLE staff_credentials (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('admin', 'leadership')),
    label      text NOT NULL DEFAULT '' CHECK (length(label) <= 120),
    issued_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX staff_credentials_org ON staff_credentials (org_id, role);

-- Who answered which leadership question of a program (one row per person and
-- question, however often they answered it): the k-anonymity counts of the
-- insights page read this instead of every answer. Erasing a person removes
-- their rows with them.
CREATE TABLE leadership_respondents (
    org_id      text NOT NULL,
    program_id  text NOT NULL,
    class_id    text NOT NULL,
    step_id     text NOT NULL,
    employee_id text NOT NULL,
    PRIMARY KEY (org_id, program_id, class_id, step_id, employee_id),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
INSERT INTO leadership_respondents (org_id, program_id, class_id, step_id, employee_id)
SELECT DISTINCT a.org_id, s.program_id, s.class_id, a.step_id, a.employee_id
FROM archived_answers a JOIN sessions s ON s.org_id = a.org_id AND s.pass_id = a.pass_id
WHERE a.visibility = 'leadership';

-- The dashboard's reads: attendance by session, top management by month.
CREATE INDEX attendance_joined ON attendance (org_id, first_joined_at)
    WHERE first_joined_at IS NOT NULL;
