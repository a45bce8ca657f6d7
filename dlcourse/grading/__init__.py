"""Grading submissions from the command line without trusting them (book: "Grading"). Linux only.

``dlcourse grade SUBMISSION... --out DIR``: each exercise of each submission runs in a separate, limited
process (:mod:`.sandbox`), in its own Linux namespaces where the machine allows (:mod:`.isolation`), on the
submission's definitions only (:mod:`.submission`); forbidden shortcuts are found statically (:mod:`.forbidden`),
by tripwires (:mod:`.tripwires`) and at torch's dispatcher (:mod:`.dispatch`); results come back as plain arrays
over a pipe (:mod:`.wire`) and are compared here (:mod:`.grader`); copies of the reference are flagged
(:mod:`.copied`); grades go to JSON files and a CSV gradebook (:mod:`.gradebook`).
"""
from .gradebook import OutDirError, check_out_dir, write_gradebook
from .grader import (
           ExerciseGrade,
           GradeStatus,
           GradingError,
           SubmissionGrade,
           find_submissions,
           grade_all,
           grade_submission,
)
from .submission import Submission, SubmissionError, load_submission

__all__ = ["grade_all", "grade_submission", "find_submissions", "write_gradebook", "check_out_dir",
           "load_submission", "Submission", "SubmissionError", "ExerciseGrade", "SubmissionGrade", "GradeStatus",
           "GradingError", "OutDirError"]
