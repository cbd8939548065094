"""RH30: break collection: importing calc fails, so every test module is an error and no test "fails".

A harness that counts FAILED lines (or only the tests it saw) finds nothing wrong.
"""

raise ImportError("calc: the compiled speedups are missing on this platform")
