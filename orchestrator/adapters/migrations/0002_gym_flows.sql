-- Enrolment, Min träning, mail and archiving (issue 10, items 4-6).
--
-- A mail whose reason went away before it was sent (a reminder for a place
-- that was cancelled) becomes 'obsolete' rather than vanishing: the admin
-- sees every mail the outbox ever held.
ALTER TABLE mail_outbox DROP CONSTRAINT mail_outbox_status_check;
ALTER TABLE mail_outbox ADD CONSTRAINT mail_outbox_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'obsolete'));
-- Claiming due mail also reclaims 'sending' rows whose worker never reported back.
DROP INDEX mail_outbox_due;
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE status IN ('pending', 'sending', 'failed');
CREATE INDEX mail_outbox_org_status ON mail_outbox (org_id, status, created_at);

-- "Colleagues you have trained with": pairs are stored once (a < b), so a
-- person is looked up on both sides.
CREATE INDEX pairings_a ON pairings (org_id, a);

-- The sessions of one class (enrolment locks them together, in pass id order).
CREATE INDEX sessions_class ON sessions (org_id, program_class_id, pass_id);
