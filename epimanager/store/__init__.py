"""Persistence: SQLAlchemy 2.x typed ORM over SQLite (WAL) + Alembic."""
