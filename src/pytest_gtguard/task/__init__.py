"""Pure logic behind the ``gtguard`` command: validate, patch, scaffold and calibrate a task repository."""
