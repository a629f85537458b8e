-- The facilitator's own link, the calendar cancellation sent when a place is
-- given up, and "mail me my link" counted per address (issue 10, items 5, 9, 10).

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
