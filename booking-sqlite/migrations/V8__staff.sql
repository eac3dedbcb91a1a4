-- Roles: a user is a customer (0) or staff (1), who may use the box office
-- (the admin operations). Every existing user is a customer.
ALTER TABLE users ADD COLUMN staff INTEGER NOT NULL DEFAULT 0 CHECK (staff IN (0, 1));
