"""Two graded questions (chapter 98) that the exercise and grading tests use: a number and a choice."""
from dlcourse.exercises.spec import Mistake, Question

EXERCISES = [
    Question(id="98.1", title="Steepest sigmoid", section="fake-section", answer=0.25, atol=1e-3,
             statement="What is the largest value of the sigmoid's derivative?",
             mistakes=(Mistake("the value, not the slope", 0.5, "0.5 is the sigmoid at 0, not its slope."),)),
    Question(id="98.2", title="The perceptron's year", section="fake-section", answer="a",
             statement="When did Rosenblatt publish the perceptron?",
             choices={"a": "1958", "b": "1969", "c": "1986"},
             mistakes=(Mistake("Perceptrons, the book", "b", "1969 is Minsky and Papert's critique."),)),
]
