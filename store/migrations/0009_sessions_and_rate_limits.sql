-- Login throttling moved to the rate limiter (in process, or shared through
-- Redis), which counts attempts before the password is checked; the fixed
-- windows of failed logins it replaces are dropped.
DROP INDEX login_failures_by_window;
DROP TABLE login_failures;

-- Access tokens name their session (the refresh-token family), which is
-- checked on every request, so a logout, a password reset or a replayed
-- refresh token ends them at once; the session epoch that did this for
-- password resets alone is dropped.
ALTER TABLE users DROP COLUMN session_epoch;
