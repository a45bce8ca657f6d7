"""Grading submissions from the command line without trusting them (book: "Grading").

``dlcourse grade SUBMISSION... --out DIR``: each exercise of each submission runs in a separate, limited
process (:mod:`.sandbox`) on the submission's definitions only (:mod:`.submission`); forbidden shortcuts are
found statically (:mod:`.forbidden`) and by tripwires; results come back as plain arrays over a pipe
(:mod:`.wire`) and are compared here (:mod:`.grader`); grades go to JSON files and a CSV gradebook
(:mod:`.gradebook`). Linux only.
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
