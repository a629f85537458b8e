-- The class page (issue 10, item 9): the organisation adapts its classes;
-- and the calendar cancellation sent when a place is given up (item 5).
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

-- A facilitator's own link (their upcoming passes and the class page) is a
-- staff credential too, revocable like the others; its label is the name
-- their sessions give them.
ALTER TABLE staff_credentials DROP CONSTRAINT staff_credentials_role_check;
ALTER TABLE staff_credentials ADD CONSTRAINT staff_credentials_role_check
    CHECK (role IN ('admin', 'leadership', 'facilitator-home'));

-- A place given up (a switch, a cancellation) withdraws its calendar event.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_kind_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_kind_check
    CHECK (kind IN ('enrolment', 'confirmation', 'reminder-day', 'reminder-15min', 'missed',
                    'personal-link', 'cancellation'));

-- "Mail me my link" on Min träning, counted per address so that nobody can
-- flood an inbox. The address is kept only as an HMAC with the installation's
-- secret (and for an hour); the page answers alike whether it is known or not.
CREATE TABLE link_requests (
    address_hmac text NOT NULL,
    requested_at timestamptz NOT NULL
);
CREATE INDEX link_requests_address ON link_requests (address_hmac, requested_at);
