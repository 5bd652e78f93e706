"""The patient's program: a prescription (plan) file, what it says is due, and specs tailored to it.

    prescription: the TOML plan file (schema formcheck.plan/1), validated in two passes
    tailor: a spec with the plan's dose and the patient's stricter limits
    schedule: what is due on a date and over its week, with that day's doses
    followed: whether a run followed the plan's sides (report.json's "plan" object)
"""
