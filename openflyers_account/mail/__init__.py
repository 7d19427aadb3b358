"""E-mail: messages are queued in the outbox table with the change that causes them, then sent."""
