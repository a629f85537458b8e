-- The gym's system of record: organisations, people, classes, programs,
-- sessions, enrolments, attendance, journal, archived answers, pairing
-- history, personal links and the mail outbox.
--
-- Every table carries org_id, and every reference between tables includes
-- it, so a row can only ever point at rows of its own organisation: the
-- database itself keeps organisations apart, not only the queries.
-- Personal data is kept to DESIGN.md rule 8: names, e-mail (for invitations),
-- department, site, reporting line, level and language; nothing else.

CREATE TABLE organisations (
    id                  text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    name                text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- The smallest group whose anonymous aggregate is shown (programs may raise it).
    anonymity_k         integer NOT NULL DEFAULT 5 CHECK (anonymity_k BETWEEN 2 AND 100),
    -- Warn on the dashboard when fewer than this share of top management trained
    -- in the month.
    top_warning_percent integer NOT NULL DEFAULT 50 CHECK (top_warning_percent BETWEEN 0 AND 100),
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people (
    org_id              text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    employee_id         text NOT NULL CHECK (employee_id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    first_name          text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name           text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 100),
    email               text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    department          text NOT NULL DEFAULT '' CHECK (length(department) <= 100),
    site                text NOT NULL DEFAULT '' CHECK (length(site) <= 100),
    manager_employee_id text,
    level               text NOT NULL DEFAULT 'employee'
                        CHECK (level IN ('employee', 'manager', 'top')),
    language            text NOT NULL DEFAULT 'sv' CHECK (language IN ('sv', 'en')),
    active              boolean NOT NULL DEFAULT true,
    -- 'roster': from a roster file (a full import deactivates those it leaves
    -- out); 'manual': added one by one, and left alone by roster imports.
    source              text NOT NULL DEFAULT 'roster' CHECK (source IN ('roster', 'manual')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deactivated_at      timestamptz,
    PRIMARY KEY (org_id, employee_id),
    CHECK (manager_employee_id IS DISTINCT FROM employee_id),
    CHECK (active = (deactivated_at IS NULL)),
    -- Deferred: an import may add a manager and their people in any order.
    FOREIGN KEY (org_id, manager_employee_id) REFERENCES people (org_id, employee_id)
        ON DELETE SET NULL (manager_employee_id) DEFERRABLE INITIALLY DEFERRED,
    -- One active person per address; deferred so that an import may move an
    -- address from a leaver to a newcomer, or swap two, in one transaction.
    EXCLUDE USING btree (org_id WITH =, lower(email) WITH =) WHERE (active)
        DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX people_manager ON people (org_id, manager_employee_id);

-- What each roster import did (no personal data).
CREATE TABLE roster_imports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    file_name   text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('full', 'partial')),
    added       integer NOT NULL,
    changed     integer NOT NULL,
    unchanged   integer NOT NULL,
    deactivated integer NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX roster_imports_org ON roster_imports (org_id, imported_at);

-- The organisation's class library; each save is a new version, never an edit.
CREATE TABLE classes (
    org_id     text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    id         text NOT NULL CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'),  -- as in class files
    created_at timestamptz NOT NULL DEFAULT now(),
    archived   boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, id)
);

CREATE TABLE class_versions (
    org_id     text NOT NULL,
    class_id   text NOT NULL,
    version    integer NOT NULL CHECK (version >= 1),
    yaml       text NOT NULL CHECK (length(yaml) <= 262144),  -- today's class-file format
    sha256     text NOT NULL,
    title_sv   text NOT NULL DEFAULT '',
    title_en   text NOT NULL DEFAULT '',
    duration_s integer NOT NULL CHECK (duration_s > 0),
    created_by text NOT NULL,  -- who saved it: an admin's name or e-mail, or 'library'
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, class_id, version),
    FOREIGN KEY (org_id, class_id) REFERENCES classes ON DELETE CASCADE
);

CREATE TABLE programs (
    org_id       text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    id           text NOT NULL CHECK (id ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    -- The audience: everyone when all three are empty; otherwise people who
    -- match every non-empty one.
    departments  text[] NOT NULL DEFAULT '{}',
    sites        text[] NOT NULL DEFAULT '{}',
    levels       text[] NOT NULL DEFAULT '{}'
                 CHECK (levels <@ ARRAY['employee', 'manager', 'top']::text[]),
    cadence      text NOT NULL CHECK (cadence IN ('weekly', 'biweekly', 'monthly', 'quarterly')),
    mandatory    boolean NOT NULL DEFAULT false,
    anonymity_k  integer CHECK (anonymity_k BETWEEN 2 AND 100),  -- NULL: the organisation's
    starts_on    date,
    ends_on      date,
    state        text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'ended')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CHECK (ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on)
);

-- A program's classes in sequence.
CREATE TABLE program_classes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text NOT NULL,
    program_id  text NOT NULL,
    position    integer NOT NULL CHECK (position >= 1),
    class_id    text NOT NULL,
    due_on      date,
    mandatory   boolean NOT NULL,
    parameters  jsonb NOT NULL DEFAULT '{}',  -- the class's parameters (name -> text)
    UNIQUE (org_id, id),
    UNIQUE (org_id, program_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, class_id) REFERENCES classes
);

-- A dated offering of one class; it runs as the onlive pass pass_id, whose id
-- is reserved here when the session is scheduled (pass ids are unique across
-- organisations: the live store is shared).
CREATE TABLE sessions (
    org_id           text NOT NULL,
    pass_id          text NOT NULL UNIQUE CHECK (pass_id ~ '^[a-z0-9-]{4,64}$'),
    program_id       text NOT NULL,
    program_class_id bigint NOT NULL,
    class_id         text NOT NULL,
    class_version    integer NOT NULL,  -- the version it was scheduled with, kept
    starts_at        timestamptz NOT NULL,
    time_zone        text NOT NULL,
    duration_s       integer NOT NULL CHECK (duration_s > 0),
    capacity         integer NOT NULL CHECK (capacity BETWEEN 2 AND 1000),
    facilitator      text NOT NULL CHECK (length(facilitator) BETWEEN 1 AND 120),
    state            text NOT NULL DEFAULT 'scheduled'
                     CHECK (state IN ('scheduled', 'open', 'ended', 'cancelled')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    opened_at        timestamptz,
    ended_at         timestamptz,
    PRIMARY KEY (org_id, pass_id),
    UNIQUE (org_id, pass_id, program_class_id),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, program_class_id) REFERENCES program_classes (org_id, id)
        ON DELETE CASCADE,
    FOREIGN KEY (org_id, class_id, class_version) REFERENCES class_versions
);
CREATE INDEX sessions_program ON sessions (org_id, program_id, starts_at);
CREATE INDEX sessions_start ON sessions (starts_at) WHERE state IN ('scheduled', 'open');

CREATE TABLE enrolments (
    org_id           text NOT NULL,
    pass_id          text NOT NULL,
    employee_id      text NOT NULL,
    -- Denormalised from the session (the foreign key keeps it equal) so that
    -- one person holds one place per class of a program, switching included.
    program_class_id bigint NOT NULL,
    status           text NOT NULL CHECK (status IN ('enrolled', 'waiting', 'cancelled')),
    waiting_position integer CHECK (waiting_position >= 1),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, pass_id, employee_id),
    CHECK ((status = 'waiting') = (waiting_position IS NOT NULL)),
    UNIQUE (org_id, pass_id, waiting_position) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, pass_id, program_class_id)
        REFERENCES sessions (org_id, pass_id, program_class_id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE UNIQUE INDEX enrolments_one_per_class ON enrolments (org_id, program_class_id, employee_id)
    WHERE status <> 'cancelled';
CREATE INDEX enrolments_person ON enrolments (org_id, employee_id);

-- Presence becomes attendance: a row per invited person; no-shows are rows
-- whose first_joined_at is NULL.
CREATE TABLE attendance (
    org_id          text NOT NULL,
    pass_id         text NOT NULL,
    employee_id     text NOT NULL,
    invited_at      timestamptz NOT NULL DEFAULT now(),
    first_joined_at timestamptz,
    minutes_present integer NOT NULL DEFAULT 0 CHECK (minutes_present >= 0),
    left_early      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (org_id, pass_id, employee_id),
    FOREIGN KEY (org_id, pass_id) REFERENCES sessions ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE INDEX attendance_person ON attendance (org_id, employee_id);

-- A person's own journal: check-ins, commitments, follow-ups (only they see it).
CREATE TABLE journal_entries (
    org_id      text NOT NULL,
    employee_id text NOT NULL,
    pass_id     text NOT NULL,
    step_id     text NOT NULL,
    kind        text NOT NULL,
    value       jsonb NOT NULL,
    written_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, employee_id, pass_id, step_id),
    FOREIGN KEY (org_id, pass_id) REFERENCES sessions ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);

-- The answers of ended passes, with the step's kind and visibility, so that
-- leadership insights (visibility 'leadership') can be aggregated later.
CREATE TABLE archived_answers (
    org_id      text NOT NULL,
    pass_id     text NOT NULL,
    step_id     text NOT NULL,
    employee_id text NOT NULL,
    step_kind   text NOT NULL,
    visibility  text NOT NULL CHECK (visibility IN ('private', 'group', 'plenary', 'leadership')),
    value       jsonb NOT NULL,
    answered_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, pass_id, step_id, employee_id),
    FOREIGN KEY (org_id, pass_id) REFERENCES sessions ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE INDEX archived_answers_person ON archived_answers (org_id, employee_id);
CREATE INDEX archived_answers_leadership ON archived_answers (org_id, pass_id, step_id)
    WHERE visibility = 'leadership';

-- Who met whom in which pass, per program (the pairing engine's history).
-- Unordered pairs are stored once (a < b); reads are bounded by met_at and
-- older rows can be pruned per program.
CREATE TABLE pairings (
    org_id     text NOT NULL,
    program_id text NOT NULL,
    pass_id    text NOT NULL,
    a          text NOT NULL,
    b          text NOT NULL,
    met_at     timestamptz NOT NULL,
    PRIMARY KEY (org_id, program_id, pass_id, a, b),
    CHECK (a < b),
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, a) REFERENCES people ON DELETE CASCADE,
    FOREIGN KEY (org_id, b) REFERENCES people ON DELETE CASCADE
);
CREATE INDEX pairings_recent ON pairings (org_id, program_id, met_at);
CREATE INDEX pairings_b ON pairings (org_id, b);

-- One personal link per person per program ("Min träning"): only a hash of
-- its token is kept; revoking and re-issuing leaves the old row revoked.
CREATE TABLE personal_links (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      text NOT NULL,
    program_id  text NOT NULL,
    employee_id text NOT NULL,
    token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    issued_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE
);
CREATE UNIQUE INDEX personal_links_live ON personal_links (org_id, program_id, employee_id)
    WHERE revoked_at IS NULL;

-- Mail to send. What a message says is rendered when it is sent (in the
-- person's language, to their current address), so the outbox keeps only
-- its kind and what it is about. A failed send is retried and stays visible.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          text NOT NULL REFERENCES organisations ON DELETE CASCADE,
    employee_id     text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('enrolment', 'confirmation', 'reminder-day',
                                                  'reminder-15min', 'missed', 'personal-link')),
    program_id      text,
    pass_id         text,
    -- One message per purpose: e.g. one day-before reminder per person and session.
    dedupe_key      text NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error      text,
    send_after      timestamptz NOT NULL DEFAULT now(),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    UNIQUE (org_id, dedupe_key),
    FOREIGN KEY (org_id, employee_id) REFERENCES people ON DELETE CASCADE,
    FOREIGN KEY (org_id, program_id) REFERENCES programs ON DELETE CASCADE,
    FOREIGN KEY (org_id, pass_id) REFERENCES sessions ON DELETE CASCADE
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status IN ('pending', 'failed');
