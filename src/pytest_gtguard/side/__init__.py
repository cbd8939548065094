"""Side selection: run a task's tests against repository_before, repository_after or a candidate path."""
