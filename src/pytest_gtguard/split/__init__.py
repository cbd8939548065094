"""The split: run both sides in fresh processes and classify every test (FAIL_TO_PASS, PASS_TO_PASS, ...)."""
