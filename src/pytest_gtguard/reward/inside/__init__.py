"""Code that runs inside the sandbox, in the same process as the candidate's code.

Nothing here is trusted by the judge: once candidate code is imported, it can read and change this
process's memory. What runs here only reports (outcomes, integrity and audit observations) over the
channel the judge created; the judge (``reward.channel``, ``reward.verdict``) cross-checks it with
canaries, hashes and the process's exit, and never imports this package.
"""
