"""What a check says: findings (blocked, excess, shadowed, unsupported), collected from the
engine's decisions and named for people, and the report as a table, JSON or JUnit XML."""
