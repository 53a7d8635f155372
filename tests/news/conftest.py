"""The news tests use the category and make_item fixtures of tests/conftest.py."""
