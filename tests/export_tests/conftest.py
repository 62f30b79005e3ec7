from tests.versions_tests.conftest import snapshot_dir  # noqa: F401  (each test's own snapshot folder)
