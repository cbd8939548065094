"""RH18: makes ``tests`` an importable package inside the candidate."""
