-- One account per email address, compared without regard to case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email)) WHERE email <> '';
