-- Roles: a user is a customer or staff, who may use the box office (the
-- admin operations). Every existing user is a customer.
ALTER TABLE users ADD COLUMN staff BOOLEAN NOT NULL DEFAULT FALSE;
